"""The one export writer: CSV or XLSX, with every text cell escaped against formula injection.

CSV streams row by row (``export_response``), or straight from PostgreSQL's ``COPY`` for the
largest exports (``copy_csv_response``: the same escaping applied in SQL by ``sql_escaped``).
XLSX is written by xlsxwriter in constant-memory mode, into the response or, for large
exports in a background job, into a file with progress reports (``write_xlsx``).
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from io import BytesIO
from typing import IO, Any

import xlsxwriter
from django.db import connection, transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from prm.accounts.models import User
from prm.audit.services import audit
from prm.tenancy.context import current_tenant, current_user_id, tenant_context

# A spreadsheet runs a cell starting with one of these as a formula (OWASP CSV injection; tab,
# CR and LF because some spreadsheets strip them before looking; | and % for DDE and macros).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")
_PREFIX_SET = frozenset(FORMULA_PREFIXES)
# Values that are data, never text a spreadsheet evaluates: negative amounts stay numbers.
_PLAIN = (bool, int, float, Decimal, datetime.date, datetime.time)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def escape_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula: prefix it with a quote. Anything not
    a number or date is exported as its text, so it is checked as text too."""
    if type(value) is str:  # the common case first: exports write millions of cells
        return "'" + value if value[:1] in _PREFIX_SET else value
    if value is None or isinstance(value, _PLAIN):
        return value
    text = str(value)
    return "'" + text if text[:1] in _PREFIX_SET else text


def sql_escaped(expression: str) -> str:
    """``escape_cell`` for a SQL text expression (the ``COPY`` path): the same prefixes, the
    same quote. The property test checks both agree."""
    # As character codes: no quoting of tabs or quotes, and no "%" a driver reads as a placeholder.
    prefixes = ", ".join(f"chr({ord(p)})" for p in FORMULA_PREFIXES)
    return (
        f"(CASE WHEN left({expression}, 1) IN ({prefixes}) THEN '''' || {expression} ELSE {expression} END)"
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([escape_cell(h) for h in headers])
    for row in rows:
        yield writer.writerow([_text(escape_cell(v)) for v in row])


def _in_current_tenant(chunks: Iterator[Any]) -> Iterator[Any]:
    """Stream inside the tenant context of the view: the server iterates the response after the
    middleware has left the context, and row-level security would then return no rows."""

    tenant = current_tenant()  # captured now, while the view runs
    if tenant is None:
        return chunks

    def stream() -> Iterator[Any]:
        with tenant_context(tenant):
            yield from chunks

    return stream()


def audit_export(filename: str, headers: Sequence[str]) -> None:
    """Every export holds personal data (contacts, customers, partner rows): record who took which
    file. The actor is the signed-in user of the request (the membership middleware's context)."""

    tenant = current_tenant()
    if tenant is None:
        return
    user_id = current_user_id()
    actor = User.objects.filter(pk=user_id).first() if user_id else None
    audit(
        actor=actor, action="export.download", obj=tenant, after={"file": filename, "columns": list(headers)}
    )


def _attachment(response: HttpResponseBase, filename: str) -> HttpResponseBase:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponseBase:
    """A download of ``rows``: CSV streams; XLSX is written in constant memory. Audited."""
    audit_export(filename, headers)
    if filename.endswith(".xlsx"):
        return _xlsx_response(filename, headers, rows)
    response = StreamingHttpResponse(
        _in_current_tenant(csv_rows(headers, rows)), content_type="text/csv; charset=utf-8"
    )
    return _attachment(response, filename)


# --- CSV straight from the database ---------------------------------------------------------------


@contextmanager
def whole_result_plan() -> Iterator[None]:
    """A transaction in which queries are planned to be read to their last row, with hash joins.

    Row estimates of tables a bulk insert has just filled stay far too low until autovacuum
    analyses them; a nested-loop plan built on them turned the 50,000-line payout CSV from 0.1 s
    into 62 s (bench export_csv_vs_copy, EXPLAIN ANALYZE). An export reads everything, so nested
    loops never pay. ``SET LOCAL``: a pooled connection (PgBouncer) keeps nothing afterwards."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        yield


def copy_csv_chunks(sql: str, params: Sequence[Any] = (), *, headers: Sequence[str]) -> Iterator[bytes]:
    """The CSV of a SELECT whose text columns are wrapped in ``sql_escaped``, produced by
    PostgreSQL's ``COPY ... TO STDOUT`` and passed on chunk by chunk (a million rows stream in
    constant memory at COPY's speed)."""

    header = "\ufeff" + ",".join(_csv_field(escape_cell(h)) for h in headers) + "\r\n"
    yield header.encode("utf-8")
    with whole_result_plan(), connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        with raw.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for chunk in copy:
                yield bytes(chunk)


def _csv_field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def copy_csv_response(filename: str, sql: str, params: Sequence[Any] = (), *, headers: Sequence[str]):
    """A CSV download streamed from PostgreSQL's COPY (cells escaped in SQL). Audited."""
    audit_export(filename, headers)
    response = StreamingHttpResponse(
        _in_current_tenant(copy_csv_chunks(sql, params, headers=headers)),
        content_type="text/csv; charset=utf-8",
    )
    return _attachment(response, filename)


# --- XLSX ---------------------------------------------------------------------------------------


def write_xlsx(
    target: str | IO[bytes],
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    progress: Callable[[int], None] | None = None,
    every: int = 10_000,
) -> int:
    """Write ``rows`` as a workbook to ``target`` (a path or a binary file) in constant memory;
    ``progress(rows written)`` is called every ``every`` rows. Returns the number of rows."""

    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            # Text stays text: no formula, no number, no link is made of a string.
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "default_date_format": "yyyy-mm-dd",
            "remove_timezone": True,
            "in_memory": not isinstance(target, str),
        },
    )
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, [escape_cell(h) for h in headers])
    count = 0
    write_row = sheet.write_row
    for count, row in enumerate(rows, start=1):
        write_row(count, 0, [escape_cell(v) for v in row])
        if progress is not None and count % every == 0:
            progress(count)
    workbook.close()
    return count


def write_xlsx_sheets(
    target: IO[bytes], sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]
) -> None:
    """One workbook with a sheet per (name, headers, rows), escaped like ``write_xlsx``; sheet
    names are cut to Excel's 31 characters and stripped of the characters it refuses."""
    workbook = xlsxwriter.Workbook(
        target,
        {
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "default_date_format": "yyyy-mm-dd",
            "remove_timezone": True,
            "in_memory": True,
        },
    )
    used: set[str] = set()
    for index, (name, headers, rows) in enumerate(sheets, start=1):
        title = "".join(c for c in name if c not in "[]:*?/\\'")[:31] or f"Sheet{index}"
        if title.lower() in used:
            title = f"{title[:27]}-{index}"
        used.add(title.lower())
        sheet = workbook.add_worksheet(title)
        sheet.write_row(0, 0, [escape_cell(h) for h in headers])
        for count, row in enumerate(rows, start=1):
            sheet.write_row(count, 0, [escape_cell(v) for v in row])
    workbook.close()


def _xlsx_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:

    buffer = BytesIO()
    write_xlsx(buffer, headers, rows)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    _attachment(response, filename)
    return response
