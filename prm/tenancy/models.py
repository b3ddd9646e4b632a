"""Tenants, their host names, and the base class of every tenant-owned model."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from prm.lib.colours import DARK_TEXT, text_on
from prm.tenancy.context import require_tenant
from prm.tenancy.hosts import absolute_url

currency_validator = RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code, e.g. USD."))
colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a hex colour such as #0d6efd."))


class Tenant(models.Model):
    """A vendor running a partner program on the platform."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    base_currency = models.CharField(max_length=3, validators=[currency_validator])
    default_language = models.CharField(max_length=8, default="en")
    time_zone = models.CharField(max_length=64, default="UTC")
    display_name = models.CharField(max_length=200, blank=True)
    logo = models.FileField(upload_to="tenant-logos/", blank=True)
    primary_colour = models.CharField(max_length=7, default="#0d6efd", validators=[colour_validator])
    accent_colour = models.CharField(max_length=7, default="#0d6efd", validators=[colour_validator])
    # Where replies to the portal's e-mails go (the sender stays the platform's own address).
    notification_reply_to = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def brand_name(self) -> str:
        return self.display_name or self.name

    @property
    def brand_is_light(self) -> bool:
        """Whether dark text reads better than white on the brand colour (the top bar's scheme)."""
        return text_on(self.primary_colour) == DARK_TEXT

    @property
    def branding_version(self) -> str:
        """Changes whenever the colours or the logo change: the branding URLs carry it, so that
        browsers may cache them and still see a change at once."""
        material = f"{self.primary_colour}|{self.accent_colour}|{self.logo.name if self.logo else ''}"
        return hashlib.sha256(material.encode()).hexdigest()[:10]

    def primary_domain(self) -> str:
        domain = self.domains.filter(is_primary=True).first() or self.domains.first()
        return domain.host if domain else ""

    def portal_url(self, path: str = "/") -> str:

        return absolute_url(self.primary_domain(), path)


class Domain(models.Model):
    """A host name that serves one tenant's portal (`<slug>.<base domain>` or a custom domain)."""

    host = models.CharField(max_length=253, unique=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="domains")
    is_primary = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.host

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.host = self.host.lower().strip().rstrip(".")
        super().save(*args, **kwargs)


class TenantManager(models.Manager):
    """The one scoped way to reach tenant-owned rows: filters by the current tenant context and
    raises ``TenantContextMissing`` when there is none (fail closed)."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(tenant=require_tenant())


class TenantModel(models.Model):
    """Base of every tenant-owned model: a non-null tenant, set from the context on save.

    Row-level security policies for every subclass are created after each migrate
    (``prm.tenancy.rls``). Its table is distributable by tenant (Citus): primary key
    ``(tenant_id, id)``, foreign keys to other tenant tables on ``(tenant_id, x_id)``, made by the
    database backend and checked by a test (``prm.tenancy.distribution``). Declare unique
    constraints with ``tenant`` first, relations to tenant models with ``TenantForeignKey`` /
    ``TenantOneToOneField`` (``prm.tenancy.fields``); ``prm.tenancy.checks`` warns otherwise.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, editable=False, related_name="+")

    objects = TenantManager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        tenant = require_tenant()
        if self.tenant_id is None:
            self.tenant = tenant
        elif self.tenant_id != tenant.pk:
            raise ValueError(f"{type(self).__name__} belongs to another tenant than the current context.")
        super().save(*args, **kwargs)

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update, returning_fields):
        # The row's database key is (tenant_id, id): name both, so that the UPDATE uses the key
        # and a distributed planner sends it to the tenant's shard.
        return super()._do_update(
            base_qs.filter(tenant_id=self.tenant_id),
            using,
            pk_val,
            values,
            update_fields,
            forced_update,
            returning_fields,
        )
