"""Agreements and claims for the claims tests (made through the services)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from claims.models import Claim, PricingAgreement
from claims.services.agreements import AgreementTerms, LineTerms, agreement_create
from claims.services.claims import claim_submit, claim_validate_run
from prm.catalog.models import Product
from tests.factories import ProductFactory

TODAY = datetime.date(2026, 6, 30)
START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 12, 31)
CUSTOMER = "Globex Water Utility Inc."


def product(sku: str, units_per_case: int = 1) -> Product:
    found = Product.objects.filter(sku=sku).first()
    return found or ProductFactory(sku=sku, currency="USD", units_per_case=units_per_case)


def agreement(
    cast,
    number: str = "SPA-1",
    *,
    partner: str = "p1",
    customer: str = CUSTOMER,
    start: datetime.date = START,
    end: datetime.date = END,
    lines: list[tuple[Any, ...]] | None = None,
) -> PricingAgreement:
    """``lines``: (sku, book cost, approved cost, authorised quantity[, maximum resale price])."""
    lines = lines or [("PMP-100", "100.00", "80.00", 10)]
    return agreement_create(
        number=number,
        partner=cast.a.partners[partner],
        terms=AgreementTerms(
            end_customer=customer,
            start_date=start,
            end_date=end,
            lines=[
                LineTerms(
                    product(row[0], units_per_case=6),
                    Decimal(row[1]),
                    Decimal(row[2]),
                    int(row[3]),
                    Decimal(row[4]) if len(row) > 4 and row[4] is not None else None,
                )
                for row in lines
            ],
        ),
        acting_membership=cast.a.memberships["manager"],
    )


def line(**values: Any) -> dict[str, Any]:
    """A claim line, valid against ``agreement()`` unless overridden."""
    data = {
        "agreement_number": "SPA-1",
        "invoice_number": "INV-1",
        "invoice_line": "1",
        "ship_date": "2026-06-01",
        "sku": "PMP-100",
        "quantity": "2",
        "unit_of_measure": "EA",
        "end_customer": "Globex Water Utility",
        "claimed_unit_debit": "20.00",
        "resale_price": "",
    }
    data.update({k: ("" if v is None else str(v)) for k, v in values.items() if k != "resubmission_of"})
    if values.get("resubmission_of"):
        data["resubmission_of"] = values["resubmission_of"]
    return data


def submit(
    cast,
    lines: list[dict[str, Any]],
    *,
    number: str = "DM-1",
    partner: str = "p1",
    claim_date=TODAY,
    validate=True,
) -> Claim:
    claim = claim_submit(
        partner=cast.a.partners[partner],
        number=number,
        claim_date=claim_date,
        lines=lines,
        acting_membership=cast.a.memberships[f"{partner}_user"],
        enqueue=False,
    )
    if validate:
        assert claim.job is not None
        claim_validate_run(claim.job)
        claim.refresh_from_db()
    return claim


def verdicts(claim: Claim) -> list[tuple[str, list[str], int, str]]:
    from claims.models import ClaimLine
    from prm.tenancy.context import tenant_context

    with tenant_context(claim.tenant):
        return [
            (row.status, row.codes, row.accepted_quantity, str(row.amount))
            for row in ClaimLine.objects.filter(claim_id=claim.pk).order_by("line")
        ]
