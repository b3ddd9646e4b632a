"""The tables (``prm.reports.Report``, for the pages and CSV/XLSX) and chart data of insights.
Chart amounts are strings rounded to the currency's minor unit (never floats)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from insights.benchmarks import FLAGS, METRICS, Metric, PartnerBenchmark
from insights.forecasting import NOTE_NO_PATTERN
from insights.models import ForecastPoint, ForecastSeries
from prm.lib.money import format_amount_str, format_money, quantize_money
from prm.reports import Report
from prm.tenancy.context import require_tenant


def _month(point: ForecastPoint) -> str:
    return point.month.strftime("%Y-%m")


def _amount(value: Decimal | None) -> Decimal | None:
    """A forecast amount (stored with four decimals) in the base currency's minor unit, as every
    amount in a table or download is shown: forecasts are kept in the tenant's base currency."""
    return None if value is None else quantize_money(value, require_tenant().base_currency)


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def pipeline_report(points: list[ForecastPoint]) -> Report:
    rows = [
        [
            _month(p),
            p.series.partner.code,
            p.series.partner.name,
            p.series.key,
            p.series.group,
            p.series.win_probability,
            p.series.slip_days,
            _amount(p.value),
            _amount(p.upper),
        ]
        for p in sorted(points, key=lambda p: (p.month, p.series.partner.code, p.series.key))
    ]
    headers = [
        _("Month"),
        _("Partner"),
        _("Partner name"),
        _("Product line"),
        _("Region"),
        _("Win probability"),
        _("Slippage (days)"),
        _("Weighted pipeline"),
        _("Unweighted pipeline"),
    ]
    return Report("pipeline", _("Pipeline forecast by month, partner and product line"), headers, rows)


def _by_month(points: list[ForecastPoint]) -> dict[str, list[Decimal]]:
    months: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal("0"), Decimal("0")])
    for p in points:
        months[_month(p)][0] += p.value or Decimal("0")
        months[_month(p)][1] += p.upper or Decimal("0")
    return dict(sorted(months.items()))


def pipeline_month_report(points: list[ForecastPoint]) -> Report:
    rows: list[list[Any]] = [
        [month, _amount(weighted), _amount(total)] for month, (weighted, total) in _by_month(points).items()
    ]
    headers = [_("Month"), _("Weighted pipeline"), _("Unweighted pipeline")]
    return Report("pipeline_by_month", _("Pipeline forecast by month"), headers, rows)


def pipeline_chart(points: list[ForecastPoint], currency: str) -> dict[str, Any]:
    months = _by_month(points)
    return {
        "labels": list(months),
        "weighted": [format_amount_str(w, currency) for w, _t in months.values()],
        "total": [format_amount_str(t, currency) for _w, t in months.values()],
        "weighted_label": _("Weighted pipeline"),
        "total_label": _("Unweighted pipeline"),
    }


def sell_out_report(series: list[ForecastSeries], points: dict[int, list[ForecastPoint]]) -> Report:
    rows = []
    for s in series:
        for p in points.get(s.pk, []):
            if p.value is None:
                continue
            rows.append(
                [
                    s.partner.code,
                    s.partner.name,
                    s.key,
                    s.group,
                    s.get_method_display(),
                    _month(p),
                    _amount(p.value),
                    _amount(p.lower),
                    _amount(p.upper),
                ]
            )
    headers = [
        _("Partner"),
        _("Partner name"),
        _("Category"),
        _("Region"),
        _("Method shown"),
        _("Month"),
        _("Forecast"),
        _("Lower (95%)"),
        _("Upper (95%)"),
    ]
    return Report("sell_out", _("Sell-out forecast by partner and category"), headers, rows)


def _stored_amount(stored: str | None) -> Decimal | None:
    """An amount the backtest stored as text (JSON), as a number again for tables and exports."""
    return _amount(None if stored is None else Decimal(stored))


def backtest_report(series: list[ForecastSeries]) -> Report:
    rows = []
    for s in series:
        for b in s.backtest:
            rows.append(
                [
                    s.partner.code,
                    s.key,
                    b["month"][:7],
                    _stored_amount(b["actual"]),
                    _stored_amount(b["model"]),
                    _stored_amount(b["baseline"]),
                    s.mase,
                    s.get_method_display(),
                ]
            )
    headers = [
        _("Partner"),
        _("Category"),
        _("Month"),
        _("Actual"),
        _("Model"),
        _("Seasonal-naive baseline"),
        _("MASE"),
        _("Method shown"),
    ]
    return Report("backtest", _("Backtest over the last 3 complete months"), headers, rows)


def accuracy(series: list[ForecastSeries]) -> dict[str, Any]:
    model = [s for s in series if s.method == ForecastSeries.Method.MODEL]
    baseline = [s for s in series if s.method == ForecastSeries.Method.BASELINE]
    scored = [s.mase for s in series if s.mase is not None]
    return {
        "series": len(series),
        "model": len(model),
        "baseline": len(baseline),
        "short": sum(1 for s in baseline if s.mase is None),
        "no_pattern": sum(1 for s in baseline if s.note == NOTE_NO_PATTERN),
        "median_mase": sorted(scored)[len(scored) // 2] if scored else None,
    }


def sell_out_chart(
    series: ForecastSeries | None, points: list[ForecastPoint], currency: str
) -> dict[str, Any]:
    if series is None:
        return {"labels": []}

    def amount(value: Decimal | None) -> str | None:
        return None if value is None else format_amount_str(value, currency)

    return {
        "labels": [_month(p) for p in points],
        "actual": [amount(p.actual) for p in points],
        "forecast": [amount(p.value) for p in points],
        "lower": [amount(p.lower) for p in points],
        "upper": [amount(p.upper) for p in points],
        "actual_label": _("Actual"),
        "forecast_label": _("Forecast") + f" ({series.get_method_display()})",
        # xgettext:no-python-format
        "band_label": _("95% interval"),
    }


def _display(metric: Metric, currency: str) -> str:
    if metric.value is None:
        return "—"
    if metric.spec.kind == "rate":
        assert metric.interval is not None
        return f"{_pct(metric.value)} ({_pct(metric.interval.low)}–{_pct(metric.interval.high)}, n={metric.interval.trials})"
    if metric.spec.kind == "money":
        return format_money(Decimal(str(metric.value)), currency)
    if metric.spec.kind == "percent":
        return f"{metric.value * 100:+.1f}%"
    return f"{metric.value:.0f}"


def _median_display(metric: Metric, currency: str) -> str:
    if metric.peer_median is None:
        return "—"
    if metric.spec.kind == "rate":
        return _pct(metric.peer_median)
    if metric.spec.kind == "money":
        return format_money(Decimal(str(round(metric.peer_median, 6))), currency)
    if metric.spec.kind == "percent":
        return f"{metric.peer_median * 100:+.1f}%"
    return f"{metric.peer_median:.0f}"


def _percentile(metric: Metric) -> str:
    return "" if metric.percentile is None else f"{metric.percentile:.0f}"


def metric_line(metric: Metric, currency: str) -> dict[str, Any]:
    return {
        "label": metric.spec.label,
        "value": _display(metric, currency),
        "median": _median_display(metric, currency),
        "percentile": _percentile(metric),
    }


def league_row(b: PartnerBenchmark, currency: str) -> dict[str, Any]:
    return {
        "partner": b,
        "cells": [metric_line(b.metrics[spec.key], currency) for spec in METRICS],
        "flags": [FLAGS[f] for f in b.flags],
    }


def league_report(rows: list[PartnerBenchmark], currency: str) -> Report:
    headers = [_("Partner"), _("Partner name"), _("Tier"), _("Region"), _("Peer group")]
    for spec in METRICS:
        headers += [str(spec.label), _("Peer median"), _("Percentile")]
    headers.append(_("Needs attention"))
    table = []
    for b in rows:
        row: list[Any] = [b.code, b.name, b.tier, b.region, f"{b.peer_label} ({b.peer_size})"]
        for spec in METRICS:
            line = metric_line(b.metrics[spec.key], currency)
            row += [line["value"], line["median"], line["percentile"]]
        row.append("; ".join(str(FLAGS[f]) for f in b.flags))
        table.append(row)
    return Report("league", _("Partner league table"), headers, table)
