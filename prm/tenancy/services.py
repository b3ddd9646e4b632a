"""Creating tenants (platform operator action)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from prm.audit.services import audit
from prm.tenancy.context import tenant_context
from prm.tenancy.hosts import default_tenant_host, normalise_host
from prm.tenancy.models import Domain, Tenant
from prm.workflow import DomainError


def tenant_create(
    *, slug: str, name: str, currency: str, domain: str | None = None, acting_user=None, **extra
) -> Tenant:
    if slugify(slug) != slug:
        raise DomainError(f"Slug {slug!r} must be lower-case letters, digits and hyphens.")
    host = normalise_host(domain or default_tenant_host(slug))
    if Tenant.objects.filter(slug=slug).exists():
        raise DomainError(f"A tenant with slug {slug!r} exists already.")
    if Domain.objects.filter(host=host).exists():
        raise DomainError(f"The host {host} already serves another tenant.")
    tenant = Tenant(slug=slug, name=name, base_currency=currency.upper(), **extra)
    try:
        tenant.full_clean()
    except ValidationError as exc:
        raise DomainError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
    with transaction.atomic():
        tenant.save()
        Domain.objects.create(tenant=tenant, host=host, is_primary=True)
        with tenant_context(tenant):
            audit(actor=acting_user, action="tenant.create", obj=tenant, after={"slug": slug, "host": host})
    return tenant
