"""The POS report pages as schedulable reports (``prm.reports.ReportKind``): the Sell-through and
Inventory pages parse their filters here, and a scheduled e-mail builds its tables here too, so
both show a member the same rows with the same filters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posdata import reports, selectors
from posdata.forms import InventoryFilterForm, SalesFilterForm
from posdata.models import Upload
from prm.accounts.models import Membership
from prm.reports import (
    LIST_ROW_CAP,
    Report,
    ReportKind,
    ReportTables,
    check_params,
    list_report,
    require_valid,
)
from prm.roles import Perm
from prm.tenancy.context import require_tenant


@dataclass
class SalesPage:
    form: SalesFilterForm
    flt: selectors.SalesFilter
    currency: str


def sales_page(membership: Membership, params: Mapping[str, Any]) -> SalesPage:
    """The Sell-through page's filter form and the filter it gives (the last 12 months by default)."""
    form = SalesFilterForm(
        params or None, choices=selectors.filter_choices(membership), membership=membership
    )
    start, end = form.period()
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    flt = selectors.SalesFilter(
        date_from=start,
        date_to=end,
        partner_id=data.get("partner"),
        category=data.get("category") or "",
        region=data.get("region") or "",
    )
    return SalesPage(form=form, flt=flt, currency=require_tenant().base_currency)


def sales_tables(membership: Membership, page: SalesPage) -> ReportTables:
    """Every table of the Sell-through page, by its export name."""
    flt, currency = page.flt, page.currency
    stats: dict[str, Any] = {}

    def dashboard_table(name: str):
        def build():
            if "stats" not in stats:  # the five tables come from one read of the figures
                stats["stats"] = selectors.sell_through(membership, flt, currency)
            return reports.dashboard_reports(stats["stats"], currency)[name]

        return build

    return {
        "sell_through": lambda: reports.sell_through_report(membership, flt),
        "comparison": lambda: reports.comparison_report(reports.period_comparison(membership, flt, currency)),
        **{name: dashboard_table(name) for name in reports.DASHBOARD_TABLES},
    }


def sell_through_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    page = sales_page(membership, params)
    require_valid(page.form)
    return sales_tables(membership, page)


@dataclass
class InventoryPage:
    form: InventoryFilterForm
    values: dict[str, Any]
    positions: list[dict[str, Any]]
    slow: list[dict[str, Any]]


def inventory_page(membership: Membership, params: Mapping[str, Any]) -> InventoryPage:
    partners = selectors.filter_choices(membership)["partners"]
    form = InventoryFilterForm(params or None, partners=partners, membership=membership)
    values = form.values()
    positions = selectors.inventory_positions(membership, **values)
    return InventoryPage(form=form, values=values, positions=positions, slow=reports.slow_movers(positions))


def inventory_tables_of(page: InventoryPage) -> ReportTables:
    return {
        "positions": lambda: reports.inventory_report("positions", _("Inventory positions"), page.positions),
        "slow_movers": lambda: reports.inventory_report("slow_movers", _("Slow movers"), page.slow),
    }


def inventory_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    page = inventory_page(membership, params)
    require_valid(page.form)
    return inventory_tables_of(page)


SELL_THROUGH = ReportKind(
    key="pos.sell_through",
    label=gettext_lazy("Sell-through"),
    perm=Perm.POS_VIEW,
    url_name="posdata:dashboard",
    tables=sell_through_tables,
)
INVENTORY = ReportKind(
    key="pos.inventory",
    label=gettext_lazy("Inventory"),
    perm=Perm.POS_VIEW,
    url_name="posdata:inventory",
    tables=inventory_tables,
)


# --- Uploads and data quality --------------------------------------------------------------------


@dataclass
class UploadsPage:
    uploads: QuerySet[Upload]
    partner_id: int | None


def uploads_page(membership: Membership, params: Mapping[str, Any]) -> UploadsPage:
    """The member's uploads, of one partner when vendor staff name one (partners see their own)."""
    qs = selectors.uploads_for_membership(membership)
    partner = str(params.get("partner") or "")
    partner_id = int(partner) if partner.isdigit() and not membership.is_partner else None
    if partner_id:
        qs = qs.filter(partner_id=partner_id)
    return UploadsPage(uploads=qs, partner_id=partner_id)


UPLOAD_HEADERS = [
    "upload",
    "received_at",
    "partner_code",
    "data",
    "replacement",
    "file",
    "status",
    "rows_read",
    "rows_loaded",
    "rows_rejected",
    "rows_duplicate",
    "by",
]


def uploads_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    check_params(params, integers=("partner",))
    page = uploads_page(membership, params)

    def quality() -> Report:
        rows = [
            [
                q["month"].date() if q["month"] else None,
                q["files"],
                q["read"],
                q["rejected"],
                q["duplicate"],
                q["rejected_pct"],
            ]
            for q in selectors.data_quality(membership, page.partner_id)
        ]
        headers = [
            _("Month"),
            _("Files"),
            _("Rows read"),
            _("Rejected"),
            _("Duplicates"),
            _("Rejected share %"),
        ]
        return Report("quality", _("Data quality by month"), headers, rows)

    uploads = (
        [
            u.pk,
            timezone.localtime(u.created_at).replace(tzinfo=None),
            u.partner.code,
            u.get_kind_display(),
            _("yes") if u.is_replacement else "",
            u.original_name,
            u.get_status_display(),
            u.rows_read,
            u.rows_loaded,
            u.rows_rejected,
            u.rows_duplicate,
            u.created_by.email if u.created_by else "",
        ]
        for u in page.uploads[:LIST_ROW_CAP]
    )
    return {
        "quality": quality,
        "uploads": lambda: list_report("uploads", _("Uploads"), UPLOAD_HEADERS, uploads),
    }


UPLOADS = ReportKind(
    key="pos.uploads",
    label=gettext_lazy("POS uploads and data quality"),
    perm=Perm.POS_VIEW,
    url_name="posdata:uploads",
    tables=uploads_tables,
)
