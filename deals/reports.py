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

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Lower, Trim, TruncDate, TruncMonth
from django.utils.translation import gettext as _

from deals.models import CoSellRequest, DealLine, DealRegistration, LeadAssignment
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


# --- Attribution: deal sources, co-selling and lost reasons -----------------------------------------
#
# A registration is "sourced by vendor" when it came from a lead the vendor handed over, else
# "influenced" when the partner asked the vendor for co-sell help on it, else "sourced by
# partner" (derived, so it is always in step with leads and co-sell requests). Win rate = won /
# decided (won + lost), per cent, one decimal.


def attribution_labels() -> dict[str, str]:
    return {
        "partner": _("Sourced by partner"),
        "vendor": _("Sourced by vendor (lead)"),
        "influenced": _("Influenced (co-sell)"),
    }


ATTRIBUTIONS = ("partner", "vendor", "influenced")


def attribution() -> Case:
    """The registration's attribution as an SQL expression (see above)."""
    return Case(
        When(lead__isnull=False, then=Value("vendor")),
        When(Exists(CoSellRequest.objects.filter(registration_id=OuterRef("pk"))), then=Value("influenced")),
        default=Value("partner"),
        output_field=CharField(),
    )


def _money_cell(values: Any, key: tuple, currency: str) -> str:
    totals = values.totals(key) if key in values.groups else [Money(Decimal("0"), currency)]
    return " · ".join(f"{format_amount_str(m.amount, m.currency)} {m.currency}" for m in totals)


def _source_counts(qs: QuerySet[DealRegistration], *keys: Any) -> dict[tuple, dict[str, int]]:
    names = [k if isinstance(k, str) else k[0] for k in keys]
    annotations = {k[0]: k[1] for k in keys if not isinstance(k, str)}
    rows = (
        qs.annotate(source=attribution(), **annotations)
        .values(*names, "source")
        .annotate(
            n=Count("id", distinct=True),
            won=Count("id", filter=Q(status=S.WON), distinct=True),
            lost=Count("id", filter=Q(status=S.LOST), distinct=True),
        )
    )
    return {(*(row[n] for n in names), row["source"]): row for row in rows}


def sources_by_month(membership: Membership, f: ReportFilter, currency: str) -> Report:
    """Per month of first submission and attribution: registrations, won, lost, win rate and the
    won value in ``currency`` (converted at each close date). A fixed number of queries."""
    qs = _registrations(membership, f).filter(first_submitted_at__date__range=(f.start, f.end))
    month = Cast(TruncMonth("first_submitted_at"), DateField())
    counts = _source_counts(qs, ("month", month))
    values = converted_sums(
        qs.filter(status=S.WON),
        amount="closed_value",
        currency="currency",
        day="closed_on",
        target=currency,
        keys={"month": Cast(TruncMonth("first_submitted_at"), DateField()), "source": attribution()},
    )
    labels = attribution_labels()
    rows = []
    for m in months_between(f.start, f.end):
        for source in ATTRIBUTIONS:
            row = counts.get((m, source), {"n": 0, "won": 0, "lost": 0})
            rows.append(
                [
                    m.strftime("%Y-%m"),
                    labels[source],
                    row["n"],
                    row["won"],
                    row["lost"],
                    percent(row["won"], row["won"] + row["lost"]),
                    _money_cell(values, (m, source), currency),
                ]
            )
    headers = [
        _("Month"),
        _("Source"),
        _("Registrations"),
        _("Won"),
        _("Lost"),
        _("Win rate %"),
        _("Won value"),
    ]
    return Report("sources", _("Deal sources by month (partner, vendor lead, co-sell)"), headers, rows)


def sources_by_product_line(membership: Membership, f: ReportFilter, currency: str) -> Report:
    """Per product line and attribution: registrations naming the line, won, lost, win rate, and
    the registered value of the line in ``currency`` (converted at the registration day)."""
    regs = _registrations(membership, f).filter(first_submitted_at__date__range=(f.start, f.end))
    lines = DealLine.objects.filter(registration__in=regs.values("pk")).annotate(
        source=Case(
            When(registration__lead__isnull=False, then=Value("vendor")),
            When(
                Exists(CoSellRequest.objects.filter(registration_id=OuterRef("registration_id"))),
                then=Value("influenced"),
            ),
            default=Value("partner"),
            output_field=CharField(),
        )
    )
    rows_q = (
        lines.values("product_line", "source")
        .annotate(
            n=Count("registration_id", distinct=True),
            won=Count("registration_id", filter=Q(registration__status=S.WON), distinct=True),
            lost=Count("registration_id", filter=Q(registration__status=S.LOST), distinct=True),
        )
        .order_by("product_line", "source")
    )
    values = converted_sums(
        lines,
        amount="value",
        currency="registration__currency",
        day=Coalesce(TruncDate("registration__first_submitted_at"), TruncDate("registration__created_at")),
        target=currency,
        keys={"line": "product_line", "source": "source"},
    )
    labels = attribution_labels()
    rows = [
        [
            r["product_line"],
            labels[r["source"]],
            r["n"],
            r["won"],
            r["lost"],
            percent(r["won"], r["won"] + r["lost"]),
            _money_cell(values, (r["product_line"], r["source"]), currency),
        ]
        for r in rows_q
    ]
    headers = [
        _("Product line"),
        _("Source"),
        _("Registrations"),
        _("Won"),
        _("Lost"),
        _("Win rate %"),
        _("Registered value"),
    ]
    return Report("sources_by_line", _("Deal sources by product line"), headers, rows)


def lost_reasons(membership: Membership, f: ReportFilter, currency: str) -> Report:
    """Registrations lost in the period (by close date), per month, reason (as written, compared
    without case and surrounding spaces) and attribution."""
    qs = _registrations(membership, f).filter(status=S.LOST, closed_on__range=(f.start, f.end))
    rows_q = (
        qs.annotate(
            source=attribution(),
            month=Cast(TruncMonth("closed_on"), DateField()),
            reason=Lower(Trim("lost_reason")),
        )
        .values("month", "reason", "source")
        .annotate(n=Count("id"))
        .order_by("month", "-n", "reason", "source")
    )
    labels = attribution_labels()
    rows = [[r["month"].strftime("%Y-%m"), r["reason"] or "—", labels[r["source"]], r["n"]] for r in rows_q]
    headers = [_("Month"), _("Lost reason"), _("Source"), _("Lost")]
    return Report("lost_reasons", _("Lost reasons by month and source"), headers, rows)


def cosell_pipeline(membership: Membership, f: ReportFilter, currency: str) -> Report:
    """Co-sell requests made in the period, per kind of help: requests, open pipeline value (the
    registrations still submitted, in review or approved, in ``currency``), won, lost, win rate;
    and the same for registrations without co-selling, for comparison."""
    regs = _registrations(membership, f)
    requests = CoSellRequest.objects.filter(
        registration__in=regs.values("pk"), created_at__date__range=(f.start, f.end)
    )
    open_statuses = [S.SUBMITTED, S.UNDER_REVIEW, S.INFO_REQUESTED, S.APPROVED]
    counts = {
        row["kind"]: row
        for row in requests.values("kind").annotate(
            n=Count("id"),
            deals=Count("registration_id", distinct=True),
            won=Count("registration_id", filter=Q(registration__status=S.WON), distinct=True),
            lost=Count("registration_id", filter=Q(registration__status=S.LOST), distinct=True),
        )
    }
    pipeline = converted_sums(
        regs.filter(status__in=open_statuses)
        .annotate(
            kind=Subquery(
                CoSellRequest.objects.filter(
                    registration_id=OuterRef("pk"), created_at__date__range=(f.start, f.end)
                )
                .order_by("created_at", "pk")
                .values("kind")[:1]
            )
        )
        .filter(kind__isnull=False),
        amount="value",
        currency="currency",
        day=Coalesce(TruncDate("first_submitted_at"), TruncDate("created_at")),
        target=currency,
        keys={"kind": "kind"},
    )
    rows = []
    for kind, label in CoSellRequest.Kind.choices:
        row = counts.get(kind, {"n": 0, "deals": 0, "won": 0, "lost": 0})
        rows.append(
            [
                str(label),
                row["n"],
                row["deals"],
                _money_cell(pipeline, (kind,), currency),
                row["won"],
                row["lost"],
                percent(row["won"], row["won"] + row["lost"]),
            ]
        )
    without = (
        regs.filter(closed_on__range=(f.start, f.end))
        .exclude(Exists(CoSellRequest.objects.filter(registration_id=OuterRef("pk"))))
        .aggregate(won=Count("id", filter=Q(status=S.WON)), lost=Count("id", filter=Q(status=S.LOST)))
    )
    rows.append(
        [
            _("Without co-selling (closed in the period)"),
            "—",
            "—",
            "—",
            without["won"],
            without["lost"],
            percent(without["won"], without["won"] + without["lost"]),
        ]
    )
    headers = [_("Help"), _("Requests"), _("Deals"), _("Open pipeline"), _("Won"), _("Lost"), _("Win rate %")]
    return Report("cosell", _("Co-sell pipeline and win rate"), headers, rows)


REPORTS.update(
    {
        "sources": sources_by_month,
        "sources_by_line": sources_by_product_line,
        "lost_reasons": lost_reasons,
        "cosell": cosell_pipeline,
    }
)
