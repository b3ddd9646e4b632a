"""POS ingestion benchmarks.

* ``pos_ingest_vs_copy``: N messy rows (semicolon CSV in Windows-1252 with a title row, European
  dates and numbers, currency symbols, partner SKUs, a few bad rows) loaded end to end by the
  product (receive, detect, stage with COPY, normalise, validate, move) vs ``psql \\copy`` of the
  already-normalised rows into the same table.
* ``pos_ingest_vs_import_export``: the same kind of file through a straightforward
  django-import-export ``ModelResource`` (given the normalised rows, which is kind to it) vs ours.
* ``pos_memory_10m_vs_1m``: peak RSS of a process ingesting 10x the rows vs 1x (streaming).
* ``pos_dashboard_10m_vs_1m``: the Sell-through page's selectors (default period: the last twelve
  months, compared with the twelve before) over 10,000,000 POS lines vs over 1,000,000: the same
  partners, products and lines per month, two years of history against twenty. The page reads
  the rollups, so its time follows partners x products x months shown, not the history. Lines are generated with ``generate_series`` straight into the table and
  the rollups built set-based (``rollups_rebuild``), as ``pos_rollups_check --fix`` does.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from bench.core import ROOT, Context, Result

POS_COLUMNS = (
    "tenant_id, partner_id, upload_id, invoice_number, invoice_line, invoice_date, product_id, partner_sku, "
    "quantity, unit_of_measure, unit_price, amount, currency, end_customer, country, postal_code, "
    "transaction_type, agreement_number, source_line"
)
PRODUCTS = 200
# The lines and what sums them (a benchmark that empties the lines empties the rollups with them).
TRUNCATE_LINES = "TRUNCATE posdata_posline, posdata_posrollup, posdata_posdailyrollup"
DASH_PARTNERS = 50
DASH_MONTHS = 24  # of history at 1x (the newest months); 10x adds older months at the same rate
DASH_REPEAT = 5
CUSTOMERS = [
    f"{a} {b}"
    for a in ("Müller", "Größe", "Société", "Ærø", "Castaño", "Nordström")
    for b in ("GmbH", "AG", "SA", "AB")
]


def _eu(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def generate_messy(path: Path, rows: int, *, prefix: str, seed: int = 7) -> None:
    """A partner ERP export: title row, semicolons, cp1252, DD.MM.YYYY, 1.234,56 €, partner SKUs."""
    rng = random.Random(seed)
    prices = [Decimal(rng.randint(500, 250_000)) / 100 for _ in range(PRODUCTS)]
    with path.open("w", encoding="cp1252", newline="") as out:
        out.write("Verkaufsbericht Partner – Export\n")
        out.write("Rechnung;Pos;Datum;Artikel;Menge;ME;Preis;Betrag;Kunde;PLZ\n")
        invoice, line = 0, 0
        write = out.write
        for i in range(rows):
            if line == 0 or rng.random() < 0.4:
                invoice += 1
                line = 0
                day = f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.2025"
            line += 1
            n = rng.randrange(PRODUCTS)
            qty = rng.randint(1, 40)
            if i % 50 == 0:
                qty = -qty
            price = prices[n]
            sku = f"PX-{n:04d}"
            if i % 997 == 0:
                sku = "PX-UNKNOWN"
            date = day if i % 1499 else "31.02.2025"
            write(
                f"{prefix}{invoice:08d};{line};{date};{sku};{qty};ST;{_eu(price)} €;{_eu(price * qty)};"
                f"{CUSTOMERS[i % len(CUSTOMERS)]};{10000 + i % 89999}\n"
            )


def setup_tenant():
    from decimal import Decimal as D

    from partners.models import Partner
    from posdata.models import SkuXref
    from prm.catalog.models import Product
    from prm.tenancy.context import tenant_context
    from prm.tenancy.services import tenant_create

    tenant = tenant_create(slug="bench", name="Bench Industries", currency="EUR")
    with tenant_context(tenant):
        partners = {
            code: Partner.objects.create(
                code=code, name=f"Bench partner {code}", type="distributor", country="DE"
            )
            for code in ("B1", "B2", "B3", "B4", "B5")
        }
        products = Product.objects.bulk_create(
            [
                Product(
                    tenant=tenant,
                    sku=f"V-{n:04d}",
                    name=f"Product {n}",
                    category=f"cat{n % 7}",
                    units_per_case=6,
                    list_price=D("10.00"),
                    currency="EUR",
                )
                for n in range(PRODUCTS)
            ]
        )
        SkuXref.objects.bulk_create(
            [
                SkuXref(tenant=tenant, partner=partner, partner_sku=f"PX-{n:04d}", product=product)
                for partner in partners.values()
                for n, product in enumerate(products)
            ]
        )
    return tenant, partners


def ingest(tenant, partner, path: Path) -> tuple[float, dict]:
    from posdata.services import pos_file_load
    from prm.tenancy.context import tenant_context

    with tenant_context(tenant):
        started = time.perf_counter()
        _upload, result = pos_file_load(partner=partner, path=path)
        return time.perf_counter() - started, result


def _owner_sql(ctx: Context, statement: str) -> None:
    """Table maintenance the app's runtime role may not do (TRUNCATE, ALTER), as the owner."""
    import psycopg

    with psycopg.connect(ctx.owner_database_url, autocommit=True) as conn:
        conn.execute(statement.encode())


def export_normalised(tenant, partner, path: Path) -> None:
    """The loaded rows as a plain CSV in the table's column order (the 'already-normalised file')."""
    from django.db import connection

    from prm.tenancy.context import tenant_context

    with tenant_context(tenant):
        connection.ensure_connection()
        with path.open("wb") as out, connection.connection.cursor() as cursor:
            query = f"COPY (SELECT {POS_COLUMNS} FROM posdata_posline WHERE partner_id = {partner.pk}) TO STDOUT WITH (FORMAT csv)"
            with cursor.copy(query.encode()) as copy:
                for chunk in copy:
                    out.write(chunk)


def baseline_copy(ctx: Context, tenant, path: Path) -> tuple[float, str]:
    """``psql \\copy`` of the normalised file into posdata_posline. COPY FROM is refused on a
    table under row-level security, so the table owner lifts FORCE and copies, for the baseline only."""
    from django.db import connection

    _owner_sql(ctx, TRUNCATE_LINES)
    _owner_sql(ctx, "ALTER TABLE posdata_posline NO FORCE ROW LEVEL SECURITY")
    connection.close()
    try:
        psql = shutil.which("psql")
        statement = f"\\copy posdata_posline ({POS_COLUMNS}) FROM '{path}' WITH (FORMAT csv)"
        if psql:
            started = time.perf_counter()
            subprocess.run(
                [psql, ctx.owner_database_url, "-v", "ON_ERROR_STOP=1", "-q", "-c", statement], check=True
            )
            return time.perf_counter() - started, "psql \\copy"
        import psycopg

        started = time.perf_counter()
        statement = f"COPY posdata_posline ({POS_COLUMNS}) FROM STDIN WITH (FORMAT csv)"
        with (
            psycopg.connect(ctx.owner_database_url) as conn,
            conn.cursor() as cursor,
            cursor.copy(statement) as copy,
            path.open("rb") as handle,
        ):
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                copy.write(chunk)
        return time.perf_counter() - started, "psql not found: psycopg COPY FROM STDIN of the file"
    finally:
        _owner_sql(ctx, "ALTER TABLE posdata_posline FORCE ROW LEVEL SECURITY")


def baseline_import_export(tenant, partner, normalised: Path, upload_id: int) -> float:
    """A straightforward django-import-export resource (the ecosystem default) on the same rows."""
    import csv

    import tablib
    from import_export import fields, resources, widgets

    from partners.models import Partner
    from posdata.models import PosLine
    from prm.catalog.models import Product
    from prm.tenancy.context import tenant_context

    class PosLineResource(resources.ModelResource):
        partner = fields.Field(
            attribute="partner", column_name="partner", widget=widgets.ForeignKeyWidget(Partner, "code")
        )
        product = fields.Field(
            attribute="product", column_name="product", widget=widgets.ForeignKeyWidget(Product, "sku")
        )

        class Meta:
            model = PosLine
            import_id_fields = ["partner", "invoice_number", "invoice_line"]
            fields = [
                "partner",
                "upload",
                "invoice_number",
                "invoice_line",
                "invoice_date",
                "product",
                "partner_sku",
                "quantity",
                "unit_of_measure",
                "unit_price",
                "amount",
                "currency",
                "end_customer",
                "country",
                "postal_code",
                "transaction_type",
                "agreement_number",
                "source_line",
            ]

    with tenant_context(tenant):
        skus = dict(Product.objects.values_list("pk", "sku"))
        headers = [
            "partner",
            "upload",
            "invoice_number",
            "invoice_line",
            "invoice_date",
            "product",
            "partner_sku",
            "quantity",
            "unit_of_measure",
            "unit_price",
            "amount",
            "currency",
            "end_customer",
            "country",
            "postal_code",
            "transaction_type",
            "agreement_number",
            "source_line",
        ]
        dataset = tablib.Dataset(headers=headers)
        with normalised.open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                (
                    _t,
                    _p,
                    _u,
                    inv,
                    line,
                    day,
                    product_id,
                    psku,
                    qty,
                    uom,
                    price,
                    amount,
                    cur,
                    cust,
                    country,
                    postal,
                    ttype,
                    agreement,
                    source,
                ) = row
                dataset.append(
                    [
                        partner.code,
                        upload_id,
                        f"IE{inv}",
                        line,
                        day,
                        skus[int(product_id)],
                        psku,
                        qty,
                        uom,
                        price,
                        amount,
                        cur,
                        cust,
                        country,
                        postal,
                        ttype,
                        agreement,
                        source,
                    ]
                )
        started = time.perf_counter()
        result = PosLineResource().import_data(dataset, dry_run=False, raise_errors=True)
        elapsed = time.perf_counter() - started
        assert result.totals["new"] == len(dataset), result.totals
        return elapsed


def memory_child(ctx: Context, path: Path, partner_code: str) -> float:
    """Peak RSS (MB) of a fresh process that ingests ``path`` end to end."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.pos", "ingest-child", str(path), partner_code],
        cwd=ROOT,
        env=ctx.child_env(),
        check=False,
        capture_output=True,
        text=True,
    )
    if completed.returncode:
        print(completed.stderr[-4000:], file=sys.stderr)
        completed.check_returncode()
    data = json.loads(completed.stdout.strip().splitlines()[-1])
    print(
        f"[bench]   child {partner_code}: {data['rows_loaded']} rows loaded in {data['seconds']:.1f}s, "
        f"peak RSS {data['peak_mb']:.1f} MB",
        flush=True,
    )
    return data["peak_mb"]


def _child_main(path: str, partner_code: str) -> None:
    import resource

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")
    django.setup()
    from partners.models import Partner
    from prm.tenancy.context import tenant_context
    from prm.tenancy.models import Tenant

    tenant = Tenant.objects.get(slug="bench")
    with tenant_context(tenant):
        partner = Partner.objects.get(code=partner_code)
    seconds, result = ingest(tenant, partner, Path(path))
    # VmHWM belongs to this process image; ru_maxrss would carry the parent's high-water mark
    # across fork + exec on Linux.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                peak_mb = int(line.split()[1]) / 1024
    print(json.dumps({"seconds": seconds, "rows_loaded": result["rows_loaded"], "peak_mb": peak_mb}))


def run(ctx: Context) -> list[Result]:
    tenant, partners = setup_tenant()
    results: list[Result] = []
    if ctx.wants("pos_ingest_vs_copy"):
        results.append(_ingest_vs_copy(ctx, tenant, partners))
    if ctx.wants("pos_ingest_vs_import_export"):
        results.append(_ingest_vs_import_export(ctx, tenant, partners))
    if ctx.wants("pos_memory_10m_vs_1m"):
        results.append(_memory(ctx))
    if ctx.wants("pos_dashboard_10m_vs_1m"):
        results.append(_dashboard(ctx))
    return results


def _ingest_vs_copy(ctx: Context, tenant, partners) -> Result:

    # 1. end to end vs psql \copy of the normalised rows into the same table
    n = ctx.rows(1_000_000)
    messy = ctx.workdir / "messy-1.csv"
    generate_messy(messy, n, prefix="A")
    print(f"[bench] pos_ingest_vs_copy: {n} rows", flush=True)
    ours, summary = ingest(tenant, partners["B1"], messy)
    print(
        f"[bench]   ours {ours:.1f}s: {json.dumps({k: v for k, v in summary.items() if k != 'errors'})}",
        flush=True,
    )
    normalised = ctx.workdir / "normalised-1.csv"
    export_normalised(tenant, partners["B1"], normalised)
    base, how = baseline_copy(ctx, tenant, normalised)
    print(f"[bench]   baseline ({how}) {base:.1f}s", flush=True)
    return Result("pos_ingest_vs_copy", n, round(ours, 3), round(base, 3), "s", notes=how)


def _ingest_vs_import_export(ctx: Context, tenant, partners) -> Result:
    n = ctx.rows(100_000, minimum=500)
    messy = ctx.workdir / "messy-2.csv"
    generate_messy(messy, n, prefix="B", seed=11)
    print(f"[bench] pos_ingest_vs_import_export: {n} rows", flush=True)
    ours, _summary = ingest(tenant, partners["B2"], messy)
    normalised = ctx.workdir / "normalised-2.csv"
    export_normalised(tenant, partners["B2"], normalised)
    from posdata.models import Upload
    from prm.tenancy.context import tenant_context

    with tenant_context(tenant):
        upload_id = Upload.objects.filter(partner=partners["B2"]).values_list("pk", flat=True).first()
    base = baseline_import_export(tenant, partners["B2"], normalised, upload_id)
    print(f"[bench]   ours {ours:.2f}s, django-import-export {base:.1f}s", flush=True)
    return Result("pos_ingest_vs_import_export", n, round(ours, 3), round(base, 3), "s")


def _memory(ctx: Context) -> Result:
    small, large = ctx.rows(1_000_000), ctx.rows(10_000_000, minimum=10_000)
    print(f"[bench] pos_memory_10m_vs_1m: {large} vs {small} rows", flush=True)
    small_file, large_file = ctx.workdir / "mem-small.csv", ctx.workdir / "mem-large.csv"
    generate_messy(small_file, small, prefix="C", seed=3)
    _owner_sql(ctx, TRUNCATE_LINES)
    mb_small = memory_child(ctx, small_file, "B3")
    small_file.unlink()
    generate_messy(large_file, large, prefix="D", seed=5)
    _owner_sql(ctx, TRUNCATE_LINES)
    mb_large = memory_child(ctx, large_file, "B4")
    large_file.unlink()
    return Result("pos_memory_10m_vs_1m", large, round(mb_large, 1), round(mb_small, 1), "MB")


def _dashboard_tenant():
    """A tenant of DASH_PARTNERS partners in five regions, PRODUCTS products in seven categories,
    one loaded upload per partner, and a vendor admin's membership (unsaved: it sees every partner)."""
    from django.db import connection

    from partners.models import Partner
    from prm.accounts.models import Membership
    from prm.catalog.models import Product
    from prm.roles import Role
    from prm.tenancy.context import tenant_context
    from prm.tenancy.services import tenant_create

    tenant = tenant_create(slug="bench-dashboard", name="Bench Dashboard", currency="EUR")
    with tenant_context(tenant):
        Partner.objects.bulk_create(
            [
                Partner(
                    tenant=tenant,
                    code=f"D{n:03d}",
                    name=f"Distributor {n}",
                    type="distributor",
                    country="DE",
                    region=f"region {n % 5}",
                )
                for n in range(DASH_PARTNERS)
            ]
        )
        Product.objects.bulk_create(
            [
                Product(
                    tenant=tenant,
                    sku=f"S-{n:04d}",
                    name=f"Product {n}",
                    category=f"cat{n % 7}",
                    list_price=Decimal("10.00"),
                    currency="EUR",
                )
                for n in range(PRODUCTS)
            ]
        )
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO posdata_upload (tenant_id, partner_id, kind, status, original_name, path, format, size,
                  checksum, encoding, delimiter, header_row, headers, mapping, preview, formats, replaced_rows,
                  rows_read, rows_loaded, rows_rejected, rows_duplicate, quantity_total, amount_total, currency,
                  amount_totals, fx_rates, error, created_at)
                SELECT p.tenant_id, p.id, 'pos', 'loaded', 'bench.csv', 'bench.csv', 'csv', 0, md5(p.code), '', '',
                  1, '[]', '{}', '[]', '{}', 0, 0, 0, 0, 0, 0, 0, '', '{}', '[]', '', now()
                FROM partners_partner p WHERE p.tenant_id = %s
                """,
                [tenant.pk],
            )
    return tenant, Membership(tenant=tenant, role=Role.VENDOR_ADMIN)


def _dashboard_lines(tenant, first: int, last: int, per_month: int) -> None:
    """Lines ``first``..``last`` (set-based, generate_series): ``per_month`` lines in each month
    back from the current one (line 1 in the newest), over every partner and product, 2% returns,
    5% in USD; then the rollups rebuilt."""
    from django.db import connection, transaction

    from posdata.pipeline.rollups import rollups_rebuild
    from prm.tenancy.context import tenant_context

    with tenant_context(tenant), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            WITH u AS (SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, partner_id
                       FROM posdata_upload WHERE tenant_id = %(t)s),
                 pr AS (SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM prm_product WHERE tenant_id = %(t)s)
            INSERT INTO posdata_posline (tenant_id, partner_id, upload_id, invoice_number, invoice_line, invoice_date,
              product_id, partner_sku, quantity, unit_of_measure, unit_price, amount, currency, end_customer, country,
              postal_code, transaction_type, agreement_number, source_line)
            SELECT %(t)s, u.partner_id, u.id, 'INV-' || g, 1,
              (date_trunc('month', current_date) - make_interval(months => ((g - 1) / %(per_month)s)::int))::date
                + (g * 7919 %% 28)::int,
              pr.id, '', q, 'EA', 10, q * 10, CASE WHEN g %% 20 = 0 THEN 'USD' ELSE 'EUR' END, '', 'DE', '',
              CASE WHEN q < 0 THEN 'return' ELSE 'sale' END, '', g
            FROM (SELECT g, CASE WHEN g %% 50 = 0 THEN -1 ELSE 1 + g %% 9 END AS q
                  FROM generate_series(%(first)s::bigint, %(last)s::bigint) g) x
            JOIN u ON u.n = g %% %(partners)s
            JOIN pr ON pr.n = (g / %(partners)s) %% %(products)s
            """,
            {
                "t": tenant.pk,
                "first": first,
                "last": last,
                "per_month": per_month,
                "partners": DASH_PARTNERS,
                "products": PRODUCTS,
            },
        )
        rollups_rebuild(tenant.pk)


def _dashboard_seconds(tenant, membership) -> float:
    """The median over DASH_REPEAT runs of what the Sell-through page's view asks its selectors
    for (default period, every partner): the figures, the first page of the sell-through % table,
    its total and the period comparison."""
    import statistics

    from posdata import reports, selectors
    from posdata.forms import SalesFilterForm
    from prm.tenancy.context import tenant_context

    with tenant_context(tenant):
        form = SalesFilterForm(None, choices=selectors.filter_choices(membership), membership=membership)
        start, end = form.period()
        flt = selectors.SalesFilter(date_from=start, date_to=end)
        timings = []
        for _ in range(DASH_REPEAT):
            started = time.perf_counter()
            stats = selectors.sell_through(membership, flt, "EUR")
            list(reports.sell_through_rows(membership, flt)[:50])
            reports.sell_through_total(membership, flt)
            reports.period_comparison(membership, flt, "EUR")
            timings.append(time.perf_counter() - started)
    assert stats["lines"] > 0
    return statistics.median(timings)


def _dashboard(ctx: Context) -> Result:
    small, large = ctx.rows(1_000_000), ctx.rows(10_000_000, minimum=10_000)
    print(f"[bench] pos_dashboard_10m_vs_1m: {large} vs {small} lines", flush=True)
    tenant, membership = _dashboard_tenant()
    per_month = max(1, small // DASH_MONTHS)
    seconds = {}
    done = 0
    for n in (small, large):
        started = time.perf_counter()
        _dashboard_lines(tenant, done + 1, n, per_month)
        done = n
        _owner_sql(ctx, "ANALYZE")
        print(
            f"[bench]   {n} lines generated and rolled up in {time.perf_counter() - started:.1f}s", flush=True
        )
        seconds[n] = _dashboard_seconds(tenant, membership)
        print(f"[bench]   page selectors at {n} lines: {seconds[n] * 1000:.1f} ms", flush=True)
    return Result(
        "pos_dashboard_10m_vs_1m",
        large,
        round(seconds[large], 4),
        round(seconds[small], 4),
        "s",
        notes=(
            f"{large} vs {small} lines: {per_month} a month over {DASH_PARTNERS} partners x {PRODUCTS} products, "
            f"{large // per_month} vs {small // per_month} months of history"
        ),
    )


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "ingest-child":
    _child_main(sys.argv[2], sys.argv[3])
