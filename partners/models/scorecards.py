"""Scorecards (KPI snapshots per partner) and the tier changes they propose."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partners.models.core import Partner, Tier
from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel


class Scorecard(TenantModel):
    """A partner's KPI values as of one day, with the previous period's values for the trend.
    Values are decimal strings keyed by ``Kpi`` codes."""

    partner = TenantForeignKey(Partner, on_delete=models.CASCADE, related_name="scorecards")
    as_of = models.DateField()
    values = models.JSONField(default=dict)
    previous = models.JSONField(default=dict)
    tier = TenantForeignKey(Tier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    qualified_tier = TenantForeignKey(
        Tier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["partner", "-as_of"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner", "as_of"], name="scorecard_partner_day_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner.code} {self.as_of}"


class TierProposal(TenantModel):
    """A promotion or demotion proposed by the scorecard run, decided by a channel manager."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Direction(models.TextChoices):
        PROMOTION = "promotion", _("Promotion")
        DEMOTION = "demotion", _("Demotion")

    partner = TenantForeignKey(Partner, on_delete=models.CASCADE, related_name="tier_proposals")
    from_tier = TenantForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_tier = TenantForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=16, choices=Direction.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    scorecard = TenantForeignKey(
        Scorecard, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner"],
                condition=models.Q(status="pending"),
                name="tier_proposal_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner.code}: {self.from_tier} -> {self.to_tier}"
