"""A report table: a title, a header row and rows, shown on a page and downloaded through
prm.exports (``?export=<name>&format=csv|xlsx``); and the registry of report pages that can be
scheduled (``register_report``).

Every report page of the apps builds these (claims, funds, rebates, POS, deals, finance, audit),
so that each table on a page has its CSV and XLSX download with the same columns and the same
escaping. A page registers itself as a ``ReportKind`` from its app's ``AppConfig.ready()``: its
``tables(membership, params)`` parses the page's filters and names each table's builder; the page
itself calls the same function, so a scheduled e-mail holds what the page shows its recipient."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from itertools import islice
from typing import TYPE_CHECKING, Any

from django.http import QueryDict
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from prm.accounts.models import Membership
from prm.exports import export_response
from prm.http import PortalRequest

if TYPE_CHECKING:
    from django import forms

    from prm.roles import Perm

EXPORT_FORMATS = ("csv", "xlsx")


@dataclass
class Report:
    name: str
    title: str
    headers: list[str]
    rows: list[list[Any]]


# The tables of one page, by name: each builds its report when called (a download builds one).
ReportTables = Mapping[str, Callable[[], Report]]


def export_format(value: str | None) -> str:
    """The requested download format; CSV unless XLSX is asked for."""
    return "xlsx" if value == "xlsx" else "csv"


def report_response(report: Report, *, prefix: str, fmt: str | None) -> HttpResponseBase:
    """The report as a CSV or XLSX download named ``<prefix>-<report>.<fmt>`` (audited, cells
    escaped against formula injection by prm.exports)."""
    return export_response(f"{prefix}-{report.name}.{export_format(fmt)}", report.headers, report.rows)


def report_download(request: PortalRequest, tables: ReportTables, *, prefix: str) -> HttpResponseBase | None:
    """The download a report page was asked for, or None when it was asked for no table of its
    own (the page then renders)."""
    name = request.GET.get("export", "")
    if name not in tables:
        return None
    return report_response(tables[name](), prefix=prefix, fmt=request.GET.get("format"))


# --- Schedulable report pages --------------------------------------------------------------------

# Query parameters of a page that are not filters: never saved with a schedule.
NOT_FILTERS = frozenset({"export", "format", "page", "report", "csrfmiddlewaretoken"})


class InvalidReportParams(ValueError):
    """The saved filters do not parse (for this member): the page would show nothing meaningful."""


@dataclass(frozen=True)
class ReportKind:
    """A report page that can be saved with its filters and e-mailed (``prm.scheduled_reports``).

    ``key`` is stable (it is stored with every schedule); ``perm`` is what the page's view
    requires, checked again for every recipient at send time; ``url_name`` is the page;
    ``tables(membership, params)`` parses ``params`` exactly as the page does (raising
    ``InvalidReportParams`` when they do not parse) and names each table's builder, within the
    member's scope."""

    key: str
    label: Any
    perm: Perm
    url_name: str
    tables: Callable[[Membership, Mapping[str, Any]], ReportTables]

    def build(self, membership: Membership, params: Mapping[str, str]) -> list[Report]:
        """Every table of the page for ``membership`` with the saved ``params``."""
        return [make() for make in self.tables(membership, query_dict(params)).values()]


_KINDS: dict[str, ReportKind] = {}


def register_report(kind: ReportKind) -> None:
    existing = _KINDS.get(kind.key)
    if existing is not None and existing != kind:
        raise ValueError(f"Report {kind.key!r} is registered twice with different definitions.")
    _KINDS[kind.key] = kind


def unregister_report(key: str) -> None:
    _KINDS.pop(key, None)


def report_kind(key: str) -> ReportKind | None:
    return _KINDS.get(key)


def report_kinds() -> list[ReportKind]:
    return sorted(_KINDS.values(), key=lambda kind: kind.key)


def report_params(query: Mapping[str, Any]) -> dict[str, str]:
    """The filters of a page's query string (a QueryDict or a dict), as saved with a schedule:
    one value per name, empty values and paging/export parameters left out."""
    if isinstance(query, QueryDict):
        items = [(name, query.get(name, "")) for name in query]
    else:
        items = [(str(name), value) for name, value in query.items()]
    return {
        name: str(value).strip()
        for name, value in sorted(items)
        if name not in NOT_FILTERS and value is not None and str(value).strip()
    }


def query_dict(params: Mapping[str, str]) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, value in params.items():
        query[name] = value
    query._mutable = False
    return query


def require_valid(form: forms.Form) -> None:
    """For ``tables``: a bound filter form that does not validate is refused with its errors
    (the page itself falls back to its defaults; a schedule must not silently widen)."""
    if form.is_bound and not form.is_valid():
        problems = "; ".join(
            (f"{form.fields[name].label}: " if name in form.fields else "") + " ".join(str(e) for e in errors)
            for name, errors in form.errors.items()
        )
        raise InvalidReportParams(problems)


def unfiltered(
    builders: Mapping[str, Callable[[Membership], Report]],
) -> Callable[[Membership, Mapping[str, Any]], ReportTables]:
    """``tables`` of a page without filters: each table built from the member alone."""

    def tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
        return {name: partial(build, membership) for name, build in builders.items()}

    return tables


# --- List pages ------------------------------------------------------------------------------------

# Rows a scheduled list sends at most (a list page's e-mail is a digest, not a data dump; the
# page's own download has every row).
LIST_ROW_CAP = 5000


def check_params(
    params: Mapping[str, Any],
    *,
    dates: Iterable[str] = (),
    decimals: Iterable[str] = (),
    integers: Iterable[str] = (),
    choices: Mapping[str, Iterable[str]] | None = None,
) -> None:
    """For ``tables`` of a list page whose filters the page reads leniently: a saved filter that
    does not parse is refused, naming the filter (a schedule must not silently widen)."""
    problems: list[str] = []

    def value_of(name: str) -> str:
        return str(params.get(name) or "").strip()

    for name in dates:
        if value_of(name):
            try:
                datetime.date.fromisoformat(value_of(name))
            except ValueError:
                problems.append(
                    _("%(field)s: “%(value)s” is not a date (YYYY-MM-DD).") % _named(name, value_of)
                )
    for name in decimals:
        if value_of(name):
            try:
                number = Decimal(value_of(name))
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite():
                problems.append(_("%(field)s: “%(value)s” is not a number.") % _named(name, value_of))
    for name in integers:
        if value_of(name) and not value_of(name).isdigit():
            problems.append(_("%(field)s: “%(value)s” is not a valid choice.") % _named(name, value_of))
    for name, allowed in (choices or {}).items():
        if value_of(name) and value_of(name) not in {str(choice) for choice in allowed}:
            problems.append(_("%(field)s: “%(value)s” is not a valid choice.") % _named(name, value_of))
    if problems:
        raise InvalidReportParams("; ".join(problems))


def _named(name: str, value_of: Callable[[str], str]) -> dict[str, str]:
    return {"field": name, "value": value_of(name)}


def capped(rows: Iterable[Sequence[Any]], cap: int = LIST_ROW_CAP) -> list[list[Any]]:
    """The first ``cap`` rows of a list's table, as lists."""
    return [list(row) for row in islice(rows, cap)]


def list_report(name: str, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Report:
    """A list page's table as a report: its export's columns, at most ``LIST_ROW_CAP`` rows."""
    return Report(name=name, title=title, headers=[str(h) for h in headers], rows=capped(rows))
