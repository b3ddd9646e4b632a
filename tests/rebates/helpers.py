"""POS lines, won deals and programs for the rebates tests."""

from __future__ import annotations

import copy
import datetime
import json
import secrets
from decimal import Decimal
from typing import Any

from posdata.models import PosLine, Upload
from posdata.pipeline.rollups import rollups_rebuild
from prm.catalog.models import Product
from rebates.models import CalculationRun, RebateProgram
from rebates.services.programs import program_load
from rebates.services.runs import run_now
from tests.factories import ProductFactory

START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 3, 31)

PROGRAM: dict[str, Any] = {
    "code": "Q1-PUMPS",
    "name": "Pump volume rebate Q1",
    "currency": "USD",
    "period": {"start": "2026-01-01", "end": "2026-03-31"},
    "basis": "revenue",
    "method": "retroactive",
    "products": {"skus": [], "categories": ["pumps"]},
    "eligibility": {"partner_codes": [], "tiers": [], "types": []},
    "tiers": [{"from": "0", "rate": "0"}, {"from": "50000", "rate": "0.02"}],
    "baseline_period": None,
    "minimum": "0",
    "cap": {"measure": None, "payout": None},
    "rounding": "half_up",
}

# DOMAIN.md's example: per-unit rates 10 (from 0), 12 (from 5), 15 (from 20), 20 (from 100).
UNIT_TIERS = [
    {"from": "0", "rate": "10"},
    {"from": "5", "rate": "12"},
    {"from": "20", "rate": "15"},
    {"from": "100", "rate": "20"},
]


def definition(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(PROGRAM)
    data["products"] = {"skus": [], "categories": []}
    for key, value in changes.items():
        data[key] = value
    return data


def load(data: dict[str, Any]) -> RebateProgram:
    program, _changed = program_load(text=json.dumps(data))
    return program


def product(sku: str = "PMP-100", category: str = "pumps") -> Product:
    found = Product.objects.filter(sku=sku).first()
    return found or ProductFactory(sku=sku, currency="USD", category=category)


def pos(partner, rows: list[tuple[Any, ...]], *, prefix: str | None = None) -> list[PosLine]:
    """``rows``: (invoice date, quantity, amount[, currency[, sku]]); returns are negative."""
    upload = Upload.objects.create(
        partner=partner,
        status=Upload.Status.LOADED,
        path="test.csv",
        format="csv",
        checksum=secrets.token_hex(16),
    )
    prefix = prefix or f"INV-{upload.pk}-"
    lines = []
    for n, row in enumerate(rows, start=1):
        day, quantity, amount = row[0], row[1], row[2]
        currency = row[3] if len(row) > 3 else "USD"
        sku = row[4] if len(row) > 4 else "PMP-100"
        lines.append(
            PosLine(
                tenant_id=partner.tenant_id,
                partner=partner,
                upload=upload,
                invoice_number=f"{prefix}{n}",
                invoice_line=1,
                invoice_date=datetime.date.fromisoformat(day) if isinstance(day, str) else day,
                product=product(sku, "valves" if sku.startswith("VLV") else "pumps"),
                quantity=quantity,
                amount=Decimal(str(amount)),
                currency=currency,
                transaction_type="return" if quantity < 0 else "sale",
                source_line=n + 1,
            )
        )
    created = PosLine.objects.bulk_create(lines)
    # Written past the loader: the rollups are rebuilt from the lines as `pos_rollups_check --fix` would.
    rollups_rebuild(partner.tenant_id)
    return created


def calculate(program: RebateProgram) -> CalculationRun:
    program.refresh_from_db()
    run = run_now(program=program)
    assert run.status == CalculationRun.Status.SUCCEEDED, run.error
    return run


def accrual_of(run: CalculationRun, partner):
    return run.accruals.get(partner=partner)
