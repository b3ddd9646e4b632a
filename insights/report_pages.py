"""The forecast page and the partner league table as schedulable reports
(``prm.reports.ReportKind``): each page reads its filters and builds its tables here, and a
scheduled e-mail builds the same tables for its recipient at send time (one code path)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from insights import reports, selectors
from insights.benchmarks import METRICS, PartnerBenchmark
from insights.models import ForecastRun, ForecastSeries
from partners.selectors import partners_for_membership
from prm.accounts.models import Membership
from prm.reports import InvalidReportParams, Report, ReportKind, ReportTables, check_params
from prm.roles import Perm


def _choice(params: Mapping[str, Any], name: str, allowed: set[str]) -> str:
    value = str(params.get(name) or "")
    return value if value in allowed else ""


# --- Forecast ----------------------------------------------------------------------------------------


@dataclass
class ForecastPage:
    flt: dict[str, str]
    partners: list[Any]
    regions: list[str]
    keys: list[str]
    pipeline_points: list[Any]
    sell_out_series: list[ForecastSeries]
    points_by_series: dict[int, list[Any]] = field(default_factory=dict)

    def tables(self) -> dict[str, Report]:
        return {
            "pipeline": reports.pipeline_report(self.pipeline_points),
            "pipeline_by_month": reports.pipeline_month_report(self.pipeline_points),
            "sell_out": reports.sell_out_report(self.sell_out_series, self.points_by_series),
            "backtest": reports.backtest_report(self.sell_out_series),
        }


def forecast_page(membership: Membership, params: Mapping[str, Any]) -> ForecastPage:
    """The member's forecast series filtered by partner, product line / category and region. A
    partner outside the member's reach is refused (the page answers 404)."""
    partners = list(
        partners_for_membership(membership).order_by("code").values("pk", "code", "name", "region")
    )
    partner_ids = {str(p["pk"]) for p in partners}
    regions = sorted({p["region"] for p in partners if p["region"]})
    pipeline_qs = selectors.forecast_series_for_membership(membership, ForecastRun.Kind.PIPELINE)
    sell_out_qs = selectors.forecast_series_for_membership(membership, ForecastRun.Kind.SELL_OUT)
    keys = sorted(
        set(pipeline_qs.values_list("key", flat=True).distinct())
        | set(sell_out_qs.values_list("key", flat=True).distinct())
    )
    partner = str(params.get("partner") or "")
    if partner and partner not in partner_ids:
        raise InvalidReportParams(_("partner: not a partner you may see."))
    flt = {
        "partner": partner,
        "key": _choice(params, "key", set(keys)),
        "region": _choice(params, "region", set(regions)),
    }
    if flt["partner"]:
        pipeline_qs = pipeline_qs.filter(partner_id=int(flt["partner"]))
        sell_out_qs = sell_out_qs.filter(partner_id=int(flt["partner"]))
    if flt["key"]:
        pipeline_qs = pipeline_qs.filter(key=flt["key"])
        sell_out_qs = sell_out_qs.filter(key=flt["key"])
    if flt["region"]:
        pipeline_qs = pipeline_qs.filter(group=flt["region"])
        sell_out_qs = sell_out_qs.filter(group=flt["region"])
    points_by_series: dict[int, list[Any]] = defaultdict(list)
    for point in selectors.forecast_points(sell_out_qs):
        points_by_series[point.series_id].append(point)
    return ForecastPage(
        flt=flt,
        partners=partners,
        regions=regions,
        keys=keys,
        pipeline_points=list(selectors.forecast_points(pipeline_qs).select_related("series__partner")),
        sell_out_series=list(sell_out_qs),
        points_by_series=points_by_series,
    )


def forecast_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    check_params(params, integers=("partner",))
    page = forecast_page(membership, params)
    if params.get("key") and not page.flt["key"]:
        raise InvalidReportParams(_("key: “%(value)s” is no longer forecast.") % {"value": params["key"]})
    built: dict[str, Report] = {}

    def table(name: str):
        def build() -> Report:
            if not built:  # the four tables come from one read of the series
                built.update(page.tables())
            return built[name]

        return build

    return {name: table(name) for name in ("pipeline", "pipeline_by_month", "sell_out", "backtest")}


# --- League table ------------------------------------------------------------------------------------

SORTABLE = {spec.key for spec in METRICS}


@dataclass
class LeaguePage:
    currency: str
    rows: list[PartnerBenchmark]
    tiers: list[str]
    regions: list[str]
    flt: dict[str, Any]

    def report(self) -> Report:
        return reports.league_report(self.rows, self.currency)


def league_page(membership: Membership, params: Mapping[str, Any]) -> LeaguePage:
    """Every partner in the member's reach with its figures, filtered by tier, region and
    "needs attention", sorted by a metric (rates by their Wilson lower bound)."""
    data, rows = selectors.benchmarks_for_membership(membership)
    tiers = sorted({b.tier for b in rows if b.tier})
    regions = sorted({b.region for b in rows if b.region})
    tier = _choice(params, "tier", set(tiers))
    region = _choice(params, "region", set(regions))
    sort = _choice(params, "sort", SORTABLE) or "win_rate"
    attention = params.get("attention") == "1"
    if tier:
        rows = [b for b in rows if b.tier == tier]
    if region:
        rows = [b for b in rows if b.region == region]
    if attention:
        rows = [b for b in rows if b.flags]
    rows.sort(key=lambda b: (b.metrics[sort].rank_value is None, -(b.metrics[sort].rank_value or 0), b.code))
    flt = {"tier": tier, "region": region, "sort": sort, "attention": attention}
    return LeaguePage(currency=data.currency, rows=rows, tiers=tiers, regions=regions, flt=flt)


def league_tables(membership: Membership, params: Mapping[str, Any]) -> ReportTables:
    check_params(params, choices={"sort": SORTABLE, "attention": ["0", "1"]})
    if membership.is_partner:  # the league table is vendor staff's (partners see their own page)
        raise InvalidReportParams(_("The partner league table is for vendor staff."))
    return {"league": lambda: league_page(membership, params).report()}


FORECAST = ReportKind(
    key="insights.forecast",
    label=gettext_lazy("Forecast"),
    perm=Perm.FORECAST_VIEW,
    url_name="insights:forecast",
    tables=forecast_tables,
)
LEAGUE = ReportKind(
    key="insights.league",
    label=gettext_lazy("Partner league table"),
    perm=Perm.BENCHMARK_VIEW,
    url_name="insights:league",
    tables=league_tables,
)
