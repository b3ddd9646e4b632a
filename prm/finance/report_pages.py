"""The finance reports page as a schedulable report (``prm.reports.ReportKind``): the page and a
scheduled e-mail read its partner filter and build its tables here (one code path)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from prm.accounts.models import Membership
from prm.finance.models import Payable
from prm.finance.reports import STATE_LABELS, STATES, AccrualReport, StateRow, accrual_report, aging_report
from prm.finance.selectors import payables_for_membership
from prm.lib.money import Money, format_amount_str
from prm.reports import InvalidReportParams, Report, ReportKind, ReportTables
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
