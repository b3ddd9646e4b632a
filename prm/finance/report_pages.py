"""The finance reports page and the payables list as schedulable reports
(``prm.reports.ReportKind``): each page and a scheduled e-mail read its filters and build its
tables here (one code path)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from prm.accounts.models import Membership
from prm.finance.models import Payable
from prm.finance.registry import payable_source_kinds
from prm.finance.reports import STATE_LABELS, STATES, AccrualReport, StateRow, accrual_report, aging_report
from prm.finance.selectors import (
    PAYABLE_EXPORT_HEADERS,
    filter_payables,
    payable_export_rows,
    payable_totals,
    payables_for_membership,
)
from prm.lib.money import Money, format_amount_str
from prm.reports import (
    LIST_ROW_CAP,
    InvalidReportParams,
    Report,
    ReportKind,
    ReportTables,
    check_params,
    list_report,
)
from prm.roles import Perm
from prm.tenancy.context import require_tenant


@dataclass
class FinancePage:
    payables: QuerySet[Payable]
    target: str
    partner: str


def finance_page(membership: Membership, params: Mapping[str, Any]) -> FinancePage:
    """The member's payables, of one partner when ``partner`` names one (an id)."""
    qs = payables_for_membership(membership)
    partner = str(params.get("partner", "") or "")
    if partner.isdigit():
        qs = qs.filter(partner_id=int(partner))
    return FinancePage(payables=qs, target=require_tenant().base_currency, partner=partner)


def _money_text(totals: list[Money]) -> str:
    return " · ".join(f"{format_amount_str(m.amount, m.currency)} {m.currency}" for m in totals)


def _state_report(name: str, title: str, first: str, rows: list[StateRow]) -> Report:
    return Report(
        name,
        title,
        [first, *(str(label) for label in STATE_LABELS)],
        [[row.label, *(_money_text(row.values.get(state, [])) for state in STATES)] for row in rows],
    )


def page_tables(page: FinancePage) -> ReportTables:
    cache: dict[str, AccrualReport] = {}

    def accruals() -> AccrualReport:
        if "report" not in cache:
            cache["report"] = accrual_report(page.payables, target=page.target)
        return cache["report"]

    def aging() -> Report:
        rows = aging_report(page.payables, target=page.target)
        return Report(
            "aging",
            _("Open liability by age"),
            [_("Age"), _("Owed")],
            [[str(row["label"]), _money_text(row["totals"])] for row in rows],
        )

    return {
        "quarters": lambda: _state_report("quarters", _("By quarter"), _("Quarter"), accruals().quarters),
        "sources": lambda: _state_report("sources", _("By source"), _("Source"), accruals().sources),
        "partners": lambda: _state_report("partners", _("By partner"), _("Partner"), accruals().partners),
        "aging": aging,
    }


def finance_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    page = finance_page(membership, params)
    if page.partner and not page.partner.isdigit():
        raise InvalidReportParams(_("Partner: not a partner of this tenant."))
    return page_tables(page)


FINANCE_REPORTS = ReportKind(
    key="finance.reports",
    label=gettext_lazy("Finance reports"),
    perm=Perm.FINANCE_REPORTS,
    url_name="finance:reports",
    tables=finance_tables,
)


# --- The payables list -------------------------------------------------------------------------------


def payable_list_queryset(membership: Membership, params: Mapping[str, Any]) -> QuerySet[Payable]:
    """The payables list: the member's payables, filtered as ``params`` say."""
    return filter_payables(payables_for_membership(membership), params)


def payable_list_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    check_params(
        params,
        dates=("due_from", "due_to"),
        integers=("partner",),
        choices={
            "status": ["unpaid", *Payable.Status.values],
            "source_type": [source.kind for source in payable_source_kinds()],
        },
    )
    qs = payable_list_queryset(membership, params)

    def totals() -> Report:
        rows = [[row["currency"], row["n"], row["total"].amount] for row in payable_totals(qs)]
        return Report("totals", _("Totals per currency"), [_("Currency"), _("Payables"), _("Amount")], rows)

    return {
        "payables": lambda: list_report(
            "payables", _("Payables"), PAYABLE_EXPORT_HEADERS, payable_export_rows(qs[:LIST_ROW_CAP])
        ),
        "totals": totals,
    }


PAYABLE_LIST = ReportKind(
    key="finance.payables",
    label=gettext_lazy("Payables"),
    perm=Perm.PAYABLE_VIEW,
    url_name="finance:payables",
    tables=payable_list_tables,
)
