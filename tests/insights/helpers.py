"""Registrations, leads and POS history for the insights tests."""

from __future__ import annotations

import datetime
import secrets
from decimal import Decimal
from typing import Any

from django.utils import timezone

from deals.models import DealLine, DealRegistration
from posdata.models import PosLine, Upload
from posdata.pipeline.rollups import rollups_rebuild
from prm.catalog.models import Product
from prm.tenancy.context import require_tenant
from tests.factories import ProductFactory

S = DealRegistration.Status


def registration(
    partner,
    status: str,
    *,
    line: str = "pumps",
    value: str = "1000.00",
    currency: str = "USD",
    expected: datetime.date | None = None,
    closed_on: datetime.date | None = None,
    submitted: datetime.datetime | None = None,
    **extra: Any,
) -> DealRegistration:
    submitted = submitted or timezone.now() - datetime.timedelta(days=100)
    reg = DealRegistration.objects.create(
        partner=partner,
        status=status,
        currency=currency,
        value=Decimal(value),
        product_lines=[line],
        expected_close_date=expected,
        closed_on=closed_on,
        closed_value=Decimal(value) if status == S.WON else None,
        customer_name=f"Customer {secrets.token_hex(3)}",
        country="US",
        submitted_at=submitted,
        first_submitted_at=submitted,
        **extra,
    )
    DealLine.objects.create(registration=reg, product_line=line, quantity=1, value=Decimal(value))
    return reg


def product(sku: str, category: str) -> Product:
    return Product.objects.filter(sku=sku).first() or ProductFactory(
        sku=sku, category=category, currency="USD"
    )


def monthly_pos(
    partner, months: dict[datetime.date, Decimal], *, sku: str = "PMP-100", category: str = "pumps"
) -> None:
    """One POS line per month (invoiced on the 15th) with the month's amount."""
    item = product(sku, category)
    upload = Upload.objects.create(
        partner=partner,
        status=Upload.Status.LOADED,
        path="t.csv",
        format="csv",
        checksum=secrets.token_hex(16),
    )
    PosLine.objects.bulk_create(
        [
            PosLine(
                tenant=require_tenant(),
                partner=partner,
                upload=upload,
                invoice_number=f"I-{upload.pk}-{n}",
                invoice_line=1,
                invoice_date=month.replace(day=15),
                product=item,
                quantity=1,
                amount=amount,
                currency="USD",
                transaction_type=PosLine.TransactionType.SALE,
                source_line=n + 2,
            )
            for n, (month, amount) in enumerate(sorted(months.items()))
        ]
    )
    # Written past the loader: the rollups are rebuilt as `pos_rollups_check --fix` would.
    rollups_rebuild(require_tenant().pk)
