"""Lead distribution: leads, the routing rules that pick a partner, and each offer to a partner."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deals.models.settings import DealSettings
from prm.lib.money import AMOUNT_DECIMALS, AMOUNT_DIGITS
from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel, currency_validator


class Lead(TenantModel):
    """A prospect the vendor hands to a partner: routed by rules, accepted or declined."""

    class Status(models.TextChoices):
        NEW = "new", _("New (vendor queue)")
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned to vendor")
        CLOSED = "closed", _("Closed")

    reference = models.CharField(max_length=64, blank=True, help_text=_("External id (imports match on it)."))
    company = models.CharField(max_length=200)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    domain = models.CharField(max_length=253, blank=True)
    country = models.CharField(max_length=2)
    region = models.CharField(max_length=64, blank=True)
    # Postal code and industry place the lead in a territory (partners.territories) that is
    # drawn by postal-code prefixes or industries, not only by country and region.
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    industry = models.CharField(_("industry"), max_length=64, blank=True)
    product_interest = models.CharField(_("product line"), max_length=100)
    value = models.DecimalField(
        max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, default=Decimal("0")
    )
    currency = models.CharField(max_length=3, validators=[currency_validator])
    source = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    partner = TenantForeignKey(
        "partners.Partner",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
        help_text=_("The partner currently offered or owning the lead."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    offer_due_at = models.DateTimeField(null=True, blank=True)
    routing_note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "status"]),
            models.Index(fields=["tenant", "partner", "status"]),
            models.Index(fields=["tenant", "offer_due_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "reference"],
                condition=~models.Q(reference=""),
                name="lead_reference_unique",
            )
        ]

    def __str__(self) -> str:
        return f"L-{self.pk} {self.company}"


class RoutingRule(TenantModel):
    """One step of lead routing. Rules are tried in ``position`` order; the first whose scope
    (countries, regions, product lines) matches the lead picks among the eligible partners."""

    position = models.PositiveIntegerField(default=10)
    name = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)
    countries = models.JSONField(default=list, blank=True)
    regions = models.JSONField(default=list, blank=True)
    product_lines = models.JSONField(default=list, blank=True)
    match_territory = models.BooleanField(
        default=True, help_text=_("Only partners in the lead's country or region.")
    )
    require_expertise = models.BooleanField(
        default=True, help_text=_("Only partners with expertise in the lead's product line.")
    )
    min_tier = models.CharField(max_length=32, blank=True)
    max_open_leads = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Empty: the tenant default.")
    )
    distribution = models.CharField(
        max_length=16,
        choices=DealSettings.Distribution.choices,
        default=DealSettings.Distribution.ROUND_ROBIN,
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class LeadAssignment(TenantModel):
    """One offer of a lead to a partner and how it ended (accepted, declined, timed out)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        TIMED_OUT = "timed_out", _("Timed out")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    lead = TenantForeignKey(Lead, on_delete=models.CASCADE, related_name="assignments")
    partner = TenantForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="lead_assignments")
    rule = TenantForeignKey(RoutingRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=300)
    offered_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decline_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["offered_at", "id"]
        indexes = [models.Index(fields=["tenant", "partner", "outcome"])]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "lead"],
                condition=models.Q(outcome="pending"),
                name="lead_one_pending_offer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.lead} -> {self.partner}"
