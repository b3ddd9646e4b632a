"""Rebate calculation benchmark.

* ``rebates_calculate_vs_group_by``: a full calculation run of a tiered (retroactive, revenue)
  program over N POS lines (1,000,000 at full size) of 500 partners, 5% of the lines in EUR
  converted at their invoice-date rate: job, program lock, the set-based statement that computes
  every accrual (measure, tier, rate, caps, rounding, approved before, due), their insert, the
  run's totals and the command's result -- vs a bare ``SELECT partner_id, sum(amount) ... GROUP BY partner_id`` over the same
  table. Each side runs three times on a warm cache; the best time of each counts. Target ratio
  <= 2.0.
"""

from __future__ import annotations

import datetime
import json
import time
from decimal import Decimal

from bench.core import Context, Result

PARTNERS = 500
PRODUCTS = 200
START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 3, 31)


def _sql(statement: str, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def setup(lines: int):
    """A tenant with 500 partners, 200 products, EUR/USD rates and ``lines`` POS lines."""
    from partners.models import Partner
    from prm.catalog.models import Product
    from prm.finance.models import FxRate
    from prm.tenancy.context import tenant_context
    from prm.tenancy.services import tenant_create

    tenant = tenant_create(slug="benchrebates", name="Bench Rebates", currency="USD")
    with tenant_context(tenant):
        Partner.objects.bulk_create(
            [
                Partner(
                    tenant=tenant, code=f"B{n:04d}", name=f"Partner {n}", type="distributor", country="US"
                )
                for n in range(PARTNERS)
            ]
        )
        Product.objects.bulk_create(
            [
                Product(
                    tenant=tenant,
                    sku=f"R-{n:04d}",
                    name=f"Product {n}",
                    category="pumps" if n % 2 else "valves",
                    units_per_case=1,
                    list_price=Decimal("100"),
                    currency="USD",
                )
                for n in range(PRODUCTS)
            ]
        )
        day = START - datetime.timedelta(days=7)
        while day <= END:
            FxRate.objects.create(
                base_currency="EUR", quote_currency="USD", rate_date=day, rate=Decimal("1.0832"), source="ECB"
            )
            day += datetime.timedelta(days=7)
        _sql(
            """
            INSERT INTO posdata_upload (tenant_id, partner_id, kind, status, original_name, path, format, size,
              checksum, encoding, delimiter, header_row, headers, mapping, preview, formats, replaced_rows,
              rows_read, rows_loaded, rows_rejected, rows_duplicate, quantity_total, amount_total, currency,
              amount_totals, fx_rates, error, created_at)
            SELECT p.tenant_id, p.id, 'pos', 'loaded', 'bench.csv', 'bench.csv', 'csv', 0, md5(p.code), '', '', 1,
              '[]', '{}', '[]', '{}', 0, 0, 0, 0, 0, 0, 0, '', '{}', '[]', '', now()
            FROM partners_partner p WHERE p.tenant_id = %s
            """,
            [tenant.pk],
        )
        # Partner sizes follow a skew (a few big distributors), so the tiers split them.
        _sql(
            """
            INSERT INTO posdata_posline (tenant_id, partner_id, upload_id, invoice_number, invoice_line, invoice_date,
              product_id, partner_sku, quantity, unit_of_measure, unit_price, amount, currency, end_customer, country,
              postal_code, transaction_type, agreement_number, source_line)
            SELECT %(t)s, u.partner_id, u.id, 'INV-' || g, 1, DATE '2026-01-01' + (g %% 90),
              pr.id, '', CASE WHEN g %% 40 = 0 THEN -2 ELSE 1 + g %% 7 END, 'EA', 100 + g %% 50,
              (CASE WHEN g %% 40 = 0 THEN -2 ELSE 1 + g %% 7 END) * (100 + g %% 50),
              CASE WHEN g %% 20 = 0 THEN 'EUR' ELSE 'USD' END, '', 'US', '',
              CASE WHEN g %% 40 = 0 THEN 'return' ELSE 'sale' END, '', g
            FROM generate_series(1, %(n)s) g
            JOIN posdata_upload u ON u.tenant_id = %(t)s
             AND u.id = (SELECT min(id) FROM posdata_upload WHERE tenant_id = %(t)s)
                        + (floor(power((g::bigint * 7919 %% 1000003) / 1000003.0, 2) * %(p)s))::int
            JOIN prm_product pr ON pr.tenant_id = %(t)s
             AND pr.id = (SELECT min(id) FROM prm_product WHERE tenant_id = %(t)s) + g %% %(products)s
            """,
            {"t": tenant.pk, "n": lines, "p": PARTNERS, "products": PRODUCTS},
        )
    return tenant


def analyze(ctx: Context) -> None:
    """Fresh statistics, as autovacuum keeps them after a load (the owner may ANALYZE every table)."""
    import psycopg

    with psycopg.connect(ctx.owner_database_url, autocommit=True) as conn:
        conn.execute("ANALYZE")


def program(tenant):
    from prm.tenancy.context import tenant_context
    from rebates.services.programs import program_load

    definition = {
        "code": "BENCH-TIERED",
        "name": "Bench tiered rebate",
        "currency": "USD",
        "period": {"start": START.isoformat(), "end": END.isoformat()},
        "basis": "revenue",
        "method": "retroactive",
        "products": {"skus": [], "categories": []},
        "eligibility": {"partner_codes": [], "tiers": [], "types": []},
        "tiers": [
            {"from": "0", "rate": "0.005"},
            {"from": "500000", "rate": "0.01"},
            {"from": "1000000", "rate": "0.02"},
            {"from": "3000000", "rate": "0.03"},
        ],
        "baseline_period": None,
        "minimum": "0",
        "cap": {"measure": None, "payout": None},
        "rounding": "half_up",
    }
    with tenant_context(tenant):
        loaded, _changed = program_load(text=json.dumps(definition))
    return loaded


def _best(fn, times: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(times):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def run(ctx: Context) -> list[Result]:
    from prm.tenancy.context import tenant_context
    from rebates.services.runs import run_now, run_result

    name = "rebates_calculate_vs_group_by"
    if not ctx.wants(name):
        return []
    n = ctx.rows(1_000_000)
    started = time.perf_counter()
    tenant = setup(n)
    analyze(ctx)
    loaded = program(tenant)
    print(
        f"[bench] {name}: {n} POS lines of {PARTNERS} partners set up in {time.perf_counter() - started:.1f}s",
        flush=True,
    )
    with tenant_context(tenant):

        def baseline():
            return _sql(
                "SELECT partner_id, sum(amount) FROM posdata_posline WHERE tenant_id = %s GROUP BY partner_id",
                [tenant.pk],
            )

        def ours():
            calc = run_now(program=loaded)
            assert calc.status == "succeeded", calc.error
            assert calc.job is not None
            return calc.job.result or run_result(calc)  # what rebates_calculate prints

        baseline()  # warm the cache
        base_time, rows = _best(baseline)
        our_time, result = _best(ours)
        tiers = dict(
            _sql(
                "SELECT coalesce(tier + 1, 0), count(*) FROM rebates_accrual WHERE run_id = "
                "(SELECT max(id) FROM rebates_calculationrun WHERE tenant_id = %s) GROUP BY 1 ORDER BY 1",
                [tenant.pk],
            )
            or []
        )
    assert isinstance(result, dict) and rows is not None
    print(
        f"[bench]   ours {our_time:.2f}s ({len(result['partners'])} partners, total due {result['total_due']}),"
        f" GROUP BY {base_time:.2f}s ({len(rows)} partners)",
        flush=True,
    )
    return [
        Result(
            name,
            n,
            round(our_time, 3),
            round(base_time, 3),
            "s",
            notes=f"best of 3 each; {len(result['partners'])} accruals stored; partners per tier reached {tiers}",
        )
    ]
