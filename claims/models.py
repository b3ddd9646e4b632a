"""Ship-and-debit: special pricing agreements (SPAs) that let one distributor sell given SKUs to
one end customer below book cost, and the claims (debit memos) the distributor files against them,
validated line by line (DOMAIN.md, "Ship-and-debit claims")."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from prm.lib.money import AMOUNT_DECIMALS, AMOUNT_DIGITS
from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel, currency_validator

DEFAULT_CLAIM_WINDOW_DAYS = 90
DEFAULT_PAYMENT_TERM_DAYS = 30
MAX_CLAIM_WINDOW_DAYS = 3650
MAX_PAYMENT_TERM_DAYS = 365


class ClaimSettings(TenantModel):
    """The tenant's claim policy (DOMAIN.md defaults): how many days after the ship date a line
    may still be claimed (CLAIM_PAST_WINDOW beyond), and how many days after approval the
    payable of an approved claim is due. Changed only by ``claim_settings_update`` (audited)."""

    claim_window_days = models.PositiveIntegerField(
        _("claim window (days)"),
        default=DEFAULT_CLAIM_WINDOW_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CLAIM_WINDOW_DAYS)],
        help_text=_("A line whose ship date is more than this many days before the claim date is rejected."),
    )
    payment_term_days = models.PositiveIntegerField(
        _("payment term (days)"),
        default=DEFAULT_PAYMENT_TERM_DAYS,
        validators=[MaxValueValidator(MAX_PAYMENT_TERM_DAYS)],
        help_text=_("The payable of an approved claim is due this many days after approval."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="claim_settings_once")]

    def __str__(self) -> str:
        return f"claim settings {self.tenant_id}"


class PricingAgreement(TenantModel):
    """A special pricing agreement: one distributor, one end customer, dates, and lines of SKUs
    with book cost, approved cost and authorised quantity. Amendments bump ``version`` and keep
    the previous terms in ``AgreementVersion``."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")

    TRANSITIONS = {Status.ACTIVE: {Status.CANCELLED}, Status.CANCELLED: set()}

    number = models.CharField(_("agreement number"), max_length=64)
    partner = TenantForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="pricing_agreements"
    )
    end_customer = models.CharField(_("end customer"), max_length=200)
    end_customer_normalised = models.CharField(max_length=200, editable=False)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    currency = models.CharField(max_length=3, validators=[currency_validator])
    version = models.PositiveIntegerField(default=1)
    cancel_reason = models.TextField(blank=True)
    # The approved deal registration the agreement was started from ("DR-000123"), if any.
    deal_reference = models.CharField(_("deal registration"), max_length=32, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="pricing_agreement_number_unique"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="agreement_dates"),
        ]
        indexes = [models.Index(fields=["tenant", "partner", "status"])]

    def __str__(self) -> str:
        return f"{self.number} ({self.end_customer})"


class AgreementLine(TenantModel):
    """One SKU of an agreement. Allowed debit per unit (each) = book cost - approved cost.
    ``consumed_quantity`` is what validated and approved claim lines have used of the authorised
    quantity; it changes only under a row lock (claim validation, line overrides)."""

    agreement = TenantForeignKey(PricingAgreement, on_delete=models.CASCADE, related_name="lines")
    product = TenantForeignKey("prm.Product", on_delete=models.PROTECT, related_name="+")
    book_cost = models.DecimalField(_("book cost"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS)
    approved_cost = models.DecimalField(
        _("approved cost"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS
    )
    authorized_quantity = models.PositiveIntegerField(_("authorised quantity"))
    max_resale_price = models.DecimalField(
        _("maximum resale price"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_DECIMALS,
        null=True,
        blank=True,
    )
    consumed_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["agreement_id", "product__sku"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "agreement", "product"], name="agreement_line_unique"),
            models.CheckConstraint(
                condition=Q(approved_cost__lte=models.F("book_cost")), name="approved_below_book"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id}/{self.product_id}"

    @property
    def allowed_debit(self) -> Decimal:
        return self.book_cost - self.approved_cost

    @property
    def remaining_quantity(self) -> int:
        return max(self.authorized_quantity - self.consumed_quantity, 0)


class AgreementVersion(TenantModel):
    """The terms of an agreement as they were before an amendment (header and lines), so that
    the history of what was authorised stays readable."""

    agreement = TenantForeignKey(PricingAgreement, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    terms = models.JSONField()
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agreement_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "agreement", "version"], name="pricing_agreement_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id} v{self.version}"


class Claim(TenantModel):
    """A distributor's debit memo: a number, a claim date and lines, validated in the background
    and reviewed by vendor staff; approval creates one payable for the approved total."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        VALIDATING = "validating", _("Validating")
        IN_REVIEW = "in_review", _("In review")
        APPROVED = "approved", _("Approved")
        FAILED = "failed", _("Failed")

    TRANSITIONS = {
        Status.SUBMITTED: {Status.VALIDATING, Status.FAILED},
        Status.VALIDATING: {Status.IN_REVIEW, Status.FAILED},
        Status.IN_REVIEW: {Status.APPROVED},
        Status.APPROVED: set(),
        Status.FAILED: set(),
    }

    class Source(models.TextChoices):
        FILE = "file", _("File upload")
        PORTAL = "portal", _("Entered in the portal")
        COMMAND = "command", _("Command line")

    partner = TenantForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="claims")
    number = models.CharField(_("debit memo number"), max_length=64)
    claim_date = models.DateField(_("claim date"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.FILE)
    currency = models.CharField(max_length=3, validators=[currency_validator])
    claimed_total = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, default=0)
    approved_total = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, default=0)
    line_count = models.PositiveIntegerField(default=0)
    # The uploaded file (stored under the tenant's folder) or the lines entered in the portal.
    original_name = models.CharField(max_length=255, blank=True)
    path = models.CharField(max_length=500, blank=True)
    format = models.CharField(max_length=8, blank=True)
    entered_lines = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    job = TenantForeignKey("prm.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    payable = TenantForeignKey(
        "prm.Payable", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField()
    validated_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # The same debit memo number twice is refused (a failed claim frees its number).
            models.UniqueConstraint(
                fields=["tenant", "partner", "number"],
                condition=~Q(status="failed"),
                name="claim_number_once",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "submitted_at"]),
            models.Index(fields=["tenant", "partner", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.number}"

    @property
    def leakage_prevented(self) -> Decimal:
        return self.claimed_total - self.approved_total


class ClaimLine(TenantModel):
    """One line of a claim with its verdict: every code that applied, the accepted quantity (in
    the agreement's unit, each) and the amount. ``resubmission_of`` names the rejected line this
    one corrects (the duplicate rule ignores that original)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        ADJUSTED = "adjusted", _("Adjusted")
        REJECTED = "rejected", _("Rejected")

    claim = TenantForeignKey(Claim, on_delete=models.CASCADE, related_name="lines", db_index=False)
    # ``partner`` and ``agreement`` are copies for the duplicate index and the pages: ``partner`` is
    # the claim's (written from the claim row), ``agreement`` the one the line's number named. The
    # database enforces the claim and the agreement line; a constraint on these copies would add
    # two per-row checks at commit, a fifth of the time of validating a large claim.
    partner = TenantForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    line = models.PositiveIntegerField()  # position in the claim, 1 = first data row
    source_line = models.PositiveIntegerField(default=0)  # physical line (CSV) or sheet row (XLSX)
    agreement_number = models.CharField(max_length=64, blank=True)
    invoice_number = models.CharField(max_length=64, blank=True)
    invoice_line = models.IntegerField(null=True, blank=True)
    ship_date = models.DateField(null=True, blank=True)
    sku = models.CharField(max_length=64, blank=True)
    quantity = models.DecimalField(
        max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, null=True, blank=True
    )
    unit_of_measure = models.CharField(max_length=16, blank=True)
    end_customer = models.CharField(max_length=200, blank=True)
    end_customer_normalised = models.CharField(max_length=200, blank=True)
    claimed_unit_debit = models.DecimalField(
        max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, null=True, blank=True
    )
    resale_price = models.DecimalField(
        max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, null=True, blank=True
    )
    # Values that could not be used as they were: {column, value, message} for INVALID_DATA.
    problems = models.JSONField(default=list, blank=True)
    resubmission_of = TenantForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="resubmissions", db_index=False
    )
    # The verdict.
    agreement = TenantForeignKey(
        PricingAgreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    agreement_line = TenantForeignKey(
        AgreementLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claim_lines",
        db_index=False,
    )
    quantity_base = models.BigIntegerField(null=True, blank=True)  # claimed quantity in eaches
    codes = models.JSONField(default=list, blank=True)  # the DOMAIN.md codes that applied, in table order
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    accepted_quantity = models.BigIntegerField(default=0)
    allowed_unit_debit = models.DecimalField(
        max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, null=True, blank=True
    )
    claimed_amount = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, default=0)
    amount = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, default=0)
    # A reviewer's override (the computed verdict stays in ``codes``).
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    overridden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["claim_id", "line"]
        constraints = [models.UniqueConstraint(fields=["tenant", "claim", "line"], name="claim_line_once")]
        indexes = [
            # The duplicate rule looks up accepted and adjusted lines only: rejected lines (a third
            # of a messy claim) stay out of this index and cost nothing to insert into it.
            models.Index(
                fields=["tenant", "partner", "invoice_number", "invoice_line"],
                condition=Q(status__in=["accepted", "adjusted"]),
                name="claim_line_counted_invoice",
            ),
            models.Index(fields=["tenant", "agreement_line", "status"], name="claim_line_consumption"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}:{self.line}"

    @property
    def is_overridden(self) -> bool:
        return self.overridden_at is not None
