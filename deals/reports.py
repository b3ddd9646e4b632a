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
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from deals.models import DealRegistration, LeadAssignment

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
