"""Demo ship-and-debit data: agreements for the demo distributors and claims in every status
(approved with its payable, in review with rejected, adjusted and one overridden line, submitted
and waiting, failed), all made through the services."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from claims.models import Claim, ClaimLine, PricingAgreement
from claims.services.agreements import AgreementTerms, LineTerms, agreement_cancel, agreement_create
from claims.services.claims import claim_approve, claim_line_override, claim_submit, claim_validate_run
from partners.models import Partner
from partners.registries import deal_prefills
from prm.accounts.models import Membership
from prm.catalog.models import Product
from prm.roles import Role
from prm.tenancy.context import require_tenant

# (number, partner code, end customer, months valid, [(sku, book, approved, quantity, max resale)])
AgreementSpec = tuple[str, str, str, int, list[tuple[str, str, str, int, str | None]]]
# Formatter off for this table: one agreement a row reads better than one value a line.
AGREEMENTS: list[AgreementSpec] = [
    (
        "SPA-1001",
        "D100",
        "Globex Water Utility Inc.",
        12,
        [("PMP-100", "900.00", "780.00", 40, "1150.00"), ("VLV-010", "120.00", "100.00", 200, None)],
    ),
    ("SPA-1002", "D100", "Initrode Municipal Works", 6, [("PMP-200", "2100.00", "1850.00", 10, None)]),
    ("SPA-2001", "D200", "Umbrella Facilities LLC", 12, [("CTL-500", "520.00", "450.00", 25, "700.00")]),
    ("SPA-2002", "D200", "Hooli Campus Services", 12, [("SNS-050", "60.00", "48.00", 100, None)]),
]


def _line(
    agreement: str,
    invoice: str,
    invoice_line: int,
    ship: datetime.date,
    sku: str,
    quantity: str,
    customer: str,
    debit: str,
    resale: str = "",
    uom: str = "EA",
) -> dict[str, str]:
    return {
        "agreement_number": agreement,
        "invoice_number": invoice,
        "invoice_line": str(invoice_line),
        "ship_date": ship.isoformat(),
        "sku": sku,
        "quantity": quantity,
        "unit_of_measure": uom,
        "end_customer": customer,
        "claimed_unit_debit": debit,
        "resale_price": resale,
    }


def seed_claims(tenant, stdout=None) -> None:

    if PricingAgreement.objects.exists():
        return
    partners = {p.code: p for p in Partner.objects.filter(code__in=["D100", "D200"])}
    products = {p.sku: p for p in Product.objects.all()}
    manager = (
        Membership.objects.select_related("user").filter(role=Role.CHANNEL_MANAGER, is_active=True).first()
    )
    if (
        len(partners) < 2
        or manager is None
        or not all(sku in products for a in AGREEMENTS for sku, *_r in a[4])
    ):
        return
    today = datetime.date.today()
    start = today - datetime.timedelta(days=120)
    for number, code, customer, months, lines in AGREEMENTS:
        agreement_create(
            number=number,
            partner=partners[code],
            terms=AgreementTerms(
                end_customer=customer,
                start_date=start,
                end_date=start + datetime.timedelta(days=30 * months),
                lines=[
                    LineTerms(
                        products[sku], Decimal(book), Decimal(approved), qty, Decimal(mx) if mx else None
                    )
                    for sku, book, approved, qty, mx in lines
                ],
            ),
            acting_membership=manager,
        )
    agreement_create(
        number="SPA-0999",
        partner=partners["D100"],
        terms=AgreementTerms(
            "Globex Water Utility",
            start,
            start + datetime.timedelta(days=60),
            [LineTerms(products["PMP-300"], Decimal("3000"), Decimal("2700"), 5)],
        ),
        acting_membership=manager,
    )
    agreement_cancel(
        agreement=PricingAgreement.objects.get(number="SPA-0999"),
        acting_membership=manager,
        reason="Customer project stopped",
    )
    _agreement_from_a_deal(partners, products, manager)
    shipped = today - datetime.timedelta(days=20)
    d100, d200 = partners["D100"], partners["D200"]
    # Formatter off for this table: one claim line a row reads better than one value a line.
    approved = _validated(
        d100,
        "DM-D100-0001",
        today - datetime.timedelta(days=10),
        [
            _line(
                "SPA-1001",
                "INV-5001",
                1,
                shipped,
                "PMP-100",
                "10",
                "Globex Water Utility, Inc.",
                "120.00",
                "1100.00",
            ),
            _line(
                "SPA-1001", "INV-5001", 2, shipped, "VLV-010", "5", "Globex Water Utility", "25.00", "150.00"
            ),
        ],
    )
    claim_approve(claim=approved, acting_membership=manager)
    # Formatter off for this table: one claim line a row reads better than one value a line.
    in_review = _validated(
        d100,
        "DM-D100-0002",
        today - datetime.timedelta(days=2),
        [
            _line(
                "SPA-1001",
                "INV-5002",
                1,
                shipped,
                "PMP-100",
                "40",
                "Globex Water Utility",
                "120.00",
                "1100.00",
            ),
            _line("SPA-1002", "INV-5002", 2, shipped, "PMP-200", "2", "Initrode Municipal Works", "250.00"),
            _line("SPA-1002", "INV-5002", 3, shipped, "PMP-200", "1", "Someone Else Ltd", "250.00"),
            _line("SPA-0999", "INV-5002", 4, shipped, "PMP-300", "1", "Globex Water Utility", "300.00"),
            _line("SPA-1001", "INV-5001", 1, shipped, "PMP-100", "1", "Globex Water Utility", "120.00"),
            _line("SPA-2001", "INV-5002", 5, shipped, "CTL-500", "1", "Umbrella Facilities", "70.00"),
        ],
    )
    mismatch = ClaimLine.objects.get(claim=in_review, line=3)
    claim_line_override(
        line=mismatch,
        acting_membership=manager,
        accept=True,
        reason="End customer is a subsidiary of Initrode (checked with the account team)",
    )
    # Formatter off for this table: one claim line a row reads better than one value a line.
    _validated(
        d200,
        "DM-D200-0001",
        today - datetime.timedelta(days=1),
        [
            _line(
                "SPA-2001", "C-88", 1, shipped, "CTL-500", "2", "Umbrella Facilities LLC", "70.00", "690.00"
            ),
            _line(
                "SPA-2002",
                "C-88",
                2,
                today + datetime.timedelta(days=3),
                "SNS-050",
                "10",
                "Hooli Campus",
                "12.00",
            ),
            _line("SPA-2002", "C-88", 3, shipped, "SNS-050", "1", "Hooli Campus", "15.00", uom="CS"),
        ],
    )
    failed = claim_submit(
        partner=d200,
        number="DM-D200-0002",
        claim_date=today,
        file=io.BytesIO(b"Invoice,Qty\nC-92,3\n"),
        original_name="wrong-columns.csv",
        enqueue=False,
    )
    assert failed.job is not None  # claim_submit always creates the job
    claim_validate_run(failed.job)
    # Left waiting for validation, and last: a partner's later claims would wait for it.
    claim_submit(
        partner=d200,
        number="DM-D200-0003",
        claim_date=today,
        lines=[_line("SPA-2002", "C-91", 1, shipped, "SNS-050", "4", "Hooli Campus Services", "12.00")],
        enqueue=False,
    )
    if stdout is not None:
        count = Claim.objects.count()
        stdout.write(
            f"  claims: {PricingAgreement.objects.count()} agreements, {count} claims ({failed.number} failed)"
        )


def _agreement_from_a_deal(partners, products, manager) -> None:
    """One agreement started from an approved deal registration of a demo distributor (its
    product lines' first SKU, quantity, value per unit and approved price), when deals seeded one."""
    for registration in deal_prefills([p.pk for p in partners.values()]):
        if registration.currency != require_tenant().base_currency or not registration.lines:
            continue
        by_line: dict[str, Product] = {}
        for product in sorted(products.values(), key=lambda p: p.sku):
            by_line.setdefault(product.category, product)
        lines = [
            LineTerms(by_line[line.product_line], line.unit_value, line.approved_unit_price, line.quantity)
            for line in registration.lines
            if line.product_line in by_line and line.approved_unit_price <= line.unit_value
        ]
        if not lines or len({t.product.pk for t in lines}) != len(lines):
            continue
        agreement_create(
            number=f"SPA-{registration.reference}",
            partner=next(p for p in partners.values() if p.pk == registration.partner_id),
            terms=AgreementTerms(
                end_customer=registration.end_customer,
                start_date=registration.approved_on or datetime.date.today(),
                end_date=max(registration.protection_until or datetime.date.today(), datetime.date.today())
                + datetime.timedelta(days=90),
                lines=lines,
            ),
            acting_membership=manager,
            deal_reference=registration.reference,
        )
        return


def _validated(partner, number: str, claim_date: datetime.date, lines: list[dict[str, str]]) -> Claim:
    claim = claim_submit(partner=partner, number=number, claim_date=claim_date, lines=lines, enqueue=False)
    assert claim.job is not None  # claim_submit always creates the job
    claim_validate_run(claim.job)
    claim.refresh_from_db()
    return claim
