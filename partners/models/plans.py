"""Joint business plans: one plan per partner and year, agreed by the vendor's channel manager and
the partner's admin (goals per quarter, initiatives, both sides' comments, sign-off by both)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from partners.models.core import Kpi, Partner
from prm.lib.money import AMOUNT_DECIMALS, AMOUNT_DIGITS
from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel

# The measures a plan can set goals on, in the order the plan shows them (KPI registry codes,
# partners.kpis): what the partner sells, registers, wins, certifies and markets.
PLAN_KPIS: tuple[str, ...] = (
    Kpi.REVENUE_12M,
    Kpi.DEALS_SUBMITTED,
    Kpi.DEALS_WON,
    Kpi.CERTIFIED_PEOPLE,
    Kpi.MARKETING_ACTIVITIES,
)
# Goals on these are amounts in the plan's currency; the others are counts.
MONEY_KPIS = frozenset({Kpi.REVENUE_12M})
# How a plan names them (the scorecard's "Revenue, last 12 months" is, for a quarter, its revenue).
PLAN_KPI_LABELS: dict[str, str | Promise] = {
    Kpi.REVENUE_12M: _("Revenue (POS, net)"),
    Kpi.DEALS_SUBMITTED: _("Deal registrations"),
    Kpi.DEALS_WON: _("Deals won"),
    Kpi.CERTIFIED_PEOPLE: _("Certified people"),
    Kpi.MARKETING_ACTIVITIES: _("Marketing activities"),
}
QUARTERS = (1, 2, 3, 4)


class BusinessPlan(TenantModel):
    """The year's plan of one partner: what both sides commit to per quarter. It is in force once
    the vendor's channel manager and the partner's admin have both signed it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PROPOSED = "proposed", _("Proposed for sign-off")
        SIGNED = "signed", _("Signed by both")

    # Allowed moves: propose, sign (both signatures), reopen (back to draft, signatures cleared).
    TRANSITIONS = {
        Status.DRAFT: frozenset({Status.PROPOSED}),
        Status.PROPOSED: frozenset({Status.SIGNED, Status.DRAFT}),
        Status.SIGNED: frozenset({Status.DRAFT}),
    }
    # Goals and the summary change only while the plan is not in force.
    EDITABLE = (Status.DRAFT, Status.PROPOSED)

    partner = TenantForeignKey(Partner, on_delete=models.PROTECT, related_name="business_plans")
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    summary = models.TextField(_("objectives"), blank=True)
    # The tenant's base currency when the plan was made: revenue goals and progress are in it.
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    vendor_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    vendor_signed_at = models.DateTimeField(null=True, blank=True)
    partner_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    partner_signed_at = models.DateTimeField(null=True, blank=True)
    # The quarter ("2026-Q1") whose review both sides were last reminded of (once per quarter).
    review_reminded_for = models.CharField(max_length=7, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "partner__code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "partner", "year"], name="business_plan_partner_year")
        ]
        indexes = [models.Index(fields=["tenant", "year", "status"])]

    def __str__(self) -> str:
        return f"{self.partner.code} {self.year}"

    @property
    def signature_count(self) -> int:
        return int(self.vendor_signed_at is not None) + int(self.partner_signed_at is not None)


class PlanGoal(TenantModel):
    """A target for one KPI in one quarter of the plan (revenue in the plan's currency, else a
    count); progress comes from the KPI registry, never typed in."""

    plan = TenantForeignKey(BusinessPlan, on_delete=models.CASCADE, related_name="goals")
    quarter = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(4)])
    kpi = models.CharField(max_length=32, choices=Kpi.choices)
    target = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS)
    # The plan's currency for money KPIs; empty for counts.
    currency = models.CharField(max_length=3, blank=True)

    class Meta:
        ordering = ["plan", "quarter", "kpi"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "plan", "quarter", "kpi"], name="plan_goal_unique"),
            models.CheckConstraint(
                condition=models.Q(quarter__gte=1, quarter__lte=4), name="plan_goal_quarter"
            ),
            models.CheckConstraint(condition=models.Q(target__gte=0), name="plan_goal_target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} Q{self.quarter} {self.kpi}"

    @property
    def audit_partner_id(self) -> int:
        return self.plan.partner_id


class PlanInitiative(TenantModel):
    """Something one side does to reach the goals (a joint campaign, a training day), with an
    owner from either side and a due date."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    TRANSITIONS = {Status.OPEN: frozenset({Status.DONE}), Status.DONE: frozenset({Status.OPEN})}

    plan = TenantForeignKey(BusinessPlan, on_delete=models.CASCADE, related_name="initiatives")
    title = models.CharField(_("initiative"), max_length=200)
    owner = TenantForeignKey(
        "prm.Membership", on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_partner_id(self) -> int:
        return self.plan.partner_id


class PlanComment(TenantModel):
    """A remark by one side on the plan. Append-only: never edited, never deleted."""

    class Side(models.TextChoices):
        VENDOR = "vendor", _("Vendor")
        PARTNER = "partner", _("Partner")

    plan = TenantForeignKey(BusinessPlan, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=8, choices=Side.choices)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.plan} · {self.author}"

    @property
    def audit_partner_id(self) -> int:
        return self.plan.partner_id
