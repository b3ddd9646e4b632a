"""The product catalog every app shares."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from prm.lib.money import AMOUNT_DECIMALS, AMOUNT_DIGITS
from prm.tenancy.models import TenantModel, currency_validator


class Product(TenantModel):
    """A vendor product. ``category`` doubles as the product line for deal registration."""

    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(max_length=200)
    category = models.CharField(_("category / product line"), max_length=100, db_index=True)
    unit_of_measure = models.CharField(_("base unit"), max_length=8, default="EA")
    units_per_case = models.PositiveIntegerField(default=1)
    list_price = models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS)
    currency = models.CharField(max_length=3, validators=[currency_validator])
    gtin = models.CharField(_("GTIN"), max_length=14, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        constraints = [models.UniqueConstraint(fields=["tenant", "sku"], name="product_sku_unique")]
        indexes = [models.Index(fields=["tenant", "gtin"])]

    def __str__(self) -> str:
        return f"{self.sku} — {self.name}"
