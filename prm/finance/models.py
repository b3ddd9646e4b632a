"""Finance: the exchange rates every conversion uses, and the payables (what the vendor owes a
partner, in a currency) that claims, rebates and funds create."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from prm.finance.registry import source_label, source_url
from prm.lib.money import AMOUNT_DECIMALS, AMOUNT_DIGITS, RATE_DECIMALS, RATE_DIGITS
from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel, currency_validator


class FxRate(TenantModel):
    """One unit of ``base_currency`` buys ``rate`` units of ``quote_currency`` from ``rate_date`` on.

    Rows are never edited in the portal: a correction is a new row with its own source, so a
    conversion made earlier keeps the rate it used (conversions also copy rate, date and source)."""

    base_currency = models.CharField(_("base currency"), max_length=3, validators=[currency_validator])
    quote_currency = models.CharField(_("quote currency"), max_length=3, validators=[currency_validator])
    rate_date = models.DateField(_("rate date"))
    rate = models.DecimalField(_("rate"), max_digits=RATE_DIGITS, decimal_places=RATE_DECIMALS)
    source = models.CharField(_("source"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-rate_date", "base_currency", "quote_currency", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "base_currency", "quote_currency", "rate_date", "source"],
                name="fxrate_natural_key",
            ),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="fxrate_rate_positive"),
            models.CheckConstraint(
                condition=~models.Q(base_currency=models.F("quote_currency")), name="fxrate_two_currencies"
            ),
        ]
        indexes = [
            # "The latest rate on or before a date" for a pair: one index range scan.
            models.Index(
                fields=["tenant", "base_currency", "quote_currency", "-rate_date", "-id"],
                name="fxrate_lookup",
            )
        ]

    def __str__(self) -> str:
        return f"{self.base_currency}/{self.quote_currency} {self.rate_date} {self.rate} ({self.source})"


class Payable(TenantModel):
    """Money the vendor owes a partner (or, for SPIFs, a partner's rep): one row per source line
    of a claim, rebate or fund, created only by ``payable_create``. A clawback is negative."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_BATCH = "in_batch", _("In a payout batch")
        APPROVED = "approved", _("Approved")
        EXPORTED = "exported", _("Exported for payment")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    # Batching, approval (maker-checker) and export move payables through the middle states.
    TRANSITIONS = {
        Status.OPEN: {Status.IN_BATCH, Status.CANCELLED},
        Status.IN_BATCH: {Status.OPEN, Status.APPROVED},
        Status.APPROVED: {Status.EXPORTED, Status.OPEN},
        Status.EXPORTED: {Status.PAID},
        Status.PAID: set(),
        Status.CANCELLED: set(),
    }
    # Not yet paid, seen by the partner as "open".
    UNPAID = (Status.OPEN, Status.IN_BATCH, Status.APPROVED, Status.EXPORTED)

    source_type = models.CharField(_("source type"), max_length=40)
    source_id = models.CharField(_("source"), max_length=64)
    partner = TenantForeignKey(settings.PRM_PARTNER_MODEL, on_delete=models.PROTECT, related_name="payables")
    payee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payee (partner's rep)"),
    )
    amount = models.DecimalField(_("amount"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS)
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator])
    due_date = models.DateField(_("due date"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    cancel_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            # A re-run job (or two at once) cannot pay the same source line twice.
            models.UniqueConstraint(
                fields=["tenant", "source_type", "source_id"], name="payable_source_once"
            ),
            models.CheckConstraint(condition=~models.Q(amount=0), name="payable_amount_not_zero"),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "due_date"]),
            models.Index(fields=["tenant", "partner", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.source_type}:{self.source_id} {self.amount} {self.currency}"

    @property
    def reference(self) -> str:
        return f"PAY-{self.pk:06d}" if self.pk else "PAY-new"

    @property
    def source_label(self) -> str:

        return source_label(self.source_type)

    @property
    def source_url(self) -> str | None:

        return source_url(self.source_type, self.source_id)

    @property
    def is_clawback(self) -> bool:
        return self.amount < 0

    @property
    def is_unpaid(self) -> bool:
        return self.status in self.UNPAID

    @property
    def partner_status(self) -> str:
        """What the partner sees: paid, cancelled, or open until the money has gone out."""
        return self.Status.OPEN if self.is_unpaid else self.status

    @property
    def partner_status_label(self) -> str:
        return str(self.Status(self.partner_status).label)


class PayoutBatch(TenantModel):
    """A run of payments finance builds from open payables, has a second finance user approve
    (maker-checker), exports to the ERP and marks paid, partner by partner. Created, approved,
    exported, marked paid and cancelled only by the ``payout_batch_*`` services."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        EXPORTED = "exported", _("Exported")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    TRANSITIONS = {
        Status.DRAFT: {Status.APPROVED, Status.CANCELLED},
        Status.APPROVED: {Status.EXPORTED, Status.CANCELLED},
        # Payment confirmations arrive partner by partner: the batch is paid with the last one.
        Status.EXPORTED: {Status.PAID},
        Status.PAID: set(),
        Status.CANCELLED: set(),
    }
    LIVE = (Status.DRAFT, Status.APPROVED, Status.EXPORTED, Status.PAID)

    class RateDate(models.TextChoices):
        APPROVAL = "approval", _("Approval date")
        DUE_DATE = "due_date", _("Each payable's due date")

    currency = models.CharField(_("payment currency"), max_length=3, validators=[currency_validator])
    rate_date_policy = models.CharField(
        _("exchange rate date"), max_length=16, choices=RateDate.choices, default=RateDate.APPROVAL
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # The policy (copied from the tenant's finance settings when the batch is built) and, under
    # the approval-date policy, the day whose rates converted the lines (set at approval); under
    # the due-date policy each line keeps its own rate date.
    rate_day = models.DateField(_("rates as of"), null=True, blank=True)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    exported_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "status", "-created_at"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"PB-{self.pk:06d}" if self.pk else "PB-new"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE


class FinanceSettings(TenantModel):
    """The tenant's finance policies. ``rate_date_policy``: the date whose stored exchange rates
    convert a payout batch's payables into the payment currency (the approval date unless finance
    chooses each payable's due date). A batch copies the policy when it is built and keeps it.
    Changed only by ``finance_settings_update`` (audited)."""

    rate_date_policy = models.CharField(
        _("exchange rates of payout batches as of"),
        max_length=16,
        choices=PayoutBatch.RateDate.choices,
        default=PayoutBatch.RateDate.APPROVAL,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="finance_settings_once")]
        verbose_name_plural = "finance settings"

    def __str__(self) -> str:
        return "Finance settings"


class PayoutPayment(TenantModel):
    """One partner's payment in a batch: the net of its lines in the batch's currency, or the
    reason it is held back (a negative net carries forward; missing or unverified payout details
    wait for the partner). Paid with the bank's reference and date."""

    class Status(models.TextChoices):
        TO_PAY = "to_pay", _("To pay")
        HELD = "held", _("Held back")
        PAID = "paid", _("Paid")

    class Hold(models.TextChoices):
        NEGATIVE_NET = "negative_net", _("Clawbacks exceed what is owed: carried forward")
        PAYOUT_MISSING = "payout_missing", _("No payout details")
        PAYOUT_UNVERIFIED = "payout_unverified", _("Payout details not verified")
        MISSING_RATE = "missing_rate", _("No exchange rate")

    TRANSITIONS = {Status.TO_PAY: {Status.PAID}, Status.HELD: set(), Status.PAID: set()}

    batch = TenantForeignKey(PayoutBatch, on_delete=models.CASCADE, related_name="payments")
    partner = TenantForeignKey(settings.PRM_PARTNER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TO_PAY)
    hold_reason = models.CharField(max_length=24, choices=Hold.choices, blank=True)
    hold_detail = models.CharField(max_length=300, blank=True)
    amount = models.DecimalField(_("net amount"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS)
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator])
    line_count = models.PositiveIntegerField(default=0)
    payment_reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    statement_path = models.CharField(max_length=300, blank=True)
    statement_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["batch", "partner__code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "batch", "partner"], name="payout_payment_once"),
            models.CheckConstraint(
                condition=models.Q(status="held") | models.Q(hold_reason=""),
                name="payout_payment_hold_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.partner_id} {self.amount} {self.currency}"


class PayoutBatchLine(TenantModel):
    """A payable in a batch, with its amount converted into the batch's payment currency at a
    stored rate (rate, date and source kept). ``live`` is cleared when the batch is cancelled."""

    batch = TenantForeignKey(PayoutBatch, on_delete=models.CASCADE, related_name="lines")
    payment = TenantForeignKey(PayoutPayment, on_delete=models.CASCADE, related_name="lines")
    payable = TenantForeignKey(Payable, on_delete=models.PROTECT, related_name="batch_lines")
    partner = TenantForeignKey(settings.PRM_PARTNER_MODEL, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS)
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator])
    payment_amount = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS)
    payment_currency = models.CharField(max_length=3, validators=[currency_validator])
    rate = models.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_DECIMALS, null=True, blank=True)
    rate_date = models.DateField(null=True, blank=True)
    rate_source = models.CharField(max_length=64, blank=True)
    live = models.BooleanField(default=True)

    class Meta:
        ordering = ["batch", "partner_id", "payable_id"]
        constraints = [
            # "A payable is in at most one live batch": two batches built at the same moment
            # cannot both take it, whatever the services do.
            models.UniqueConstraint(
                fields=["tenant", "payable"], condition=models.Q(live=True), name="payout_line_one_live_batch"
            ),
            models.UniqueConstraint(fields=["tenant", "batch", "payable"], name="payout_line_once"),
        ]
        indexes = [models.Index(fields=["tenant", "batch", "partner"])]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.payable_id}"
