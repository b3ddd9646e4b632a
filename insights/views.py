"""Forecast page (staff: filters and recompute; partners: their own), the partner league table
(staff) and a partner's own benchmarks against anonymised peers."""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from insights import report_pages, reports, selectors
from insights.benchmarks import FLAGS, METRIC_KEYS, METRICS, benchmarks_definition
from insights.forecasting import NOTE_NO_PATTERN
from insights.models import ForecastRun, ForecastSeries
from insights.services.forecasts import forecast_recompute_start
from prm.access import portal_view
from prm.http import PortalRequest
from prm.reports import InvalidReportParams, report_response
from prm.roles import Perm, membership_has, require_staff


def _choice(request: PortalRequest, name: str, allowed: set[str]) -> str:
    value = request.GET.get(name, "")
    return value if value in allowed else ""


@portal_view(Perm.FORECAST_VIEW)
def forecast(request: PortalRequest) -> HttpResponseBase:
    """Pipeline forecast by month (win-probability weighted, slippage corrected) and sell-out
    forecast with its backtest; filters partner, product line / category, region."""
    membership = request.membership
    try:
        page = report_pages.forecast_page(membership, request.GET)
    except InvalidReportParams:
        raise Http404 from None  # another tenant's or partner's partner: as if it did not exist
    flt, sell_out_series, points_by_series = page.flt, page.sell_out_series, page.points_by_series
    pipeline_points = page.pipeline_points
    pipeline_run = selectors.forecast_run(ForecastRun.Kind.PIPELINE)
    sell_out_run = selectors.forecast_run(ForecastRun.Kind.SELL_OUT)
    currency = request.tenant.base_currency
    tables = page.tables()
    export = request.GET.get("export", "")
    if export in tables:
        return report_response(tables[export], prefix="forecast", fmt=request.GET.get("format"))

    chosen = _chart_series(request, sell_out_series)
    accuracy = reports.accuracy(sell_out_series)
    context = {
        "flt": flt,
        "partners": page.partners,
        "regions": page.regions,
        "keys": page.keys,
        "currency": currency,
        "pipeline_run": pipeline_run,
        "sell_out_run": sell_out_run,
        "tables": tables,
        "accuracy": accuracy,
        "chosen": chosen,
        "no_pattern": NOTE_NO_PATTERN,
        "sell_out_series": sell_out_series,
        "chart": {
            "pipeline": reports.pipeline_chart(pipeline_points, currency),
            "sell_out": reports.sell_out_chart(
                chosen, points_by_series.get(chosen.pk, []) if chosen else [], currency
            ),
        },
        "may_recompute": membership.is_staff_member and membership_has(membership, Perm.FORECAST_RUN),
        "show_partner": not membership.is_partner,
    }
    return render(request, "insights/forecast.html", context)


def _chart_series(request: PortalRequest, series: list[ForecastSeries]) -> ForecastSeries | None:
    wanted = request.GET.get("series", "")
    for s in series:
        if str(s.pk) == wanted:
            return s
    if wanted:
        raise Http404  # a series outside the member's reach (or filtered out)
    return series[0] if series else None


@portal_view(Perm.FORECAST_RUN)
@require_POST
def forecast_recompute(request: PortalRequest) -> HttpResponse:
    job = forecast_recompute_start(acting_membership=request.membership)
    return redirect("job_detail", pk=job.pk)


@portal_view(Perm.BENCHMARK_VIEW)
def league(request: PortalRequest) -> HttpResponseBase:
    """The manager's league table: every partner in reach with its figures, peer medians,
    percentiles and needs-attention flags; filters tier, region, flagged only; sort by a metric
    (rates by their Wilson lower bound)."""
    require_staff(request.membership, Perm.BENCHMARK_VIEW)
    page = report_pages.league_page(request.membership, request.GET)
    report = page.report()
    if request.GET.get("export") == report.name:
        return report_response(report, prefix="benchmarks", fmt=request.GET.get("format"))
    context = {
        "rows": [reports.league_row(b, page.currency) for b in page.rows],
        "metrics": METRICS,
        "tiers": page.tiers,
        "regions": page.regions,
        "flt": page.flt,
        "flags": FLAGS,
        "definition": benchmarks_definition(),
        "currency": page.currency,
        "report": report,
    }
    return render(request, "insights/league.html", context)


@portal_view(Perm.BENCHMARK_VIEW)
def my_benchmarks(request: PortalRequest) -> HttpResponse:
    """A partner's own figures against its peer group's medians and its percentile there; the
    peers stay anonymous (only the group's description and size are shown)."""
    membership = request.membership
    if not membership.is_partner:
        return redirect("insights:league")
    data, rows = selectors.benchmarks_for_membership(membership)
    if not rows:
        raise Http404
    own = rows[0]
    context = {
        "own": own,
        "lines": [reports.metric_line(own.metrics[key], data.currency) for key in METRIC_KEYS],
        "definition": benchmarks_definition(),
        "currency": data.currency,
        "zero": Decimal("0"),
    }
    return render(request, "insights/mine.html", context)
