"""The deal reports page as a schedulable report (``prm.reports.ReportKind``): the page parses its
filters here and a scheduled e-mail builds its tables here too (one code path)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy

from deals import reports
from deals.forms import ReportFilterForm
from partners.selectors import partners_for_membership
from prm.accounts.models import Membership
from prm.reports import ReportKind, ReportTables, require_valid
from prm.roles import Perm
from prm.tenancy.context import require_tenant


@dataclass
class DealReportsPage:
    form: ReportFilterForm
    flt: reports.ReportFilter
    currency: str


def deal_reports_page(membership: Membership, params: Mapping[str, Any]) -> DealReportsPage:
    """The period (the last 12 months by default) and partner of the deal reports."""
    partners = partners_for_membership(membership).only("pk", "code", "name").order_by("code")
    form = ReportFilterForm(params or None, partners=partners)
    start, end = form.period()
    flt = reports.ReportFilter(start=start, end=end, partner_id=form.partner_id())
    return DealReportsPage(form=form, flt=flt, currency=require_tenant().base_currency)


def page_tables(membership: Membership, page: DealReportsPage) -> ReportTables:
    return {
        name: (lambda build=build: build(membership, page.flt, page.currency))
        for name, build in reports.REPORTS.items()
    }


def deal_report_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    page = deal_reports_page(membership, params)
    require_valid(page.form)
    return page_tables(membership, page)


DEAL_REPORTS = ReportKind(
    key="deals.reports",
    label=gettext_lazy("Deal reports"),
    perm=Perm.DEAL_REVIEW,
    url_name="deals:reports",
    tables=deal_report_tables,
)
