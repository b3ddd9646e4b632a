"""The scorecard's MDF utilisation KPI, from the fund ledger, and the count of marketing activities
(approved fund requests), both registered with partners.kpis."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db.models import Case, Count, F, Q, When

from funds.models import EntryKind, FundRequest, LedgerEntry
from partners.models import Kpi
from prm.finance.rates import converted_sums
from prm.tenancy.context import require_tenant

K = EntryKind
GRANTS = (K.ALLOCATED, K.ACCRUED)


def mdf_utilisation(partner_ids: Sequence[int], start: date, end: date) -> dict[int, dict[str, Decimal]]:
    """Claimed / (allocated + accrued) x 100 over the entries posted in the period, each net of
    its reversals, in the tenant's base currency (funds in other currencies are converted at the
    posting day's rate). A partner given nothing has no utilisation to report."""
    entries = LedgerEntry.objects.filter(partner_id__in=list(partner_ids), effective_on__range=(start, end))
    signed = Case(When(kind=K.REVERSED, then=-F("amount")), default=F("amount"))
    kind = Case(When(kind=K.REVERSED, then=F("reverses_kind")), default=F("kind"))
    relevant = entries.filter(
        Q(kind__in=[*GRANTS, K.CLAIMED]) | Q(kind=K.REVERSED, reverses_kind__in=[*GRANTS, K.CLAIMED])
    ).annotate(signed=signed, counted_as=kind)
    sums = converted_sums(
        relevant,
        amount="signed",
        currency="currency",
        day="effective_on",
        target=require_tenant().base_currency,
        keys={"partner": "partner_id", "kind": "counted_as"},
    )
    sums.require_complete()
    granted: dict[int, Decimal] = {}
    claimed: dict[int, Decimal] = {}
    for partner_id, counted_as in sums.groups:
        value = sums.converted((partner_id, counted_as))
        target = claimed if counted_as == K.CLAIMED else granted
        target[partner_id] = target.get(partner_id, Decimal("0")) + value
    return {
        pid: {Kpi.MDF_UTILISATION: (claimed.get(pid, Decimal("0")) * 100 / total).quantize(Decimal("0.01"))}
        for pid, total in granted.items()
        if total > 0
    }


def marketing_activities(partner_ids: Sequence[int], start: date, end: date) -> dict[int, dict[str, Decimal]]:
    """Marketing activities of the partner starting in the period that the vendor funds: fund
    requests approved (or completed with a claim), one query."""
    rows = (
        FundRequest.objects.filter(
            partner_id__in=list(partner_ids),
            status__in=[FundRequest.Status.APPROVED, FundRequest.Status.COMPLETED],
            start_date__range=(start, end),
        )
        .values("partner_id")
        .annotate(n=Count("id"))
    )
    return {row["partner_id"]: {Kpi.MARKETING_ACTIVITIES: Decimal(row["n"])} for row in rows}
