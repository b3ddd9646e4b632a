"""Fund reports for vendor staff (within their partner scope): utilisation (allocated,
committed, claimed, paid, expired) by quarter, tier and partner; money expiring soon; return by
activity type (pipeline and won revenue per fund dollar). All in the tenant's base currency,
converted at each entry's posting-day rate, each a grouped query; exported via prm.exports."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, TruncQuarter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deals.models import DealRegistration
from deals.selectors import registration_day
from funds.models import ActivityLink, ActivityType, EntryKind, Fund, LedgerEntry
from funds.selectors import ZERO, accounts_for_membership, expiry_schedule
from partners.selectors import partners_for_membership
from prm.accounts.models import Membership
from prm.finance.rates import converted_sums
from prm.lib.money import format_amount_str
from prm.reports import Report, ReportKind, unfiltered
from prm.roles import Perm

K = EntryKind
COLUMNS = (K.ALLOCATED, K.ACCRUED, K.COMMITTED, K.CLAIMED, K.PAID, K.RELEASED, K.EXPIRED)
EXPIRING_DAYS = 90


def _entries(membership: Membership):
    return LedgerEntry.objects.filter(partner__in=partners_for_membership(membership))


def _flows(membership: Membership, key: str, expr) -> tuple[dict[Any, dict[str, Decimal]], str, list[str]]:
    """{group: {kind: net amount in base currency}} for the entries of the member's partners."""
    base = membership.tenant.base_currency
    qs = _entries(membership).annotate(
        signed=Case(When(kind=K.REVERSED, then=-F("amount")), default=F("amount")),
        counted_as=Case(When(kind=K.REVERSED, then=F("reverses_kind")), default=F("kind")),
    )
    sums = converted_sums(
        qs,
        amount="signed",
        currency="currency",
        day="effective_on",
        target=base,
        keys={key: expr, "kind": "counted_as"},
    )
    missing = [str(m) for m in sums.missing]
    result: dict[Any, dict[str, Decimal]] = {}
    for group, kind in sums.groups:
        values = result.setdefault(group, dict.fromkeys(COLUMNS, ZERO))
        if kind in values:
            values[kind] += (
                sums.converted((group, kind))
                if not missing
                else sum((s.amount for s in sums.groups[(group, kind)]), ZERO)
            )
    return result, base, missing


def _flow_headers(first: list[str]) -> list[str]:
    return [*first, *[str(K(k).label) for k in COLUMNS], _("Utilisation %")]


def _flow_row(values: dict[str, Decimal], base: str) -> list[Any]:
    granted = values[K.ALLOCATED] + values[K.ACCRUED]
    pct = (values[K.CLAIMED] * 100 / granted).quantize(Decimal("0.1")) if granted else ""
    return [*[format_amount_str(values[k], base) for k in COLUMNS], pct]


def by_quarter(membership: Membership) -> Report:
    flows, base, _missing = _flows(membership, "quarter", TruncQuarter("effective_on"))
    rows = [
        [f"{q.year}-Q{(q.month - 1) // 3 + 1}", *_flow_row(v, base)]
        for q, v in sorted(flows.items(), key=lambda i: i[0])
    ]
    return Report(
        "quarters", _("Utilisation by quarter (%(c)s)") % {"c": base}, _flow_headers([_("Quarter")]), rows
    )


def by_tier(membership: Membership) -> Report:
    flows, base, _missing = _flows(membership, "tier", Coalesce(F("partner__current_tier__name"), Value("—")))
    rows = [[tier, *_flow_row(v, base)] for tier, v in sorted(flows.items())]
    return Report("tiers", _("Utilisation by tier (%(c)s)") % {"c": base}, _flow_headers([_("Tier")]), rows)


def by_partner(membership: Membership) -> Report:
    flows, base, _missing = _flows(membership, "partner", "partner__code")
    rows = [[code, *_flow_row(v, base)] for code, v in sorted(flows.items())]
    return Report(
        "partners", _("Utilisation by partner (%(c)s)") % {"c": base}, _flow_headers([_("Partner")]), rows
    )


def expiring(membership: Membership, today: datetime.date | None = None) -> Report:
    """Money that expires in the next 90 days unless committed, by account and day."""
    today = today or timezone.localdate()
    accounts = {a.pk: a for a in accounts_for_membership(membership)}
    schedule = expiry_schedule(
        list(accounts), start=today, end=today + datetime.timedelta(days=EXPIRING_DAYS)
    )
    rows = []
    for account_id, steps in schedule.items():
        account = accounts[account_id]
        for step in steps:
            rows.append(
                [
                    step.day.isoformat(),
                    account.partner.code,
                    account.partner.name,
                    account.fund.code,
                    format_amount_str(step.amount, account.fund.currency),
                    account.fund.currency,
                ]
            )
    rows.sort()
    return Report(
        "expiring",
        _("Expiring in the next %(n)d days") % {"n": EXPIRING_DAYS},
        [_("Expires on"), _("Partner"), _("Name"), _("Fund"), _("Amount"), _("Currency")],
        rows,
    )


def return_by_activity(membership: Membership, fund: Fund | None = None) -> Report:
    """Per activity type: money claimed, pipeline (linked registrations approved or won) and won
    revenue, and each per fund dollar, in the base currency: of every fund, or of ``fund``."""
    base = membership.tenant.base_currency
    scope = partners_for_membership(membership)
    entries = LedgerEntry.objects.filter(partner__in=scope, request__isnull=False)
    links = ActivityLink.objects.filter(registration__isnull=False)
    if fund is not None:
        entries, links = entries.filter(fund=fund), links.filter(request__fund=fund)
    claimed = converted_sums(
        entries.filter(Q(kind=K.CLAIMED) | Q(kind=K.REVERSED, reverses_kind=K.CLAIMED)).annotate(
            signed=Case(When(kind=K.REVERSED, then=-F("amount")), default=F("amount"))
        ),
        amount="signed",
        currency="currency",
        day="effective_on",
        target=base,
        keys={"activity": "request__activity_type"},
    )
    deals = converted_sums(
        DealRegistration.objects.filter(
            partner__in=scope,
            pk__in=links.values("registration_id"),
            status__in=[DealRegistration.Status.APPROVED, DealRegistration.Status.WON],
        ).annotate(
            activity=Subquery(
                ActivityLink.objects.filter(registration_id=OuterRef("pk")).values("request__activity_type")[
                    :1
                ]
            ),
            day=registration_day(),
        ),
        amount="value",
        currency="currency",
        day="day",
        target=base,
        keys={"activity": "activity", "status": "status"},
    )
    rows = []
    for activity, label in ActivityType.choices:
        spent = claimed.converted((activity,)) if claimed.complete and (activity,) in claimed.groups else ZERO
        won = (
            deals.converted((activity, "won"))
            if deals.complete and (activity, "won") in deals.groups
            else ZERO
        )
        approved = (
            deals.converted((activity, "approved"))
            if deals.complete and (activity, "approved") in deals.groups
            else ZERO
        )
        pipeline = won + approved
        rows.append(
            [
                str(label),
                format_amount_str(spent, base),
                format_amount_str(pipeline, base),
                format_amount_str(won, base),
                (pipeline / spent).quantize(Decimal("0.01")) if spent else "",
                (won / spent).quantize(Decimal("0.01")) if spent else "",
            ]
        )
    return Report(
        "return",
        _("Return by activity type (%(c)s)") % {"c": base},
        [
            _("Activity type"),
            _("Claimed"),
            _("Pipeline"),
            _("Won revenue"),
            _("Pipeline per fund dollar"),
            _("Won per fund dollar"),
        ],
        rows,
    )


REPORTS = {
    "quarters": by_quarter,
    "tiers": by_tier,
    "partners": by_partner,
    "expiring": expiring,
    "return": return_by_activity,
}

FUND_REPORTS = ReportKind(
    key="funds.reports",
    label=gettext_lazy("Fund reports"),
    perm=Perm.FUND_REPORTS,
    url_name="funds:dashboard",
    tables=unfiltered(REPORTS),
)


def quarter_chart(report: Report) -> dict[str, Any]:
    """Chart.js data (strings, never floats) for the stacked bars of flows per quarter."""
    labels = [row[0] for row in report.rows]
    series = [
        {"label": str(K(kind).label), "values": [row[1 + i] for row in report.rows]}
        for i, kind in enumerate(COLUMNS)
        if kind in (K.ALLOCATED, K.ACCRUED, K.COMMITTED, K.CLAIMED, K.PAID, K.EXPIRED)
    ]
    return {"labels": labels, "series": series}
