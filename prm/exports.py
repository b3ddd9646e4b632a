"""The one export writer: CSV or XLSX, streamed, with cells escaped against formula injection."""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def escape_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


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
        # Only text can smuggle a formula; numbers (negative amounts) stay numbers.
        yield writer.writerow([_text(escape_cell(v)) for v in row])


def _in_current_tenant(chunks: Iterator[str]) -> Iterator[str]:
    """Stream inside the tenant context of the view: the server iterates the response after the
    middleware has left the context, and row-level security would then return no rows."""
    from prm.tenancy.context import current_tenant, tenant_context

    tenant = current_tenant()  # captured now, while the view runs
    if tenant is None:
        return chunks

    def stream() -> Iterator[str]:
        with tenant_context(tenant):
            yield from chunks

    return stream()


def audit_export(filename: str, headers: Sequence[str]) -> None:
    """Every export holds personal data (contacts, customers, partner rows): record who took which
    file. The actor is the signed-in user of the request (the membership middleware's context)."""
    from prm.accounts.models import User
    from prm.audit.services import audit
    from prm.tenancy.context import current_tenant, current_user_id

    tenant = current_tenant()
    if tenant is None:
        return
    user_id = current_user_id()
    actor = User.objects.filter(pk=user_id).first() if user_id else None
    audit(
        actor=actor, action="export.download", obj=tenant, after={"file": filename, "columns": list(headers)}
    )


def export_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponseBase:
    """A download of ``rows``: CSV streams; XLSX is written with openpyxl's write-only mode. Audited."""
    audit_export(filename, headers)
    if filename.endswith(".xlsx"):
        return _xlsx_response(filename, headers, rows)
    response = StreamingHttpResponse(
        _in_current_tenant(csv_rows(headers, rows)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    from io import BytesIO

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([escape_cell(h) for h in headers])
    for row in rows:
        sheet.append([escape_cell(v) if isinstance(v, str) else v for v in row])
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
