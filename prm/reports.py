"""Staff reports: a title, a header row and rows, shown as a table on a report page and downloaded
through prm.exports (``?export=<name>&format=csv|xlsx``): one shape for every app's reports."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http.response import HttpResponseBase

from prm.accounts.models import Membership
from prm.exports import export_response
from prm.http import PortalRequest


@dataclass
class Report:
    name: str
    title: str
    headers: list[str]
    rows: list[list[Any]]


ReportBuilder = Callable[[Membership], Report]


def report_download(
    request: PortalRequest, builders: Mapping[str, ReportBuilder], *, prefix: str
) -> HttpResponseBase | None:
    """The download a report page was asked for, or None when it was asked for no report of its
    own (the page then renders)."""
    name = request.GET.get("export", "")
    if name not in builders:
        return None
    report = builders[name](request.membership)
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    return export_response(f"{prefix}-{report.name}.{fmt}", report.headers, report.rows)
