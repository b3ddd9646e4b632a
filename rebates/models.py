"""Rebates and SPIFs (DOMAIN.md, "Rebates and SPIFs"): versioned programs, calculation runs that
store one explainable accrual per partner (and rep), and settlements that turn the due amounts of a
frozen run into payables (true-ups and clawbacks being new settlement lines, never rewrites)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from prm.lib.money import AMOUNT_DECIMALS, AMOUNT_DIGITS, RATE_DECIMALS, RATE_DIGITS
from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel, currency_validator

# Measures hold converted revenue exactly (before the period total is rounded) or quantities.
MEASURE_DIGITS = 40
MEASURE_DECIMALS = 16


class Method(models.TextChoices):
    FLAT = "flat", _("Flat rate")
    RETROACTIVE = "retroactive", _("Retroactive tiers")
    INCREMENTAL = "incremental", _("Incremental tiers")
    GROWTH = "growth", _("Growth over a baseline")
    PER_UNIT = "per_unit", _("Per unit or per won deal (SPIF)")


class Basis(models.TextChoices):
    REVENUE = "revenue", _("POS revenue")
    QUANTITY = "quantity", _("POS quantity")
    DEAL_COUNT = "deal_count", _("Won deals (count)")
    DEAL_VALUE = "deal_value", _("Won deals (value)")


POS_BASES = (Basis.REVENUE, Basis.QUANTITY)
DEAL_BASES = (Basis.DEAL_COUNT, Basis.DEAL_VALUE)


class RebateProgram(TenantModel):
    """A rebate or SPIF program. Its terms live in versions (``ProgramVersion``): editing an active
    program adds a version, and every calculation names the version it used. The columns here
    copy the current version's headline terms for lists and filters."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")

    TRANSITIONS = {
        Status.DRAFT: {Status.ACTIVE, Status.ARCHIVED},
        Status.ACTIVE: {Status.ARCHIVED},
        Status.ARCHIVED: set(),
    }

    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)  # the current version
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator])
    start_date = models.DateField(_("period start"))
    end_date = models.DateField(_("period end"))
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    basis = models.CharField(_("basis"), max_length=16, choices=Basis.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date", "code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="rebate_program_code_unique"),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="rebate_program_dates"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "status"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_spif(self) -> bool:
        return self.method == Method.PER_UNIT


class ProgramVersion(TenantModel):
    """The full terms of a program at one version: the INTERFACES.md JSON definition, exactly as
    exported (the calculation reads its tiers, scope, eligibility, caps and rounding from here)."""

    program = TenantForeignKey(RebateProgram, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    definition = models.JSONField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "program", "version"], name="rebate_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.program_id} v{self.version}"


class RepOptIn(TenantModel):
    """A partner admin's consent that the partner's reps are paid their own SPIFs (per-won-deal
    programs whose payee is the rep). Without it SPIFs are paid to the partner."""

    partner = TenantForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="+")
    enabled = models.BooleanField(default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "partner"], name="rebate_rep_opt_in_once")]

    def __str__(self) -> str:
        return f"{self.partner_id}: {self.enabled}"


class CalculationRun(TenantModel):
    """One calculation of a program version over the loaded POS lines (or won deals) as they were:
    its accruals are never changed afterwards. A run that a period close uses is frozen."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    TRANSITIONS = {
        Status.QUEUED: {Status.RUNNING, Status.FAILED},
        Status.RUNNING: {Status.SUCCEEDED, Status.FAILED},
        Status.SUCCEEDED: set(),
        Status.FAILED: set(),
    }

    program = TenantForeignKey(RebateProgram, on_delete=models.PROTECT, related_name="runs")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    currency = models.CharField(max_length=3, validators=[currency_validator])
    as_of = models.DateField()  # the last invoice / close date counted (the period end at most)
    # The POS line watermark (posdata.watermark) the run read up to: its accruals count exactly
    # the lines in their scope with ids up to it, so a statement lists the same lines however
    # much is loaded later. None for runs over won deals.
    pos_lines_to = models.BigIntegerField(null=True, blank=True)
    frozen = models.BooleanField(default=False)
    partners = models.PositiveIntegerField(default=0)
    source_lines = models.BigIntegerField(default=0)
    total_earned = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, default=0)
    total_due = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, default=0)
    fx_rates = models.JSONField(default=list, blank=True)  # the rates used (pair, date, source, id)
    error = models.TextField(blank=True)
    job = TenantForeignKey("prm.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "program", "status"])]

    def __str__(self) -> str:
        return f"RUN-{self.pk:06d}" if self.pk else "RUN-new"

    @property
    def reference(self) -> str:
        return str(self)


class Accrual(TenantModel):
    """What one partner (or one of its reps, for SPIFs paid to reps) earned in one run, with
    everything needed to explain it: the source POS lines or deals, the measure, the tier
    reached and its rate, the bands (incremental), caps, minimum and rounding applied, and what
    was already approved before (``due`` = ``earned`` - ``paid_before``)."""

    class Source(models.TextChoices):
        POS = "pos", _("POS lines")
        DEALS = "deals", _("Won deals")

    run = TenantForeignKey(CalculationRun, on_delete=models.CASCADE, related_name="accruals")
    program = TenantForeignKey(RebateProgram, on_delete=models.PROTECT, related_name="+", db_index=False)
    partner = TenantForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+", db_index=False)
    payee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    currency = models.CharField(max_length=3)
    source = models.CharField(max_length=8, choices=Source.choices)
    # Won deals are named by id. POS lines (thousands per partner; ids would cost several times
    # the calculation) are named by the accrual's scope (partner, period, products) and the run's
    # watermark (``CalculationRun.pos_lines_to``); the statement lists them again and checks that
    # they still add up to the count and measure (a replaced period deletes lines).
    source_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    source_count = models.IntegerField(default=0)
    measure = models.DecimalField(max_digits=MEASURE_DIGITS, decimal_places=MEASURE_DECIMALS)
    # The revenue the accrual covers, in the program currency: the measure of revenue-based
    # programs; for quantity bases the converted amount of the same lines or deals (None when a
    # rate to convert them is missing: a quantity program needs none to pay).
    revenue = models.DecimalField(
        max_digits=MEASURE_DIGITS, decimal_places=MEASURE_DECIMALS, null=True, blank=True
    )
    baseline = models.DecimalField(
        max_digits=MEASURE_DIGITS, decimal_places=MEASURE_DECIMALS, null=True, blank=True
    )
    counted = models.DecimalField(max_digits=MEASURE_DIGITS, decimal_places=MEASURE_DECIMALS)
    tier = models.SmallIntegerField(null=True, blank=True)  # index of the tier reached (0 = first)
    tier_from = models.DecimalField(
        max_digits=MEASURE_DIGITS, decimal_places=MEASURE_DECIMALS, null=True, blank=True
    )
    rate = models.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_DECIMALS, null=True, blank=True)
    bands = models.JSONField(default=list, blank=True)  # [{"from", "to", "measure", "rate", "amount"}]
    raw_earned = models.DecimalField(max_digits=MEASURE_DIGITS, decimal_places=MEASURE_DECIMALS)
    capped = models.BooleanField(default=False)
    below_minimum = models.BooleanField(default=False)
    earned = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS)
    paid_before = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, default=0)
    due = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, default=0)

    class Meta:
        ordering = ["run_id", "partner__code", "payee_user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "run", "partner", "payee_user"],
                name="rebate_accrual_once",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["tenant", "partner", "program"], name="rebate_accrual_partner")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.partner_id}"


class Settlement(TenantModel):
    """A period close of a program: finance freezes a run and, once the settlement is approved,
    each line's due amount (earned to date - approved before) becomes a payable; a negative due
    is a clawback netted against the next payment."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    TRANSITIONS = {
        Status.PENDING: {Status.APPROVED, Status.REJECTED},
        Status.APPROVED: set(),
        Status.REJECTED: set(),
    }

    program = TenantForeignKey(RebateProgram, on_delete=models.PROTECT, related_name="settlements")
    run = TenantForeignKey(CalculationRun, on_delete=models.PROTECT, related_name="settlements")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    period_end = models.DateField()
    currency = models.CharField(max_length=3)
    total_due = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, default=0)
    note = models.TextField(blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-closed_at", "-id"]
        constraints = [
            # One settlement of a program awaits approval at a time.
            models.UniqueConstraint(
                fields=["tenant", "program"],
                condition=Q(status="pending"),
                name="rebate_settlement_pending_once",
            )
        ]

    def __str__(self) -> str:
        return f"SET-{self.pk:06d}" if self.pk else "SET-new"

    @property
    def reference(self) -> str:
        return str(self)


class SettlementLine(TenantModel):
    """One partner's (or rep's) line of a settlement: earned to date, approved before and the
    difference now due (a true-up when positive, a clawback when negative)."""

    settlement = TenantForeignKey(Settlement, on_delete=models.CASCADE, related_name="lines")
    program = TenantForeignKey(RebateProgram, on_delete=models.PROTECT, related_name="+", db_index=False)
    accrual = TenantForeignKey(Accrual, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    partner = TenantForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+", db_index=False)
    payee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    currency = models.CharField(max_length=3)
    earned = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS)
    paid_before = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS)
    due = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS)
    payable = TenantForeignKey(
        "prm.Payable", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["settlement_id", "partner__code", "payee_user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "settlement", "partner", "payee_user"],
                name="rebate_settlement_line_once",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["tenant", "program", "partner"], name="rebate_settle_partner")]

    def __str__(self) -> str:
        return f"{self.settlement_id}/{self.partner_id}"

    @property
    def is_clawback(self) -> bool:
        return self.due < Decimal("0")
