"""Finance: the exchange rates every conversion uses, and the payables (what the vendor owes a
partner, in a currency) that claims, rebates and funds create."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
    partner = TenantForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="payables")
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
        from prm.finance.registry import source_label

        return source_label(self.source_type)

    @property
    def source_url(self) -> str | None:
        from prm.finance.registry import source_url

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
