"""A report table: a header row and rows, shown on a page and exported through prm.exports.

Every report page of the apps builds these (claims, funds, POS, deals), so that each table on a
page has its CSV and XLSX download with the same columns and the same escaping."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http.response import HttpResponseBase

from prm.exports import export_response

EXPORT_FORMATS = ("csv", "xlsx")


@dataclass
class Report:
    name: str
    title: str
    headers: list[str]
    rows: list[list[Any]]


def export_format(value: str | None) -> str:
    """The requested download format; CSV unless XLSX is asked for."""
    return "xlsx" if value == "xlsx" else "csv"


def report_response(report: Report, *, prefix: str, fmt: str) -> HttpResponseBase:
    """The report as a CSV or XLSX download named ``<prefix>-<report>.<fmt>`` (audited, cells
    escaped against formula injection by prm.exports)."""
    return export_response(f"{prefix}-{report.name}.{export_format(fmt)}", report.headers, report.rows)
