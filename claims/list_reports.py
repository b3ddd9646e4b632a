"""The claims list as a schedulable report (``prm.reports.ReportKind``): the list page filters
its claims here and a scheduled e-mail builds its table here too, in the recipient's scope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims import selectors
from claims.models import Claim
from prm.accounts.models import Membership
from prm.lib.money import quantize_money
from prm.reports import LIST_ROW_CAP, ReportKind, ReportTables, check_params, list_report
from prm.roles import Perm

HEADERS = [
    "debit_memo",
    "partner_code",
    "partner",
    "claim_date",
    "submitted_at",
    "status",
    "lines",
    "claimed",
    "approved",
    "currency",
]


def claim_list_filters(params: Mapping[str, Any]) -> dict[str, str]:
    """The list's filters that apply: a known status, a partner id (within the member's scope)."""
    status = str(params.get("status") or "")
    partner = str(params.get("partner") or "")
    return {
        "status": status if status in Claim.Status.values else "",
        "partner": partner if partner.isdigit() else "",
    }


def claim_list_queryset(membership: Membership, params: Mapping[str, Any]) -> QuerySet[Claim]:
    qs = selectors.claims_for_membership(membership)
    filters = claim_list_filters(params)
    if filters["status"]:
        qs = qs.filter(status=filters["status"])
    if filters["partner"]:  # within the member's scope: the queryset is scoped already
        qs = qs.filter(partner_id=int(filters["partner"]))
    return qs


def claim_list_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    check_params(params, integers=("partner",), choices={"status": Claim.Status.values})
    qs = claim_list_queryset(membership, params)
    rows = (
        [
            c.number,
            c.partner.code,
            c.partner.name,
            c.claim_date,
            timezone.localtime(c.submitted_at).replace(tzinfo=None),
            c.get_status_display(),
            c.line_count,
            quantize_money(c.claimed_total, c.currency),
            quantize_money(c.approved_total, c.currency),
            c.currency,
        ]
        for c in qs[:LIST_ROW_CAP]
    )
    return {"claims": lambda: list_report("claims", _("Claims"), HEADERS, rows)}


CLAIM_LIST = ReportKind(
    key="claims.list",
    label=gettext_lazy("Claims"),
    perm=Perm.CLAIM_VIEW,
    url_name="claims:list",
    tables=claim_list_tables,
)
