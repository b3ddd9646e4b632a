"""Deal reports (vendor staff, within their partner scope): registrations, approvals and wins by
month, and lead acceptance and conversion per partner and source. Each report is a
``prm.reports.Report``, shown as a table and exported through prm.exports.

Definitions (stated on the page):
- a registration counts in the month of its first complete submission; an approval in the month
  of the decision of a registration that was approved (whatever became of it later); a win in the
  month of its close date;
- a lead offer is accepted, declined, timed out, withdrawn or still pending; acceptance = accepted
  / answered offers (accepted, declined, timed out); conversion = accepted leads whose
  registration the partner submitted / accepted leads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, DateField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast, TruncMonth
from django.utils.translation import gettext as _

from deals.models import DealRegistration, LeadAssignment
from deals.selectors import registrations_for_membership
from partners.selectors import partners_for_membership
from prm.accounts.models import Membership
from prm.finance.rates import converted_sums
from prm.lib.money import Money, format_amount_str
from prm.reports import Report

S = DealRegistration.Status
O = LeadAssignment.Outcome  # noqa: E741  (the outcome table, as S is the status table)
APPROVED_OUTCOMES = (S.APPROVED, S.WON, S.LOST, S.EXPIRED)
ANSWERED = (O.ACCEPTED, O.DECLINED, O.TIMED_OUT)


def _converted() -> Exists:
    """The offer's partner submitted the registration that accepting the lead created."""
    return Exists(
        DealRegistration.objects.filter(
            lead_id=OuterRef("lead_id"), partner_id=OuterRef("partner_id"), first_submitted_at__isnull=False
        )
    )


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in per cent with one decimal, or None when ``whole`` is zero."""
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else None


def lead_funnel(assignments: QuerySet[LeadAssignment], by: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Lead offers grouped by ``by`` (e.g. ``partner__code``, ``lead__source``; none: one row):
    offered, accepted, declined, timed out, pending, converted, acceptance % and conversion %.
    One aggregate query whatever the number of offers."""
    counts = {
        "offered": Count("id"),
        "accepted": Count("id", filter=Q(outcome=O.ACCEPTED)),
        "declined": Count("id", filter=Q(outcome=O.DECLINED)),
        "timed_out": Count("id", filter=Q(outcome=O.TIMED_OUT)),
        "pending": Count("id", filter=Q(outcome=O.PENDING)),
        "converted": Count("id", filter=Q(outcome=O.ACCEPTED) & Q(_converted())),
    }
    qs = assignments.order_by()
    rows = list(qs.values(*by).annotate(**counts).order_by(*by)) if by else [qs.aggregate(**counts)]
    result = []
    for row in rows:
        answered = row["accepted"] + row["declined"] + row["timed_out"]
        row["acceptance_pct"] = percent(row["accepted"], answered)
        row["conversion_pct"] = percent(row["converted"], row["accepted"])
        result.append(row)
    return result


# --- The reports page -----------------------------------------------------------------------------


@dataclass
class ReportFilter:
    """The reports' period (inclusive; months are whole calendar months around it) and partner."""

    start: date
    end: date
    partner_id: int | None = None


def months_between(start: date, end: date) -> list[date]:
    """The first day of every month from ``start``'s to ``end``'s."""
    months, current = [], start.replace(day=1)
    while current <= end:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def _registrations(membership: Membership, f: ReportFilter) -> QuerySet[DealRegistration]:
    qs = registrations_for_membership(membership).order_by()
    return qs.filter(partner_id=f.partner_id) if f.partner_id else qs


def _per_month(qs: QuerySet, day: str, f: ReportFilter, **condition: Any) -> dict[date, int]:
    """How many rows of ``qs`` fall in each month by the date (or time) field ``day``."""
    lookup = f"{day}__date__range" if day.endswith("_at") else f"{day}__range"
    rows = (
        qs.filter(**{lookup: (f.start, f.end)}, **condition)
        .annotate(month=TruncMonth(day, output_field=DateField()))
        .values("month")
        .annotate(n=Count("id"))
    )
    return {row["month"]: row["n"] for row in rows}


def monthly(membership: Membership, f: ReportFilter, currency: str) -> Report:
    """Per month of the period: registrations submitted (first complete submission), approvals
    (decisions that approved), wins (close date) and the won value in ``currency`` (each deal
    converted at its close date's rate; per currency when a rate is missing). Four grouped
    queries whatever the number of registrations."""
    qs = _registrations(membership, f)
    submitted = _per_month(qs, "first_submitted_at", f)
    approved = _per_month(qs, "decided_at", f, status__in=APPROVED_OUTCOMES)
    won = _per_month(qs, "closed_on", f, status=S.WON)
    values = converted_sums(
        qs.filter(status=S.WON, closed_on__range=(f.start, f.end)),
        amount="closed_value",
        currency="currency",
        day="closed_on",
        target=currency,
        # Cast in SQL: the conversion reads raw rows, without the ORM's date converters.
        keys={"month": Cast(TruncMonth("closed_on"), DateField())},
    )
    rows = []
    for month in months_between(f.start, f.end):
        value = values.totals((month,)) if (month,) in values.groups else [Money(Decimal("0"), currency)]
        rows.append(
            [
                month.strftime("%Y-%m"),
                submitted.get(month, 0),
                approved.get(month, 0),
                won.get(month, 0),
                " · ".join(f"{format_amount_str(m.amount, m.currency)} {m.currency}" for m in value),
            ]
        )
    headers = [_("Month"), _("Registrations"), _("Approvals"), _("Wins"), _("Won value")]
    return Report("monthly", _("Registrations, approvals and wins by month"), headers, rows)


FUNNEL_HEADERS = [
    "offered",
    "accepted",
    "declined",
    "timed_out",
    "pending",
    "converted",
    "acceptance_pct",
    "conversion_pct",
]


def _offers(membership: Membership, f: ReportFilter) -> QuerySet[LeadAssignment]:
    qs = LeadAssignment.objects.filter(
        partner__in=partners_for_membership(membership), offered_at__date__range=(f.start, f.end)
    )
    return qs.filter(partner_id=f.partner_id) if f.partner_id else qs


def _funnel_headers(first: list[str]) -> list[str]:
    return [
        *first,
        _("Offered"),
        _("Accepted"),
        _("Declined"),
        _("Timed out"),
        _("Pending"),
        _("Converted"),
        _("Acceptance %"),
        _("Conversion %"),
    ]


def leads_by_partner_and_source(membership: Membership, f: ReportFilter) -> Report:
    """Lead offers made in the period, per partner and lead source."""
    rows = [
        [r["partner__code"], r["partner__name"], r["lead__source"] or "—", *(r[k] for k in FUNNEL_HEADERS)]
        for r in lead_funnel(_offers(membership, f), by=("partner__code", "partner__name", "lead__source"))
    ]
    headers = _funnel_headers([_("Partner"), _("Partner name"), _("Source")])
    return Report("leads", _("Lead acceptance and conversion by partner and source"), headers, rows)


def leads_by_source(membership: Membership, f: ReportFilter) -> Report:
    """Lead offers made in the period, per lead source (all partners in scope)."""
    rows = [
        [r["lead__source"] or "—", *(r[k] for k in FUNNEL_HEADERS)]
        for r in lead_funnel(_offers(membership, f), by=("lead__source",))
    ]
    return Report(
        "lead_sources", _("Lead acceptance and conversion by source"), _funnel_headers([_("Source")]), rows
    )


REPORTS = {
    "monthly": monthly,
    "leads": lambda membership, f, currency: leads_by_partner_and_source(membership, f),
    "lead_sources": lambda membership, f, currency: leads_by_source(membership, f),
}


def monthly_chart(report: Report) -> dict[str, Any]:
    """The chart of the monthly report (counts only: values may be in several currencies)."""
    return {
        "months": [row[0] for row in report.rows],
        "series": [
            {"label": str(report.headers[i]), "counts": [row[i] for row in report.rows]} for i in (1, 2, 3)
        ],
    }
