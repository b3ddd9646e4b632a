"""Partners, the programs they belong to, and the ordered tiers of each program."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from prm.lib.money import AMOUNT_DECIMALS, AMOUNT_DIGITS
from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel


class Kpi(models.TextChoices):
    """The measures of a partner scorecard (values of ``Scorecard.values`` and tier rules)."""

    REVENUE_12M = "revenue_12m", _("Revenue, last 12 months")
    CERTIFIED_PEOPLE = "certified_people", _("Certified people")
    DEALS_SUBMITTED = "deals_submitted", _("Deal registrations submitted")
    DEALS_APPROVED = "deals_approved", _("Deal registrations approved")
    DEALS_WON = "deals_won", _("Deals won")
    WIN_RATE = "win_rate", _("Win rate (%)")
    MDF_UTILISATION = "mdf_utilisation", _("MDF utilisation (%)")
    REBATES_EARNED = "rebates_earned", _("Rebates and SPIFs earned")
    MARKETING_ACTIVITIES = "marketing_activities", _("Marketing activities")
    OVERDUE_ONBOARDING = "overdue_onboarding", _("Open overdue onboarding items")


# KPIs where less is better: a tier rule on them is a maximum, not a minimum.
LOWER_IS_BETTER = frozenset({Kpi.OVERDUE_ONBOARDING})


class Program(TenantModel):
    """A partner program of the vendor (e.g. "Resellers"), with its own tiers, agreement and
    onboarding checklist."""

    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False, help_text=_("Applicants join this program by default."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="program_code_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def entry_tier(self) -> Tier | None:
        return self.tiers.order_by("rank").first()


class Tier(TenantModel):
    """A level of a program (Registered < Silver < Gold < Platinum) with its benefits."""

    program = TenantForeignKey(Program, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(max_length=32)
    rank = models.PositiveSmallIntegerField(help_text=_("0 is the entry tier; higher is better."))
    registration_discount_pct = models.DecimalField(
        _("deal registration discount %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    mdf_eligible = models.BooleanField(_("MDF eligible"), default=False)
    rebate_eligible = models.BooleanField(default=False)
    lead_priority = models.PositiveSmallIntegerField(
        default=0, help_text=_("Higher numbers receive leads first.")
    )

    class Meta:
        ordering = ["program", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "program", "rank"], name="tier_rank_unique"),
            models.UniqueConstraint(fields=["tenant", "program", "name"], name="tier_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class TierRequirement(TenantModel):
    """A tier rule: the KPI value a partner needs to hold the tier (e.g. Gold: revenue >= 500,000).
    For KPIs where less is better (overdue onboarding items) the threshold is a maximum."""

    tier = TenantForeignKey(Tier, on_delete=models.CASCADE, related_name="requirements")
    kpi = models.CharField(max_length=32, choices=Kpi.choices)
    # In the KPI's unit: revenue in the tenant's currency (its own minor unit), counts, percentages.
    threshold = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS)

    class Meta:
        ordering = ["tier", "kpi"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "tier", "kpi"], name="tier_requirement_unique")
        ]

    def __str__(self) -> str:
        op = "<=" if self.kpi in LOWER_IS_BETTER else ">="
        return f"{self.tier}: {self.kpi} {op} {self.threshold}"

    @property
    def is_maximum(self) -> bool:
        return self.kpi in LOWER_IS_BETTER

    def is_met(self, value: Decimal) -> bool:
        if self.kpi in LOWER_IS_BETTER:
            return value <= self.threshold
        return value >= self.threshold


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

    # Statuses in which nothing new happens in the partner's name. A suspended partner's people
    # still see their history (read-only); a terminated partner's people cannot sign in.
    BLOCKED_STATUSES = frozenset({Status.SUSPENDED, Status.TERMINATED})
    # Allowed status changes; suspension, termination and reactivation are partners.services.lifecycle.
    TRANSITIONS = {
        Status.PROSPECT: frozenset({Status.ONBOARDING, Status.ACTIVE, Status.TERMINATED}),
        Status.ONBOARDING: frozenset({Status.ACTIVE, Status.SUSPENDED, Status.TERMINATED}),
        Status.ACTIVE: frozenset({Status.SUSPENDED, Status.TERMINATED}),
        Status.SUSPENDED: frozenset({Status.ACTIVE, Status.ONBOARDING, Status.TERMINATED}),
        Status.TERMINATED: frozenset({Status.ACTIVE, Status.ONBOARDING}),
    }

    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=16, choices=Type.choices)
    country = models.CharField(max_length=2, help_text=_("ISO 3166-1 alpha-2"))
    region = models.CharField(max_length=64, blank=True)
    # The tier's name, kept in step with ``current_tier`` by the tier services (other apps read it).
    tier = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    email = models.EmailField(blank=True)
    program = TenantForeignKey(
        Program, on_delete=models.PROTECT, null=True, blank=True, related_name="partners"
    )
    current_tier = TenantForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="partners"
    )
    website = models.URLField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    description = models.TextField(blank=True)
    expertise = models.JSONField(default=list, blank=True, help_text=_("Product categories"))
    revenue_band = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="partner_code_unique")]
        indexes = [models.Index(fields=["tenant", "status"]), models.Index(fields=["tenant", "country"])]
        permissions = [("manage_partner", "Manage an assigned partner")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    PROFILE_FIELDS = ("website", "phone", "address", "city", "postal_code")

    @property
    def is_operating(self) -> bool:
        return self.status not in self.BLOCKED_STATUSES

    @property
    def profile_complete(self) -> bool:
        return all(getattr(self, name) for name in self.PROFILE_FIELDS)


class PartnerUserObjectPermission(UserObjectPermissionBase, TenantModel):
    """Per-object grants on partners (django-guardian direct foreign key), e.g. a channel manager
    assigned to specific partners."""

    content_object = TenantForeignKey(Partner, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        default_manager_name = "objects"
        unique_together: list[
            Sequence[str]
        ] = []  # guardian's (user, permission, object), replaced by the per-tenant one
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "permission", "content_object"],
                name="partner_object_permission_unique",
            )
        ]


class RevenueBand(models.TextChoices):
    UNDER_1M = "lt1m", _("Under 1 million")
    FROM_1M = "1m-10m", _("1 to 10 million")
    FROM_10M = "10m-50m", _("10 to 50 million")
    OVER_50M = "gt50m", _("Over 50 million")
