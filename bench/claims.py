"""Ship-and-debit claim validation benchmarks.

* ``claims_validate_vs_orm_loop``: N claim lines (1,000,000 at full size) against agreement
  lines (100,000) end to end by the product (file -> reader -> COPY -> parse -> validate -> stored
  verdicts) vs a straightforward per-line ORM loop (look up agreement, line, duplicates; check;
  consume under ``select_for_update``; save the line) measured on a 10,000-line sample and scaled.
* ``claims_validate_vs_reference_sql``: our validation step (the INSERT ... SELECT that checks
  every rule and writes the verdicts) vs one hand-written reference statement doing the same
  checks on the same parsed lines, writing the same claim line rows, both inside a rolled-back
  transaction so each sees the same data.
"""

from __future__ import annotations

import datetime
import random
import time
from decimal import Decimal
from pathlib import Path

from bench.core import Context, Result

PRODUCTS = 200
CUSTOMERS = [
    "Globex Water Utility Inc.",
    "Initrode Municipal Works",
    "Umbrella Facilities LLC",
    "Hooli Campus",
]
CLAIM_DATE = datetime.date(2026, 6, 30)
COLUMNS = (
    "agreement_number,invoice_number,invoice_line,ship_date,sku,quantity,unit_of_measure,end_customer,"
    "claimed_unit_debit,resale_price"
)


def _sql(statement: str, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def setup(agreement_lines: int):
    """A tenant with one distributor (and another), products, and agreements of two lines each."""
    from partners.models import Partner
    from prm.catalog.models import Product
    from prm.tenancy.context import tenant_context
    from prm.tenancy.services import tenant_create

    tenant = tenant_create(slug="benchclaims", name="Bench Claims", currency="USD")
    agreements = max(agreement_lines // 2, 1)
    with tenant_context(tenant):
        partner = Partner.objects.create(
            code="SD1", name="Bench distributor", type="distributor", country="US"
        )
        other = Partner.objects.create(code="SD2", name="Other distributor", type="distributor", country="US")
        Product.objects.bulk_create(
            [
                Product(
                    tenant=tenant,
                    sku=f"S-{n:04d}",
                    name=f"Product {n}",
                    category="c",
                    units_per_case=6,
                    list_price=Decimal("100"),
                    currency="USD",
                )
                for n in range(PRODUCTS)
            ]
        )
        _sql(
            """
            INSERT INTO claims_pricingagreement (tenant_id, number, partner_id, end_customer, end_customer_normalised,
              start_date, end_date, status, currency, version, cancel_reason, deal_reference, created_at, updated_at)
            SELECT %s, 'SPA-' || lpad(g::text, 7, '0'), CASE WHEN g %% 50 = 0 THEN %s ELSE %s END,
              (ARRAY[%s, %s, %s, %s])[1 + g %% 4],
              (ARRAY['globex water utility', 'initrode municipal works', 'umbrella facilities', 'hooli campus'])[1 + g %% 4],
              DATE '2026-01-01', DATE '2026-12-31', CASE WHEN g %% 97 = 0 THEN 'cancelled' ELSE 'active' END,
              'USD', 1, '', '', now(), now()
            FROM generate_series(1, %s) g
            """,
            [tenant.pk, other.pk, partner.pk, *CUSTOMERS, agreements],
        )
        _sql(
            """
            INSERT INTO claims_agreementline (tenant_id, agreement_id, product_id, book_cost, approved_cost,
              authorized_quantity, max_resale_price, consumed_quantity)
            SELECT a.tenant_id, a.id, p.id, 100, 80, 40, CASE WHEN k = 0 THEN 130 END, 0
            FROM claims_pricingagreement a
            CROSS JOIN generate_series(0, 1) k
            JOIN prm_product p ON p.tenant_id = a.tenant_id
             AND p.sku = 'S-' || lpad(((substr(a.number, 5)::int * 2 + k) %% %s)::text, 4, '0')
            WHERE a.tenant_id = %s
            """,
            [PRODUCTS, tenant.pk],
        )
    return tenant, partner, agreements


def generate(path: Path, rows: int, agreements: int, *, prefix: str, seed: int = 13) -> None:
    """A distributor's claim file: mostly good lines, with every kind of problem sprinkled in."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(COLUMNS + "\n")
        write = out.write
        for i in range(rows):
            g = rng.randint(1, agreements)
            k = rng.randint(0, 1)
            sku = f"S-{(g * 2 + k) % PRODUCTS:04d}"
            number = f"SPA-{g:07d}"
            customer = CUSTOMERS[g % 4]
            day = datetime.date(2026, rng.randint(4, 6), rng.randint(1, 28))
            debit = "20.00"
            if i % 101 == 0:
                number = "SPA-NOPE"
            elif i % 103 == 0:
                customer = "Someone Else Ltd"
            elif i % 107 == 0:
                debit = "24.50"
            elif i % 109 == 0:
                sku = "S-XXXX"
            qty = rng.randint(1, 12)
            invoice = f"{prefix}{i // 3:08d}"
            line = i % 3 + 1
            if i % 211 == 0 and i:
                invoice, line = f"{prefix}{(i - 3) // 3:08d}", (i - 3) % 3 + 1  # a duplicate
            write(f"{number},{invoice},{line},{day.isoformat()},{sku},{qty},EA,{customer},{debit},120.00\n")


def ours_end_to_end(tenant, partner, path: Path, number: str) -> tuple[float, object]:
    from claims.services.claims import claim_file_submit
    from prm.tenancy.context import tenant_context

    with tenant_context(tenant):
        started = time.perf_counter()
        claim = claim_file_submit(partner=partner, path=path, number=number, claim_date=CLAIM_DATE)
        return time.perf_counter() - started, claim


def orm_loop(tenant, partner, path: Path, sample: int) -> float:
    """The per-line ORM loop a first version would write: the same rules, one line at a time."""
    import csv

    from django.db import transaction
    from django.utils import timezone

    from claims.models import AgreementLine, Claim, ClaimLine, PricingAgreement
    from prm.lib.names import normalise_name
    from prm.tenancy.context import tenant_context

    with tenant_context(tenant), path.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        claim = Claim.objects.create(
            partner=partner,
            number="ORM-LOOP",
            claim_date=CLAIM_DATE,
            status="in_review",
            currency="USD",
            submitted_at=timezone.now(),
        )
        started = time.perf_counter()
        for position, row in enumerate(reader, start=1):
            if position > sample:
                break
            with transaction.atomic():
                codes: list[str] = []
                quantity = int(row["quantity"])
                debit = Decimal(row["claimed_unit_debit"])
                ship = datetime.date.fromisoformat(row["ship_date"])
                agreement = PricingAgreement.objects.filter(number=row["agreement_number"]).first()
                line = None
                if agreement is None:
                    codes.append("UNKNOWN_AGREEMENT")
                elif agreement.partner_id != partner.pk:
                    codes.append("AGREEMENT_NOT_FOR_DISTRIBUTOR")
                else:
                    if agreement.status == "cancelled":
                        codes.append("AGREEMENT_CANCELLED")
                    if ship < agreement.start_date:
                        codes.append("SHIP_DATE_BEFORE_START")
                    if ship > agreement.end_date:
                        codes.append("AGREEMENT_EXPIRED")
                    line = (
                        AgreementLine.objects.select_for_update()
                        .filter(agreement=agreement, product__sku=row["sku"])
                        .first()
                    )
                    if line is None:
                        codes.append("SKU_NOT_ON_AGREEMENT")
                    if normalise_name(row["end_customer"]) != agreement.end_customer_normalised:
                        codes.append("END_CUSTOMER_MISMATCH")
                if ship > CLAIM_DATE:
                    codes.append("SHIP_DATE_IN_FUTURE")
                if (CLAIM_DATE - ship).days > 90:
                    codes.append("CLAIM_PAST_WINDOW")
                if ClaimLine.objects.filter(
                    partner=partner,
                    invoice_number=row["invoice_number"],
                    invoice_line=int(row["invoice_line"]),
                    status__in=["accepted", "adjusted"],
                ).exists():
                    codes.append("DUPLICATE_LINE")
                accepted, amount, allowed = 0, Decimal("0"), None
                if line is not None:
                    allowed = line.book_cost - line.approved_cost
                    if (
                        line.max_resale_price is not None
                        and Decimal(row["resale_price"]) > line.max_resale_price
                    ):
                        codes.append("RESALE_ABOVE_MAXIMUM")
                    if not codes:
                        remaining = line.authorized_quantity - line.consumed_quantity
                        accepted = min(quantity, max(remaining, 0))
                        if remaining <= 0:
                            codes.append("NO_QUANTITY_LEFT")
                        elif remaining < quantity:
                            codes.append("QUANTITY_EXCEEDED")
                        line.consumed_quantity += accepted
                        line.save(update_fields=["consumed_quantity"])
                    if debit > allowed:
                        codes.append("DEBIT_EXCEEDS_ALLOWED")
                    amount = min(debit, allowed) * accepted
                rejecting = [c for c in codes if c not in ("QUANTITY_EXCEEDED", "DEBIT_EXCEEDS_ALLOWED")]
                status = "rejected" if rejecting else "adjusted" if codes else "accepted"
                ClaimLine.objects.create(
                    claim=claim,
                    partner=partner,
                    line=position,
                    agreement_number=row["agreement_number"],
                    invoice_number=row["invoice_number"],
                    invoice_line=int(row["invoice_line"]),
                    ship_date=ship,
                    sku=row["sku"],
                    quantity=quantity,
                    unit_of_measure=row["unit_of_measure"],
                    end_customer=row["end_customer"],
                    claimed_unit_debit=debit,
                    resale_price=Decimal(row["resale_price"]),
                    agreement=agreement,
                    agreement_line=line,
                    quantity_base=quantity,
                    codes=codes,
                    status=status,
                    accepted_quantity=0 if rejecting else accepted,
                    allowed_unit_debit=allowed,
                    amount=Decimal("0") if rejecting else amount,
                )
        return time.perf_counter() - started


REFERENCE = """
INSERT INTO claims_claimline (
  tenant_id, claim_id, partner_id, line, source_line, agreement_number, invoice_number, invoice_line, ship_date, sku,
  quantity, unit_of_measure, end_customer, end_customer_normalised, claimed_unit_debit, resale_price, problems,
  agreement_id, agreement_line_id, quantity_base, codes, status, accepted_quantity, allowed_unit_debit,
  claimed_amount, amount, override_reason)
SELECT {tenant}, {claim}, {partner}, x.line, x.source_line, x.agreement_number, x.invoice_number, x.invoice_line,
  x.ship_date, x.sku, x.quantity, x.unit_of_measure, x.end_customer, x.end_customer_normalised,
  x.claimed_unit_debit, x.resale_price, x.problems, x.a_id, x.al_id, x.quantity::bigint, to_jsonb(x.codes),
  CASE WHEN cardinality(x.codes) = 0 THEN 'accepted' ELSE 'rejected' END, 0, x.allowed, 0, x.amount, ''
FROM (
SELECT n.*, a.id AS a_id, al.id AS al_id, al.book_cost - al.approved_cost AS allowed,
  array_remove(ARRAY[
    CASE WHEN jsonb_array_length(n.problems) > 0 THEN 'INVALID_DATA' END,
    CASE WHEN a.id IS NULL THEN 'UNKNOWN_AGREEMENT' END,
    CASE WHEN a.partner_id <> {partner} THEN 'AGREEMENT_NOT_FOR_DISTRIBUTOR' END,
    CASE WHEN a.partner_id = {partner} AND a.status = 'cancelled' THEN 'AGREEMENT_CANCELLED' END,
    CASE WHEN n.ship_date > DATE '{claim_date}' THEN 'SHIP_DATE_IN_FUTURE' END,
    CASE WHEN a.partner_id = {partner} AND n.ship_date < a.start_date THEN 'SHIP_DATE_BEFORE_START' END,
    CASE WHEN a.partner_id = {partner} AND n.ship_date > a.end_date THEN 'AGREEMENT_EXPIRED' END,
    CASE WHEN a.partner_id = {partner} AND al.id IS NULL THEN 'SKU_NOT_ON_AGREEMENT' END,
    CASE WHEN a.partner_id = {partner} AND n.end_customer_normalised <> a.end_customer_normalised
         THEN 'END_CUSTOMER_MISMATCH' END,
    CASE WHEN EXISTS (SELECT 1 FROM claims_claimline o WHERE o.tenant_id = {tenant} AND o.partner_id = {partner}
                        AND o.invoice_number = n.invoice_number AND o.invoice_line = n.invoice_line
                        AND o.status IN ('accepted', 'adjusted'))
           OR row_number() OVER (PARTITION BY n.invoice_number, n.invoice_line ORDER BY n.line) > 1
         THEN 'DUPLICATE_LINE' END,
    CASE WHEN DATE '{claim_date}' - n.ship_date > 90 THEN 'CLAIM_PAST_WINDOW' END,
    CASE WHEN n.resale_price > al.max_resale_price THEN 'RESALE_ABOVE_MAXIMUM' END,
    CASE WHEN al.authorized_quantity - al.consumed_quantity
              - coalesce(sum(n.quantity) OVER (PARTITION BY al.id ORDER BY n.line
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) <= 0 THEN 'NO_QUANTITY_LEFT' END,
    CASE WHEN n.claimed_unit_debit > al.book_cost - al.approved_cost THEN 'DEBIT_EXCEEDS_ALLOWED' END
  ], NULL) AS codes,
  least(n.claimed_unit_debit, al.book_cost - al.approved_cost) * n.quantity AS amount
FROM {norm} n
LEFT JOIN claims_pricingagreement a ON a.tenant_id = {tenant} AND upper(a.number) = upper(n.agreement_number)
LEFT JOIN prm_product p ON p.tenant_id = {tenant} AND upper(p.sku) = upper(n.sku)
LEFT JOIN claims_agreementline al ON al.tenant_id = {tenant} AND al.agreement_id = a.id AND al.product_id = p.id
) x
"""


def validate_step_vs_reference(tenant, partner, path: Path) -> tuple[float, float]:
    """Stage and parse the file once; time our validation statement and the reference statement
    on the same parsed lines (each in a transaction that is rolled back)."""
    from django.db import transaction
    from django.utils import timezone

    from claims import pipeline
    from claims.fields import detect_mapping, header_score
    from claims.models import Claim
    from prm.reader import inspect_file
    from prm.tenancy.context import tenant_context

    with tenant_context(tenant):
        claim = Claim.objects.create(
            partner=partner,
            number="REF-STEP",
            claim_date=CLAIM_DATE,
            status="validating",
            currency="USD",
            submitted_at=timezone.now(),
        )
        from prm.jobs.services import job_create

        job = job_create(
            kind="claims:bench", acting_user=None, params={"claim_id": claim.pk}, partner=partner
        )
        stage, norm, names, used = pipeline.scratch_names(job)
        layout = inspect_file(path, "csv", header_score)
        pipeline.create_stage_table(stage)
        pipeline.stage_file(
            table=stage,
            tenant_id=tenant.pk,
            claim_id=claim.pk,
            path=path,
            layout=layout,
            mapping=detect_mapping(layout.headers),
        )
        pipeline.normalise(stage=stage, norm=norm, names=names, decimal_comma=False)
        run = pipeline.Run(
            tenant_id=tenant.pk,
            claim_id=claim.pk,
            partner_id=partner.pk,
            claim_date=CLAIM_DATE.isoformat(),
            window_days=90,
            currency="USD",
            norm=norm,
            used=used,
        )
        try:
            with transaction.atomic():
                started = time.perf_counter()
                pipeline.validate_and_insert(run)
                ours = time.perf_counter() - started
                transaction.set_rollback(True)
            statement = REFERENCE.format(
                partner=partner.pk,
                tenant=tenant.pk,
                claim_date=CLAIM_DATE.isoformat(),
                norm=pipeline.ident(norm),
                claim=claim.pk,
            )
            with transaction.atomic():
                started = time.perf_counter()
                pipeline.execute(statement)
                reference = time.perf_counter() - started
                transaction.set_rollback(True)
        finally:
            pipeline.drop_table(stage)
            pipeline.drop_table(norm)
    return ours, reference


def run(ctx: Context) -> list[Result]:
    results: list[Result] = []
    wanted = [n for n in ("claims_validate_vs_orm_loop", "claims_validate_vs_reference_sql") if ctx.wants(n)]
    if not wanted:
        return results
    agreement_lines = ctx.rows(100_000, minimum=200)
    tenant, partner, agreements = setup(agreement_lines)
    n = ctx.rows(1_000_000)
    path = ctx.workdir / "claim-1.csv"
    generate(path, n, agreements, prefix="A")
    if "claims_validate_vs_orm_loop" in wanted:
        print(
            f"[bench] claims_validate_vs_orm_loop: {n} lines vs {agreement_lines} agreement lines", flush=True
        )
        ours, claim = ours_end_to_end(tenant, partner, path, "BENCH-1")
        print(f"[bench]   ours {ours:.1f}s ({getattr(claim, 'status', '?')})", flush=True)
        sample = min(10_000, n)
        loop = orm_loop(tenant, partner, path, sample)
        scaled = loop * n / sample
        print(f"[bench]   ORM loop {loop:.1f}s for {sample} lines -> {scaled:.0f}s scaled", flush=True)
        results.append(
            Result(
                "claims_validate_vs_orm_loop",
                n,
                round(ours, 3),
                round(scaled, 3),
                "s",
                notes=f"ORM loop measured on {sample} lines ({loop:.1f}s) and scaled to {n}",
            )
        )
    if "claims_validate_vs_reference_sql" in wanted:
        other = ctx.workdir / "claim-2.csv"
        generate(other, n, agreements, prefix="B", seed=17)
        ours, reference = validate_step_vs_reference(tenant, partner, other)
        print(
            f"[bench] claims_validate_vs_reference_sql: ours {ours:.2f}s, reference {reference:.2f}s",
            flush=True,
        )
        results.append(
            Result("claims_validate_vs_reference_sql", n, round(ours, 3), round(reference, 3), "s")
        )
    return results
