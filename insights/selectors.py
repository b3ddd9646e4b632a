"""Reads of stored forecasts and benchmarks, scoped to what a member may see."""

from __future__ import annotations

from django.db.models import QuerySet

from insights.benchmarks import Benchmarks, PartnerBenchmark, benchmarks_compute
from insights.models import ForecastPoint, ForecastRun, ForecastSeries
from partners.selectors import partners_for_membership
from prm.accounts.models import Membership


def forecast_run(kind: str) -> ForecastRun | None:
    return ForecastRun.objects.filter(kind=kind).first()


def forecast_series_for_membership(membership: Membership, kind: str) -> QuerySet[ForecastSeries]:
    """The series of the tenant's current run of ``kind`` for the partners the member may see
    (a partner's people: their own partner's only)."""
    return (
        ForecastSeries.objects.filter(run__kind=kind, partner__in=partners_for_membership(membership))
        .select_related("partner")
        .order_by("partner__code", "key")
    )


def forecast_points(series: QuerySet[ForecastSeries]) -> QuerySet[ForecastPoint]:
    return ForecastPoint.objects.filter(series__in=series).order_by("series_id", "month")


def benchmarks_for_membership(membership: Membership) -> tuple[Benchmarks, list[PartnerBenchmark]]:
    """All partners' benchmarks (peer medians and percentiles need the whole tenant) and the rows
    the member may see: every partner in reach for staff, the own partner for a partner's people."""
    data = benchmarks_compute()
    visible = set(partners_for_membership(membership).values_list("pk", flat=True))
    return data, [b for pid, b in data.partners.items() if pid in visible]
