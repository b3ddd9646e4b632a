"""The fund requests and fund claims lists as schedulable reports (``prm.reports.ReportKind``):
each list page filters its rows here and a scheduled e-mail builds its table here too, in the
recipient's scope (and, for "waiting for me", the recipient's own approval authority) at send
time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from funds import selectors
from funds.models import ApprovalLevel, FundClaim, FundRequest
from prm.accounts.models import Membership
from prm.lib.money import quantize_money
from prm.reports import LIST_ROW_CAP, ReportKind, ReportTables, check_params, list_report
from prm.roles import Perm

R = FundRequest.Status
C = FundClaim.Status


def _money(amount, currency: str):
    return quantize_money(amount, currency) if amount is not None else None


# --- Fund requests -------------------------------------------------------------------------------


@dataclass
class RequestFilters:
    status: str
    level: str
    mine: bool
    partner: str


def request_list_filters(params: Mapping[str, Any]) -> RequestFilters:
    status = str(params.get("status") or "")
    level = str(params.get("level") or "")
    partner = str(params.get("partner") or "")
    return RequestFilters(
        status=status if status in R.values else "",
        level=level if level.isdigit() and int(level) in ApprovalLevel.values else "",
        mine=params.get("mine") == "1",
        partner=partner if partner.isdigit() else "",
    )


def request_list_queryset(membership: Membership, params: Mapping[str, Any]) -> QuerySet[FundRequest]:
    """The fund requests list: status, approval level, "waiting for me", partner (all scoped)."""
    filters = request_list_filters(params)
    qs = selectors.requests_for_membership(membership)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.level:
        qs = qs.filter(status=R.PENDING, level=int(filters.level))
    if filters.mine:
        qs = selectors.approval_queue(membership, timezone.localdate())
    if filters.partner:  # within the member's scope: the querysets are scoped already
        qs = qs.filter(partner_id=int(filters.partner))
    return qs


REQUEST_HEADERS = [
    "request",
    "partner_code",
    "partner",
    "fund",
    "activity",
    "title",
    "start_date",
    "end_date",
    "status",
    "level",
    "requested",
    "approved",
    "currency",
]


def request_list_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    check_params(
        params,
        integers=("partner",),
        choices={
            "status": R.values,
            "level": [str(value) for value in ApprovalLevel.values],
            "mine": ["0", "1"],
        },
    )
    qs = request_list_queryset(membership, params)
    rows = (
        [
            r.reference,
            r.partner.code,
            r.partner.name,
            r.fund.code,
            r.get_activity_type_display(),
            r.title,
            r.start_date,
            r.end_date,
            r.get_status_display(),
            r.get_level_display() if r.status == R.PENDING else "",
            _money(r.requested_amount, r.currency),
            _money(r.approved_amount, r.currency),
            r.currency,
        ]
        for r in qs[:LIST_ROW_CAP]
    )
    return {"requests": lambda: list_report("requests", _("Fund requests"), REQUEST_HEADERS, rows)}


# --- Fund claims ---------------------------------------------------------------------------------


def claim_list_filters(params: Mapping[str, Any]) -> dict[str, str]:
    status = str(params.get("status") or "")
    partner = str(params.get("partner") or "")
    return {"status": status if status in C.values else "", "partner": partner if partner.isdigit() else ""}


def claim_list_queryset(membership: Membership, params: Mapping[str, Any]) -> QuerySet[FundClaim]:
    filters = claim_list_filters(params)
    qs = selectors.claims_for_membership(membership)
    if filters["status"]:
        qs = qs.filter(status=filters["status"])
    if filters["partner"]:  # within the member's scope: the queryset is scoped already
        qs = qs.filter(partner_id=int(filters["partner"]))
    return qs


CLAIM_HEADERS = [
    "claim",
    "partner_code",
    "partner",
    "request",
    "title",
    "status",
    "actual_cost",
    "reimbursement",
    "currency",
]


def claim_list_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    check_params(params, integers=("partner",), choices={"status": C.values})
    qs = claim_list_queryset(membership, params)
    rows = (
        [
            c.reference,
            c.partner.code,
            c.partner.name,
            c.request.reference,
            c.request.title,
            c.get_status_display(),
            _money(c.actual_cost, c.currency),
            _money(c.reimbursement, c.currency),
            c.currency,
        ]
        for c in qs[:LIST_ROW_CAP]
    )
    return {"claims": lambda: list_report("claims", _("Fund claims"), CLAIM_HEADERS, rows)}


REQUEST_LIST = ReportKind(
    key="funds.requests",
    label=gettext_lazy("Fund requests"),
    perm=Perm.FUND_VIEW,
    url_name="funds:requests",
    tables=request_list_tables,
)
CLAIM_LIST = ReportKind(
    key="funds.claims",
    label=gettext_lazy("Fund claims"),
    perm=Perm.FUND_VIEW,
    url_name="funds:claims",
    tables=claim_list_tables,
)
