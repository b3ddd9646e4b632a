"""Territories: how a tenant divides its market. Each has rules (countries, regions, postal-code
prefixes, industries, named accounts), an order of precedence, vendor owners (channel managers
who review its registrations and work its co-sell requests) and member partners (who get its
leads). ``partners.territories.territory_for`` decides which territory a deal or lead falls in."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel


class Territory(TenantModel):
    """A part of the tenant's market. An empty rule list means "any"; a territory with no rule at
    all (and no named account) is a catch-all. Named accounts are the most specific rule: a
    customer on a territory's named-account list falls in it whatever its geography."""

    name = models.CharField(_("name"), max_length=120)
    precedence = models.PositiveIntegerField(
        _("precedence"), default=100, help_text=_("Lower numbers are tried first.")
    )
    countries = models.JSONField(_("countries"), default=list, blank=True)
    regions = models.JSONField(_("regions"), default=list, blank=True)
    postal_prefixes = models.JSONField(_("postal-code prefixes"), default=list, blank=True)
    industries = models.JSONField(_("industries"), default=list, blank=True)
    # End customers as registrations name them: legal names (compared normalised) or web domains.
    named_accounts = models.JSONField(_("named accounts"), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["precedence", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="territory_name_unique")]

    def __str__(self) -> str:
        return self.name


class TerritoryOwner(TenantModel):
    """A vendor person (channel manager or admin) who owns a territory."""

    territory = TenantForeignKey(Territory, on_delete=models.CASCADE, related_name="owners")
    membership = TenantForeignKey("prm.Membership", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "territory", "membership"], name="territory_owner_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.territory_id}/{self.membership_id}"


class TerritoryPartner(TenantModel):
    """A partner that covers a territory (lead routing offers it the territory's leads)."""

    territory = TenantForeignKey(Territory, on_delete=models.CASCADE, related_name="members")
    partner = TenantForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="territory_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "territory", "partner"], name="territory_partner_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.territory_id}/{self.partner_id}"
