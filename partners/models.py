"""Partners: the companies in a tenant's channel."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from prm.tenancy.models import TenantModel


class Partner(TenantModel):
    """A distributor, reseller or referral partner of the tenant."""

    class Type(models.TextChoices):
        DISTRIBUTOR = "distributor", _("Distributor")
        RESELLER = "reseller", _("Reseller")
        REFERRAL = "referral", _("Referral")

    class Status(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        ONBOARDING = "onboarding", _("Onboarding")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")

    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=16, choices=Type.choices)
    country = models.CharField(max_length=2, help_text=_("ISO 3166-1 alpha-2"))
    region = models.CharField(max_length=64, blank=True)
    tier = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="partner_code_unique")]
        indexes = [models.Index(fields=["tenant", "status"]), models.Index(fields=["tenant", "country"])]
        permissions = [("manage_partner", "Manage an assigned partner")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PartnerUserObjectPermission(UserObjectPermissionBase, TenantModel):
    """Per-object grants on partners (django-guardian direct foreign key), e.g. a channel manager
    assigned to specific partners."""

    content_object = models.ForeignKey(Partner, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        default_manager_name = "objects"
