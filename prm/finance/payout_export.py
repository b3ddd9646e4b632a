"""The payout file for the ERP: one row per batch line with the partner, the payee and its bank
details (masked, or in full for finance with MFA), the amount in its own and in the payment
currency with the rate used, and the source references. Written through the one export writer:
CSV straight from ``COPY`` (escaped in SQL), XLSX from a server-side cursor (in a background job
when the batch is large)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.urls import reverse

from prm.exports import sql_escaped, whole_result_plan, write_xlsx
from prm.files import tenant_folder
from prm.finance.models import PayoutBatch
from prm.finance.payout_details import payout_details_clear, payout_details_statuses
from prm.jobs.services import job_progress
from prm.tenancy.context import require_tenant

# Above this many lines an XLSX is written by a background job (CSV always streams).
XLSX_INLINE_MAX_LINES = 20_000

HEADERS = [
    "batch",
    "partner_code",
    "partner",
    "payee",
    "account_holder",
    "account_number",
    "bank_code",
    "payable",
    "source_type",
    "source_id",
    "description",
    "amount",
    "currency",
    "payment_amount",
    "payment_currency",
    "rate",
    "rate_date",
    "rate_source",
    "payment_total",
    "payment_reference",
    "paid_on",
]


def bank_details(batch: PayoutBatch, *, full: bool) -> dict[int, Mapping[str, str]]:
    """Bank details of the batch's paid partners: clear (``full``; the caller has checked and
    audited) or masked."""
    partner_ids = list(batch.payments.exclude(status="held").values_list("partner_id", flat=True))
    if full:
        return payout_details_clear(partner_ids)
    return {pk: view.masked for pk, view in payout_details_statuses(partner_ids).items() if view.masked}


def lines_sql(batch: PayoutBatch, details: Mapping[int, Mapping[str, str]]) -> tuple[str, list[Any]]:
    """The SELECT of the export (text columns escaped against formulas) and its parameters."""
    records = [
        {"partner_id": pk, **{k: d.get(k, "") for k in ("account_holder", "account_number", "bank_code")}}
        for pk, d in details.items()
    ]
    e = sql_escaped
    sql = f"""
        WITH bd AS MATERIALIZED (
          SELECT * FROM jsonb_to_recordset(%s::jsonb)
            AS x(partner_id int, account_holder text, account_number text, bank_code text))
        SELECT 'PB-' || lpad(l.batch_id::text, 6, '0'), {e("pt.code")}, {e("pt.name")},
          {e("coalesce(nullif(bd.account_holder, ''), pt.name)")}, {e("coalesce(bd.account_holder, '')")},
          {e("coalesce(bd.account_number, '')")}, {e("coalesce(bd.bank_code, '')")},
          'PAY-' || lpad(p.id::text, 6, '0'), {e("p.source_type")}, {e("p.source_id")}, {e("p.description")},
          l.amount, l.currency, l.payment_amount, l.payment_currency, l.rate, l.rate_date,
          {e("l.rate_source")}, pp.amount, {e("pp.payment_reference")}, pp.paid_on
        FROM prm_payoutbatchline l
        JOIN prm_payable p ON p.id = l.payable_id AND p.tenant_id = l.tenant_id
        JOIN prm_payoutpayment pp ON pp.id = l.payment_id AND pp.tenant_id = l.tenant_id
        JOIN partners_partner pt ON pt.id = l.partner_id AND pt.tenant_id = l.tenant_id
        LEFT JOIN bd ON bd.partner_id = l.partner_id
        WHERE l.tenant_id = %s AND l.batch_id = %s AND l.live
        ORDER BY pt.code, p.source_type, p.id
    """
    return sql, [json.dumps(records), require_tenant().pk, batch.pk]


def line_rows(batch: PayoutBatch, details: Mapping[int, Mapping[str, str]]) -> Iterator[tuple]:
    """The export's rows from a server-side cursor (constant memory for any batch size)."""
    sql, params = lines_sql(batch, details)
    with whole_result_plan(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(5000):
            yield from rows


def filename(batch: PayoutBatch, fmt: str, *, full: bool) -> str:
    return f"{batch.reference}{'-full' if full else ''}.{fmt}"


def workbook_path(job) -> Path:
    """One file per export job: a run redelivered after a crash rewrites it instead of leaving
    a second copy of the bank details behind."""
    return tenant_folder() / "exports" / f"payout-job-{job.pk}.xlsx"


def partial_workbook_path(job) -> Path:
    target = workbook_path(job)
    return target.with_name(target.name + ".part")


def write_payout_xlsx_file(job) -> dict[str, Any]:
    """The background XLSX export of ``job`` (params: batch, full): written under the tenant's
    folder with progress, next to its final name and moved there when complete; the result names
    the file and the download address."""

    batch = PayoutBatch.objects.get(pk=job.params["batch"])
    full = bool(job.params.get("full"))
    total = max(batch.lines.filter(live=True).count(), 1)
    target, partial = workbook_path(job), partial_workbook_path(job)
    target.parent.mkdir(parents=True, exist_ok=True)
    rows = write_xlsx(
        str(partial),
        HEADERS,
        line_rows(batch, bank_details(batch, full=full)),
        progress=lambda done: job_progress(job, min(99, done * 100 // total)),
    )
    os.replace(partial, target)
    return {
        "rows": rows,
        "file": str(target.relative_to(Path(settings.MEDIA_ROOT))),
        "filename": filename(batch, "xlsx", full=full),
        "download_url": reverse("finance:batch_export_file", kwargs={"pk": batch.pk, "job_pk": job.pk}),
    }


def payout_export_give_up(job, message: str) -> None:
    """The stuck-job sweep gave the export up (prm.jobs.registry): the workbook a killed run left
    half-written (bank details) is deleted; the sweep fails the job with ``message``."""
    partial_workbook_path(job).unlink(missing_ok=True)
