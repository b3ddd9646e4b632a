"""A report table: a title, a header row and rows, shown on a page and downloaded through
prm.exports (``?export=<name>&format=csv|xlsx``).

Every report page of the apps builds these (claims, funds, rebates, POS, deals), so that each
table on a page has its CSV and XLSX download with the same columns and the same escaping."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http.response import HttpResponseBase

from prm.accounts.models import Membership
from prm.exports import export_response
from prm.http import PortalRequest

EXPORT_FORMATS = ("csv", "xlsx")


@dataclass
class Report:
    name: str
    title: str
    headers: list[str]
    rows: list[list[Any]]


ReportBuilder = Callable[[Membership], Report]


def export_format(value: str | None) -> str:
    """The requested download format; CSV unless XLSX is asked for."""
    return "xlsx" if value == "xlsx" else "csv"


def report_response(report: Report, *, prefix: str, fmt: str | None) -> HttpResponseBase:
    """The report as a CSV or XLSX download named ``<prefix>-<report>.<fmt>`` (audited, cells
    escaped against formula injection by prm.exports)."""
    return export_response(f"{prefix}-{report.name}.{export_format(fmt)}", report.headers, report.rows)


def report_download(
    request: PortalRequest, builders: Mapping[str, ReportBuilder], *, prefix: str
) -> HttpResponseBase | None:
    """The download a report page was asked for, or None when it was asked for no report of its
    own (the page then renders)."""
    name = request.GET.get("export", "")
    if name not in builders:
        return None
    return report_response(builders[name](request.membership), prefix=prefix, fmt=request.GET.get("format"))
