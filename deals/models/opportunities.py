"""The vendor's own direct opportunities (a registration for the same customer conflicts with them)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prm.lib.money import AMOUNT_DECIMALS, AMOUNT_DIGITS
from prm.tenancy.models import TenantModel, currency_validator


class DirectOpportunity(TenantModel):
    """An opportunity the vendor's own sales team works; a later partner registration for the same
    customer and product line conflicts with it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    reference = models.CharField(max_length=64)
    customer_name = models.CharField(max_length=200)
    customer_name_normalised = models.CharField(max_length=200)
    customer_domain = models.CharField(max_length=253, blank=True)
    country = models.CharField(max_length=2)
    product_lines = models.JSONField(default=list)
    value = models.DecimalField(
        max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, default=Decimal("0")
    )
    currency = models.CharField(max_length=3, validators=[currency_validator])
    expected_close_date = models.DateField(null=True, blank=True)
    sales_owner = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "direct opportunities"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "reference"], name="direct_opportunity_ref_unique")
        ]
        indexes = [
            models.Index(fields=["tenant", "country", "customer_name_normalised"]),
            models.Index(fields=["tenant", "customer_domain"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.customer_name}"
