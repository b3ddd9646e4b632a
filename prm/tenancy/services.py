"""Creating tenants (platform operator action) and changing a tenant's own settings (its vendor
admins, in the portal)."""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _

from prm.audit.services import audit
from prm.files import FileTypeRefused, UploadRejected, store_document
from prm.lib.money import active_currencies
from prm.roles import Perm, require_staff
from prm.tenancy.context import tenant_context
from prm.tenancy.hosts import default_tenant_host, normalise_host
from prm.tenancy.locale import valid_time_zone
from prm.tenancy.models import Domain, Tenant
from prm.workflow import DomainError

if TYPE_CHECKING:
    from prm.accounts.models import Membership


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


# --- The tenant's own settings (vendor admins, in the portal) ----------------------------------

SETTINGS_FIELDS = (
    "name",
    "display_name",
    "primary_colour",
    "accent_colour",
    "default_language",
    "time_zone",
    "base_currency",
    "notification_reply_to",
)
LOGO_KINDS = ("png", "jpeg", "webp")  # raster only: an SVG logo could carry script
LOGO_MAX_BYTES = 2 * 1024 * 1024
MAX_REPLY_TO = 5


def _settings_snapshot(tenant: Tenant) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(tenant, name) for name in SETTINGS_FIELDS}
    data["logo"] = tenant.logo.name if tenant.logo else ""
    return data


def _check_settings(data: dict[str, Any]) -> None:
    """The choices the portal offers, checked again here (the service is the one way in)."""
    problems = []
    if "default_language" in data and data["default_language"] not in dict(settings.LANGUAGES):
        problems.append(_("Default language: choose one of the portal's languages."))
    if "time_zone" in data and valid_time_zone(data["time_zone"]) is None:
        problems.append(_("Time zone: %(zone)s is not a known time zone.") % {"zone": data["time_zone"]})
    if "base_currency" in data and data["base_currency"] not in active_currencies():
        problems.append(
            _("Base currency: %(code)s is not a currency in use (ISO 4217).")
            % {"code": data["base_currency"]}
        )
    reply_to = data.get("notification_reply_to", [])
    if len(reply_to) > MAX_REPLY_TO:
        problems.append(_("Notification e-mails: at most %(n)d addresses.") % {"n": MAX_REPLY_TO})
    for address in reply_to:
        try:
            validate_email(address)
        except ValidationError:
            problems.append(
                _("Notification e-mails: %(address)s is not an e-mail address.") % {"address": address}
            )
    if problems:
        raise DomainError(" ".join(str(p) for p in problems))


def _store_logo(upload: IO[bytes]) -> str:
    try:
        stored = store_document(upload, area="branding", kinds=LOGO_KINDS, max_bytes=LOGO_MAX_BYTES)
    except FileTypeRefused as exc:
        raise UploadRejected(
            _("Logo: use a PNG, JPEG or WebP image (SVG and other types are not accepted).")
        ) from exc
    except UploadRejected as exc:
        raise UploadRejected(_("Logo: %(reason)s") % {"reason": exc}) from exc
    return str(stored["path"])


def tenant_settings_update(
    *,
    acting_membership: Membership,
    data: dict[str, Any],
    logo: IO[bytes] | None = None,
    remove_logo: bool = False,
) -> Tenant:
    """A vendor admin changes their own tenant: name, branding, language and time zone defaults,
    base currency, notification e-mails. One audit event names every changed value before and
    after; nothing changed, nothing recorded. The logo is checked by content (PNG, JPEG, WebP)."""
    require_staff(acting_membership, Perm.TENANT_SETTINGS)
    data = {name: value for name, value in data.items() if name in SETTINGS_FIELDS}
    _check_settings(data)
    new_logo = _store_logo(logo) if logo is not None else None
    try:
        with transaction.atomic():
            locked = Tenant.objects.select_for_update().get(pk=acting_membership.tenant_id)
            before = _settings_snapshot(locked)
            for name, value in data.items():
                setattr(locked, name, value)
            if new_logo is not None:
                locked.logo.name = new_logo
            elif remove_logo:
                locked.logo.name = ""
            try:
                locked.full_clean(exclude=["slug", "logo"])
            except ValidationError as exc:
                raise DomainError(_validation_message(exc)) from exc
            after = _settings_snapshot(locked)
            changed = [name for name in after if after[name] != before[name]]
            if not changed:
                return locked
            locked.save(update_fields=changed)
            audit(
                actor=acting_membership.user,
                action="tenant.settings_update",
                obj=locked,
                before={name: before[name] for name in changed},
                after={name: after[name] for name in changed},
            )
    except Exception:
        if new_logo is not None:
            (Path(settings.MEDIA_ROOT) / new_logo).unlink(missing_ok=True)
        raise
    return locked


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for name, messages in exc.message_dict.items():
        label = getattr(Tenant._meta.get_field(name), "verbose_name", name) if name != "__all__" else ""
        parts.append(f"{capfirst(str(label))}: {' '.join(messages)}" if label else " ".join(messages))
    return " ".join(parts)
