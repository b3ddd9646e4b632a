"""MDF and co-op funds (DOMAIN.md, "MDF and co-op funds"): funds with a budget per period, an
append-only ledger per partner and fund from which every balance is derived, fund requests with
multi-level approval, and claims with proof of performance that become payables."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from prm.lib.money import AMOUNT_DECIMALS, AMOUNT_DIGITS
from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel, currency_validator

DEFAULT_PARTICIPATION_PCT = Decimal("50")
DEFAULT_LEAD_DAYS = 10
DEFAULT_CLAIM_DEADLINE_DAYS = 60
DEFAULT_LEVEL1_LIMIT = Decimal("5000")
DEFAULT_LEVEL2_LIMIT = Decimal("25000")
EXPIRY_WARNING_DAYS = 30


def _amount(label=None, **kwargs) -> models.DecimalField:
    return models.DecimalField(label, max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, **kwargs)


def _pct(label, default: Decimal) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=6,
        decimal_places=3,
        default=default,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )


class ActivityType(models.TextChoices):
    EVENT = "event", _("Event")
    TRADE_SHOW = "trade_show", _("Trade show")
    DIGITAL = "digital", _("Digital campaign")
    PRINT = "print", _("Print")
    WEBINAR = "webinar", _("Webinar")
    TRAINING = "training", _("Training")
    OTHER = "other", _("Other")


class ProofKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    SCREENSHOT = "screenshot", _("Dated screenshot")
    PHOTO = "photo", _("Photos")
    ATTENDEES = "attendees", _("Attendee list")
    TEAR_SHEET = "tear_sheet", _("Tear sheet")
    OTHER = "other", _("Other document")


# Proof of performance each activity type needs (an invoice always).
REQUIRED_PROOF: dict[str, tuple[str, ...]] = {
    ActivityType.EVENT: (ProofKind.INVOICE, ProofKind.PHOTO, ProofKind.ATTENDEES),
    ActivityType.TRADE_SHOW: (ProofKind.INVOICE, ProofKind.PHOTO, ProofKind.ATTENDEES),
    ActivityType.DIGITAL: (ProofKind.INVOICE, ProofKind.SCREENSHOT),
    ActivityType.PRINT: (ProofKind.INVOICE, ProofKind.TEAR_SHEET),
    ActivityType.WEBINAR: (ProofKind.INVOICE, ProofKind.ATTENDEES),
    ActivityType.TRAINING: (ProofKind.INVOICE, ProofKind.ATTENDEES),
    ActivityType.OTHER: (ProofKind.INVOICE,),
}


class FundSettings(TenantModel):
    """The tenant's approval levels for fund requests (amounts in the tenant's base currency):
    channel managers approve up to ``level1_limit``, marketing managers up to ``level2_limit``,
    vendor admins above."""

    level1_limit = _amount(_("channel manager approves up to"), default=DEFAULT_LEVEL1_LIMIT)
    level2_limit = _amount(_("marketing manager approves up to"), default=DEFAULT_LEVEL2_LIMIT)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="fund_settings_once"),
            models.CheckConstraint(
                condition=Q(level1_limit__gte=0, level2_limit__gte=models.F("level1_limit")),
                name="fund_levels_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"fund settings {self.tenant_id}"


class Fund(TenantModel):
    """A marketing development fund (discretionary allocations) or a co-op fund (accrued as a
    percentage of each partner's net POS sales), in one currency, for the eligible tiers."""

    class Kind(models.TextChoices):
        MDF = "mdf", _("MDF (discretionary)")
        COOP = "coop", _("Co-op (accrued from sales)")

    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.MDF)
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator])
    participation_pct = _pct(_("participation %"), DEFAULT_PARTICIPATION_PCT)
    accrual_pct = _pct(_("co-op accrual % of net sales"), Decimal("0"))
    lead_days = models.PositiveIntegerField(
        _("submit at least (days before the activity)"), default=DEFAULT_LEAD_DAYS
    )
    claim_deadline_days = models.PositiveIntegerField(
        _("claim deadline (days after the activity ends)"), default=DEFAULT_CLAIM_DEADLINE_DAYS
    )
    # Activity types this fund pays for (empty: every type).
    activity_types = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="fund_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def allows(self, activity_type: str) -> bool:
        return not self.activity_types or activity_type in self.activity_types


class FundTier(TenantModel):
    """A tier whose partners may receive money from the fund (only tiers whose benefits include MDF)."""

    fund = TenantForeignKey(Fund, on_delete=models.CASCADE, related_name="eligible_tiers")
    tier = TenantForeignKey("partners.Tier", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "fund", "tier"], name="fund_tier_once")]

    def __str__(self) -> str:
        return f"{self.fund_id}/{self.tier_id}"


class FundPeriod(TenantModel):
    """A quarter or year of a fund with its budget: what is allocated or accrued in it never
    adds up to more than the budget (checked under a lock on this row)."""

    fund = TenantForeignKey(Fund, on_delete=models.PROTECT, related_name="periods")
    name = models.CharField(_("name"), max_length=40)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    budget = _amount(_("budget"))
    expires_on = models.DateField(_("allocations expire on"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["fund_id", "-start"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "fund", "start"], name="fund_period_once"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="fund_period_dates"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="fund_period_budget"),
        ]

    def __str__(self) -> str:
        return f"{self.name}"


class FundAccount(TenantModel):
    """A partner's account in a fund. It holds no amounts: its balances are derived from the
    ledger. Every write that can lower a balance locks this row first."""

    fund = TenantForeignKey(Fund, on_delete=models.PROTECT, related_name="accounts")
    partner = TenantForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="fund_accounts")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["fund_id", "partner_id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "fund", "partner"], name="fund_account_once")
        ]

    def __str__(self) -> str:
        return f"{self.fund_id}/{self.partner_id}"


class EntryKind(models.TextChoices):
    ALLOCATED = "allocated", _("Allocated")
    ACCRUED = "accrued", _("Accrued")
    COMMITTED = "committed", _("Committed")
    CLAIMED = "claimed", _("Claimed")
    PAID = "paid", _("Paid")
    RELEASED = "released", _("Released")
    EXPIRED = "expired", _("Expired")
    REVERSED = "reversed", _("Reversed")


class LedgerEntry(TenantModel):
    """One movement of a partner's fund money. Append-only (a trigger refuses UPDATE and DELETE);
    a correction is a ``reversed`` entry naming the entry it undoes (in part or whole).

    available = allocated + accrued - committed + released - expired
    committed (open) = committed - claimed - released
    claimed (unpaid) = claimed - paid
    each kind counted net of its reversals."""

    class Source(models.TextChoices):
        DISCRETIONARY = "discretionary", _("Discretionary")
        TIER = "tier", _("Bulk by tier")
        ACCRUAL = "accrual", _("Co-op accrual")

    account = TenantForeignKey(FundAccount, on_delete=models.PROTECT, related_name="entries", db_index=False)
    fund = TenantForeignKey(Fund, on_delete=models.PROTECT, related_name="+", db_index=False)
    partner = TenantForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+", db_index=False)
    period = TenantForeignKey(
        FundPeriod, on_delete=models.PROTECT, null=True, blank=True, related_name="entries", db_index=False
    )
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    amount = _amount(_("amount"))
    currency = models.CharField(max_length=3, validators=[currency_validator])
    source = models.CharField(max_length=16, choices=Source.choices, blank=True)
    expires_on = models.DateField(null=True, blank=True)  # allocations and accruals
    effective_on = models.DateField()
    request = TenantForeignKey(
        "FundRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="entries", db_index=False
    )
    claim = TenantForeignKey(
        "FundClaim", on_delete=models.PROTECT, null=True, blank=True, related_name="entries", db_index=False
    )
    reverses = TenantForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversals", db_index=False
    )
    reverses_kind = models.CharField(max_length=12, choices=EntryKind.choices, blank=True)
    # Idempotency key of entries that jobs post (accruals, expiries, payments, bulk allocations).
    key = models.CharField(max_length=120, blank=True)
    memo = models.CharField(max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)  # how the amount was computed
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account_id", "id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fund_entry_positive"),
            models.CheckConstraint(
                condition=(Q(kind="reversed") & Q(reverses__isnull=False) & ~Q(reverses_kind=""))
                | (~Q(kind="reversed") & Q(reverses__isnull=True) & Q(reverses_kind="")),
                name="fund_entry_reversal_names_entry",
            ),
            models.UniqueConstraint(
                fields=["tenant", "key"], condition=~Q(key=""), name="fund_entry_key_once"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "account", "kind"], name="fund_entry_account"),
            models.Index(fields=["tenant", "period", "kind"], name="fund_entry_period"),
            models.Index(fields=["tenant", "fund", "effective_on"], name="fund_entry_fund_day"),
            models.Index(
                fields=["tenant", "request"], name="fund_entry_request", condition=Q(request__isnull=False)
            ),
            models.Index(
                fields=["tenant", "claim"], name="fund_entry_claim", condition=Q(claim__isnull=False)
            ),
            models.Index(
                fields=["tenant", "reverses"], name="fund_entry_reverses", condition=Q(reverses__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency}"

    @property
    def effective_kind(self) -> str:
        return self.reverses_kind if self.kind == EntryKind.REVERSED else self.kind


class ApprovalLevel(models.IntegerChoices):
    CHANNEL_MANAGER = 1, _("Channel manager")
    MARKETING_MANAGER = 2, _("Marketing manager")
    VENDOR_ADMIN = 3, _("Vendor admin")


class FundRequest(TenantModel):
    """A partner's request for money from a fund for a marketing activity. Approved at the
    level its amount needs (each level approves, rejects, asks for changes or approves less);
    the final approval commits the approved amount in the ledger."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Pending approval")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")
        LAPSED = "lapsed", _("Lapsed (no claim in time)")

    TRANSITIONS = {
        Status.DRAFT: {Status.PENDING, Status.CANCELLED},
        Status.PENDING: {Status.PENDING, Status.APPROVED, Status.REJECTED, Status.CHANGES_REQUESTED},
        Status.CHANGES_REQUESTED: {Status.PENDING, Status.CANCELLED},
        Status.APPROVED: {Status.COMPLETED, Status.LAPSED, Status.CANCELLED},
        Status.REJECTED: set(),
        Status.CANCELLED: set(),
        Status.COMPLETED: set(),
        Status.LAPSED: set(),
    }
    EDITABLE = (Status.DRAFT, Status.CHANGES_REQUESTED)

    fund = TenantForeignKey(Fund, on_delete=models.PROTECT, related_name="requests")
    partner = TenantForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="fund_requests")
    account = TenantForeignKey(FundAccount, on_delete=models.PROTECT, related_name="requests")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    activity_type = models.CharField(_("activity type"), max_length=16, choices=ActivityType.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    start_date = models.DateField(_("activity starts"))
    end_date = models.DateField(_("activity ends"))
    audience = models.CharField(_("audience"), max_length=200, blank=True)
    estimated_cost = _amount(_("estimated cost"))
    requested_amount = _amount(_("requested amount"))
    expected_leads = models.PositiveIntegerField(_("expected leads"), default=0)
    currency = models.CharField(max_length=3, validators=[currency_validator])
    level = models.PositiveSmallIntegerField(
        choices=ApprovalLevel.choices, default=ApprovalLevel.CHANNEL_MANAGER
    )
    approved_amount = _amount(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="fund_request_dates"
            ),
            models.CheckConstraint(
                condition=Q(estimated_cost__gt=0, requested_amount__gt=0), name="fund_request_amounts"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "level"]),
            models.Index(fields=["tenant", "partner", "status"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"FR-{self.pk or 0:06d}"

    @property
    def claim_deadline(self) -> datetime.date:
        return self.end_date + datetime.timedelta(days=self.fund.claim_deadline_days)


class RequestDecision(TenantModel):
    """One approver's step on a request (approve, escalate, reject, ask for changes), with the
    level it was taken at and on whose behalf (delegation)."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        ESCALATE = "escalate", _("Approved, moved to the next level")
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")
        CHANGES = "changes", _("Changes requested")
        CANCEL = "cancel", _("Cancelled")

    request = TenantForeignKey(FundRequest, on_delete=models.CASCADE, related_name="decisions")
    action = models.CharField(max_length=12, choices=Action.choices)
    level = models.PositiveSmallIntegerField(choices=ApprovalLevel.choices, null=True, blank=True)
    amount = _amount(null=True, blank=True)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}:{self.action}"


class Delegation(TenantModel):
    """While an approver is away, another staff member acts with the approver's level (the
    decisions record on whose behalf)."""

    delegator = TenantForeignKey("prm.Membership", on_delete=models.CASCADE, related_name="+")
    delegate = TenantForeignKey("prm.Membership", on_delete=models.CASCADE, related_name="+")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="delegation_dates"),
            models.CheckConstraint(condition=~Q(delegator=models.F("delegate")), name="delegation_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.delegator_id}->{self.delegate_id}"


class FundClaim(TenantModel):
    """The partner's claim after an approved activity: actual cost, results and proof of
    performance. Approval posts "claimed" (and releases the unused commitment) and creates the
    payable; the reimbursement is min(actual cost x participation %, approved amount, available)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft (add proof)")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for more proof")
        APPROVED = "approved", _("Approved")
        PARTIALLY_APPROVED = "partially_approved", _("Partially approved")
        REJECTED = "rejected", _("Rejected")
        PAID = "paid", _("Paid")

    TRANSITIONS = {
        Status.DRAFT: {Status.SUBMITTED},
        Status.SUBMITTED: {Status.APPROVED, Status.PARTIALLY_APPROVED, Status.REJECTED, Status.RETURNED},
        Status.RETURNED: {Status.SUBMITTED},
        Status.APPROVED: {Status.PAID},
        Status.PARTIALLY_APPROVED: {Status.PAID},
        Status.REJECTED: set(),
        Status.PAID: set(),
    }
    OPEN = (Status.DRAFT, Status.SUBMITTED, Status.RETURNED)
    APPROVED_STATES = (Status.APPROVED, Status.PARTIALLY_APPROVED, Status.PAID)

    request = TenantForeignKey(FundRequest, on_delete=models.PROTECT, related_name="claims")
    partner = TenantForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="fund_claims")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    actual_cost = _amount(_("actual cost"))
    currency = models.CharField(max_length=3, validators=[currency_validator])
    leads = models.PositiveIntegerField(_("leads"), default=0)
    attendees = models.PositiveIntegerField(_("attendees"), default=0)
    impressions = models.PositiveBigIntegerField(_("impressions"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    reimbursement = _amount(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    payable = TenantForeignKey(
        "prm.Payable", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One live claim per request (a rejected one is final; a returned one is the same claim).
            models.UniqueConstraint(
                fields=["tenant", "request"], condition=~Q(status="rejected"), name="fund_claim_once"
            ),
            models.CheckConstraint(condition=Q(actual_cost__gt=0), name="fund_claim_cost"),
        ]
        indexes = [
            models.Index(fields=["tenant", "status"]),
            models.Index(fields=["tenant", "partner", "status"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"FC-{self.pk or 0:06d}"


class ProofFile(TenantModel):
    """A proof-of-performance file, checked by content and size for its requirement, stored under
    a generated name in the tenant's area and served only through a permission-checked view."""

    claim = TenantForeignKey(FundClaim, on_delete=models.CASCADE, related_name="proofs")
    requirement = models.CharField(max_length=16, choices=ProofKind.choices)
    original_name = models.CharField(max_length=200)
    path = models.CharField(max_length=500)
    content_type = models.CharField(max_length=120)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    captured_on = models.DateField(_("date shown"), null=True, blank=True)  # dated screenshots
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim_id", "requirement", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def audit_partner_id(self) -> int:
        """The claim's partner: the partner's history lists this file's events."""
        return self.claim.partner_id


class ActivityLink(TenantModel):
    """A lead or deal registration that came from a funded activity: the fund's return."""

    request = TenantForeignKey(FundRequest, on_delete=models.CASCADE, related_name="links")
    registration = TenantForeignKey(
        "deals.DealRegistration", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    lead = TenantForeignKey("deals.Lead", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(registration__isnull=False, lead__isnull=True)
                | Q(registration__isnull=True, lead__isnull=False),
                name="activity_link_one_target",
            ),
            models.UniqueConstraint(
                fields=["tenant", "registration"],
                condition=Q(registration__isnull=False),
                name="activity_link_deal_once",
            ),
            models.UniqueConstraint(
                fields=["tenant", "lead"], condition=Q(lead__isnull=False), name="activity_link_lead_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}"

    @property
    def audit_partner_id(self) -> int:
        """The request's partner: the partner's history lists this link's events."""
        return self.request.partner_id


class ExpiryWarning(TenantModel):
    """That the partner was told that money in an account expires on a day (once per day and account)."""

    account = TenantForeignKey(FundAccount, on_delete=models.CASCADE, related_name="+")
    expires_on = models.DateField()
    amount = _amount()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "account", "expires_on"], name="fund_expiry_warning_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id}@{self.expires_on}"
