"""Finance benchmarks: payout exports and remittance statements.

* ``export_csv_vs_copy``: the payout CSV of a batch of N lines (the download view, bank details
  masked, every text cell escaped) vs ``COPY (the same query, unescaped) TO STDOUT``.
* ``export_xlsx_vs_xlsxwriter``: the background XLSX export of N lines (database cursor, escaping,
  xlsxwriter) vs a bare xlsxwriter constant-memory loop writing the same rows from memory.
* ``statement_pdf_vs_weasyprint``: a ~20-page remittance statement (context, template,
  WeasyPrint) vs WeasyPrint alone on the same HTML.
"""

from __future__ import annotations

import datetime
import time
from decimal import Decimal

from bench.core import Context, Result

PARTNERS = 200
SOURCE = "bench_claim"
LINES_PER_PAGE = 40  # remittance statement rows per A4 page (measured on the template)


def _setup():
    from django.utils import timezone

    from partners.models import Partner, PayoutDetails
    from prm.accounts.models import Membership, User
    from prm.finance.models import FxRate
    from prm.finance.registry import register_payable_source
    from prm.tenancy.context import tenant_context
    from prm.tenancy.services import tenant_create

    register_payable_source(SOURCE, label="Bench claim line")
    tenant = tenant_create(slug="benchfin", name="Bench Finance", currency="USD")
    with tenant_context(tenant):
        maker = User.objects.create_user(email="maker@bench.test", password=None)
        checker = User.objects.create_user(email="checker@bench.test", password=None)
        members = [Membership.objects.create(user=u, role="finance") for u in (maker, checker)]
        partners = Partner.objects.bulk_create(
            [
                Partner(
                    tenant=tenant, code=f"B{n:04d}", name=f"Bench partner {n}", type="reseller", country="DE"
                )
                for n in range(PARTNERS)
            ]
        )
        PayoutDetails.objects.bulk_create(
            [
                PayoutDetails(
                    tenant=tenant,
                    partner=p,
                    account_holder=f"{p.name} GmbH",
                    account_number="DE89370400440532013000",
                    bank_code="COBADEFFXXX",
                    tax_id="DE123456789",
                    updated_by=maker,
                    verified_by=maker,
                    verified_at=timezone.now(),
                )
                for p in partners
            ]
        )
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=datetime.date(2026, 1, 1),
            rate=Decimal("1.0875"),
            source="ECB",
        )
    return tenant, members, partners


def _payables(tenant, partner_ids: list[int], n: int, prefix: str) -> None:
    """N payables in one statement: a fifth in EUR, every tenth a clawback, some hostile text."""
    from django.db import connection

    from prm.tenancy.context import tenant_context

    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO prm_payable (tenant_id, source_type, source_id, partner_id, amount, currency, due_date,
                                     description, status, cancel_reason, created_at, updated_at)
            SELECT %s, %s, %s || g, (%s::int[])[1 + g %% cardinality(%s::int[])],
                   ((g %% 5000) + 100)::numeric / 100 * CASE WHEN g %% 10 = 0 THEN -1 ELSE 1 END,
                   CASE WHEN g %% 5 = 0 THEN 'EUR' ELSE 'USD' END, DATE '2026-06-30',
                   CASE WHEN g %% 97 = 0 THEN '=HYPERLINK("x")' ELSE 'Claim line ' || g END,
                   'open', '', now(), now()
            FROM generate_series(1, %s) g
            """,
            [tenant.pk, SOURCE, prefix, partner_ids, partner_ids, n],
        )


def _exported_batch(tenant, members, partner_ids: list[int]):
    from prm.finance.batches import (
        BatchFilters,
        payout_batch_approve,
        payout_batch_create,
        payout_batch_export,
    )
    from prm.tenancy.context import tenant_context

    maker, checker = members
    with tenant_context(tenant):
        batch = payout_batch_create(
            acting_membership=maker, currency="USD", filters=BatchFilters(partner_ids=tuple(partner_ids))
        )
        batch = payout_batch_approve(batch=batch, acting_membership=checker)
        return payout_batch_export(batch=batch, acting_membership=maker)


def _download(tenant, member, batch, fmt: str) -> int:
    """The download view, as a request reaches it, consumed to the last byte."""
    from django.test import RequestFactory

    from prm.finance.batch_views import batch_download
    from prm.tenancy.context import tenant_context

    request = RequestFactory().get(f"/finance/batches/{batch.pk}/download/", {"format": fmt})
    request.user, request.tenant, request.membership = member.user, tenant, member  # type: ignore[attr-defined]
    request.session = {}  # type: ignore[assignment]
    with tenant_context(tenant):
        response = batch_download(request, pk=batch.pk)
        return sum(len(chunk) for chunk in response.streaming_content)


def _baseline_copy(tenant, batch) -> int:
    """COPY of the export's query with its text columns unescaped."""
    from django.db import connection

    from prm.finance import payout_export
    from prm.tenancy.context import tenant_context

    with tenant_context(tenant):
        details = payout_export.bank_details(batch, full=False)
        original = payout_export.sql_escaped
        payout_export.sql_escaped = lambda expression: expression  # type: ignore[assignment]
        try:
            sql, params = payout_export.lines_sql(batch, details)
        finally:
            payout_export.sql_escaped = original  # type: ignore[assignment]
        size = 0
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy,
        ):
            for chunk in copy:
                size += len(chunk)
        return size


def _export_csv(ctx: Context, tenant, members, partners) -> Result:
    n = ctx.rows(1_000_000)
    ids = [p.pk for p in partners[: PARTNERS // 2]]
    _payables(tenant, ids, n, "CSV-")
    batch = _exported_batch(tenant, members, ids)
    print(f"[bench] export_csv_vs_copy: {n} lines", flush=True)
    started = time.perf_counter()
    size = _download(tenant, members[0], batch, "csv")
    ours = time.perf_counter() - started
    started = time.perf_counter()
    _baseline_copy(tenant, batch)
    base = time.perf_counter() - started
    print(f"[bench]   ours {ours:.2f}s ({size / 1e6:.0f} MB), COPY {base:.2f}s", flush=True)
    return Result("export_csv_vs_copy", n, round(ours, 3), round(base, 3), "s")


def _export_xlsx(ctx: Context, tenant, members, partners) -> Result:
    import xlsxwriter

    from prm.finance import payout_export
    from prm.jobs.models import Job
    from prm.tenancy.context import tenant_context

    n = ctx.rows(100_000)
    ids = [p.pk for p in partners[PARTNERS // 2 : PARTNERS - 1]]
    _payables(tenant, ids, n, "XLSX-")
    batch = _exported_batch(tenant, members, ids)
    print(f"[bench] export_xlsx_vs_xlsxwriter: {n} lines", flush=True)
    with tenant_context(tenant):
        job = Job.objects.create(kind="export:payout_batch", params={"batch": batch.pk, "full": False})
        started = time.perf_counter()
        result = payout_export.write_payout_xlsx_file(job)
        ours = time.perf_counter() - started
        rows = list(payout_export.line_rows(batch, payout_export.bank_details(batch, full=False)))
    target = ctx.workdir / "baseline.xlsx"
    started = time.perf_counter()
    workbook = xlsxwriter.Workbook(str(target), {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, payout_export.HEADERS)
    for number, row in enumerate(rows, start=1):
        sheet.write_row(number, 0, row)
    workbook.close()
    base = time.perf_counter() - started
    print(f"[bench]   ours {ours:.2f}s ({result['rows']} rows), bare xlsxwriter {base:.2f}s", flush=True)
    return Result("export_xlsx_vs_xlsxwriter", n, round(ours, 3), round(base, 3), "s")


def _statement_pdf(ctx: Context, tenant, members, partners) -> Result:
    from prm.finance.batches import PaymentConfirmation, payout_batch_mark_paid
    from prm.finance.remittance import remittance_pdf, statement_html
    from prm.pdf import render_pdf
    from prm.tenancy.context import tenant_context

    pages = max(1, round(20 * ctx.scale)) if ctx.scale < 1 else 20
    lines = pages * LINES_PER_PAGE
    partner = partners[PARTNERS - 1]
    _payables(tenant, [partner.pk], lines, "PDF-")
    batch = _exported_batch(tenant, members, [partner.pk])
    with tenant_context(tenant):
        batch = payout_batch_mark_paid(
            batch=batch,
            acting_membership=members[0],
            confirmations=[PaymentConfirmation(partner.pk, "BENCH-1", datetime.date(2026, 7, 1))],
        )
        payment = batch.payments.get()
        print(f"[bench] statement_pdf_vs_weasyprint: {lines} lines (~{pages} pages)", flush=True)
        remittance_pdf(payment)  # warm-up: fonts and the template are loaded once per process
        started = time.perf_counter()
        pdf = remittance_pdf(payment)
        ours = time.perf_counter() - started
        html = statement_html(payment)
    started = time.perf_counter()
    render_pdf(html)
    base = time.perf_counter() - started
    print(f"[bench]   ours {ours:.2f}s ({len(pdf) // 1024} KB), WeasyPrint alone {base:.2f}s", flush=True)
    return Result(
        "statement_pdf_vs_weasyprint", lines, round(ours, 3), round(base, 3), "s", notes=f"{pages} pages"
    )


def run(ctx: Context) -> list[Result]:
    tenant, members, partners = _setup()
    results: list[Result] = []
    if ctx.wants("export_csv_vs_copy"):
        results.append(_export_csv(ctx, tenant, members, partners))
    if ctx.wants("export_xlsx_vs_xlsxwriter"):
        results.append(_export_xlsx(ctx, tenant, members, partners))
    if ctx.wants("statement_pdf_vs_weasyprint"):
        results.append(_statement_pdf(ctx, tenant, members, partners))
    return results
