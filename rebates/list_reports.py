"""The rebate programs list as a schedulable report (``prm.reports.ReportKind``): the list page
filters its programs here and a scheduled e-mail builds its table here too (vendor staff only:
programs are the vendor's, not one partner's)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from prm.accounts.models import Membership
from prm.reports import LIST_ROW_CAP, ReportKind, ReportTables, check_params, list_report
from prm.roles import Perm
from rebates import selectors
from rebates.models import RebateProgram

HEADERS = ["code", "name", "start_date", "end_date", "method", "basis", "currency", "version", "status"]


def program_status(params: Mapping[str, Any]) -> str:
    status = str(params.get("status") or "")
    return status if status in RebateProgram.Status.values else ""


def program_list_queryset(params: Mapping[str, Any]) -> QuerySet[RebateProgram]:
    qs = selectors.programs_for_staff()
    status = program_status(params)
    return qs.filter(status=status) if status else qs


def program_list_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    check_params(params, choices={"status": RebateProgram.Status.values})
    qs = program_list_queryset(params)
    rows = (
        [
            p.code,
            p.name,
            p.start_date,
            p.end_date,
            p.get_method_display(),
            p.get_basis_display(),
            p.currency,
            p.version,
            p.get_status_display(),
        ]
        for p in qs[:LIST_ROW_CAP]
    )
    return {"programs": lambda: list_report("programs", _("Rebate programs"), HEADERS, rows)}


PROGRAM_LIST = ReportKind(
    key="rebates.programs",
    label=gettext_lazy("Rebate programs"),
    perm=Perm.REBATE_PROGRAM_VIEW,
    url_name="rebates:programs",
    tables=program_list_tables,
)
