"""Computing and storing the forecasts of a tenant: the probability-weighted pipeline and the
sell-out forecast. Each run replaces the tenant's previous run of its kind (one ForecastRun row
per kind, its series deleted and written again in one transaction)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, DateField, Q, Value
from django.utils import timezone

from deals.models import DealLine, DealRegistration
from insights import stats
from insights.forecasting import BACKTEST_MONTHS, HORIZON, forecast_series
from insights.models import ForecastPoint, ForecastRun, ForecastSeries
from insights.sources import monthly_sell_out
from partners.models import Partner
from prm.accounts.models import Membership
from prm.finance.rates import converted_sums
from prm.jobs.models import Job
from prm.jobs.services import job_create, job_enqueue
from prm.lib.money import quantize_money
from prm.lib.periods import add_months
from prm.roles import Perm, require_staff
from prm.tenancy.context import require_tenant

R = DealRegistration.Status
DECIDED = (R.WON, R.LOST, R.EXPIRED)  # "decided" for win rates: the deal's outcome is known
OPEN = DealRegistration.ACTIVE  # submitted, under review, information requested, approved
SELL_OUT_HISTORY_MONTHS = 36  # at most this many complete months feed the sell-out model
JOB_KIND = "insights:forecast"

PartnerRow = dict[str, Any]
GroupOf = Callable[[PartnerRow], str]


def partner_region(partner: PartnerRow) -> str:
    """The default grouping of forecasts: the partner's region. Territories, when they land,
    pass their own ``group_of`` (partner row -> territory name)."""
    return partner["region"] or ""


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


# --- win probability and slippage -------------------------------------------------------------------


@dataclass
class WinModel:
    """Win probabilities with shrinkage: partner and product line -> the partner's tier -> the
    tenant (see insights.stats)."""

    tenant_rate: float
    tier_rate: dict[str, float]
    partner_tier: dict[int, str]
    line_counts: dict[tuple[int, str], tuple[int, int]]  # (partner, line) -> (won, decided)
    k: float = stats.PRIOR_STRENGTH

    def probability(self, partner_id: int, product_line: str) -> float:
        tier = self.partner_tier.get(partner_id, "")
        prior = self.tier_rate.get(tier, self.tenant_rate)
        won, decided = self.line_counts.get((partner_id, product_line), (0, 0))
        return stats.shrunk_rate(won, decided, prior, self.k)


def win_model(partners: dict[int, PartnerRow]) -> WinModel:
    """Two grouped queries: decided registrations per partner, and per partner and product line."""
    per_partner = (
        DealRegistration.objects.filter(status__in=DECIDED)
        .values("partner_id")
        .annotate(won=Count("id", filter=Q(status=R.WON)), decided=Count("id"))
        .order_by()
    )
    tier_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    total = [0, 0]
    for row in per_partner:
        tier = partners.get(row["partner_id"], {}).get("tier", "")
        tier_counts[tier][0] += row["won"]
        tier_counts[tier][1] += row["decided"]
        total[0] += row["won"]
        total[1] += row["decided"]
    tenant_rate = stats.shrunk_rate(total[0], total[1], stats.TENANT_PRIOR, 2)
    tier_rate = {
        tier: stats.shrunk_rate(won, decided, tenant_rate) for tier, (won, decided) in tier_counts.items()
    }
    per_line = (
        DealLine.objects.filter(registration__status__in=DECIDED)
        .values("registration__partner_id", "product_line")
        .annotate(
            won=Count("registration_id", filter=Q(registration__status=R.WON), distinct=True),
            decided=Count("registration_id", distinct=True),
        )
        .order_by()
    )
    return WinModel(
        tenant_rate=tenant_rate,
        tier_rate=tier_rate,
        partner_tier={pk: p["tier"] for pk, p in partners.items()},
        line_counts={
            (r["registration__partner_id"], r["product_line"]): (r["won"], r["decided"]) for r in per_line
        },
    )


def slippage(tenant_id: int) -> tuple[dict[int, float], float]:
    """Each partner's expected-close slippage in days (median of actual close - expected close
    over its closed registrations, shrunk toward the tenant's median) and the tenant's median:
    one query (GROUPING SETS: per partner and overall)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT partner_id, count(*),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY closed_on - expected_close_date)
              FROM deals_dealregistration
             WHERE tenant_id = %s AND status IN ('won', 'lost')
               AND closed_on IS NOT NULL AND expected_close_date IS NOT NULL
             GROUP BY GROUPING SETS ((partner_id), ())
            """,
            [tenant_id],
        )
        rows = cursor.fetchall()
    tenant_median = next((float(m) for p, n, m in rows if p is None and m is not None), 0.0)
    return (
        {
            partner_id: stats.shrunk_value(float(med), n, tenant_median)
            for partner_id, n, med in rows
            if partner_id is not None
        },
        tenant_median,
    )


def corrected_close_month(
    expected: datetime.date | None, slip_days: float, today: datetime.date, fallback: datetime.date | None
) -> datetime.date:
    """The month an open registration is expected to close in: its expected close date moved by
    the partner's slippage (rounded to whole days); without a date, the end of its protection;
    never before the current month (a date already past means "this month")."""
    base = expected or fallback or today
    moved = base + datetime.timedelta(days=round(slip_days))
    return first_of_month(max(moved, today))


# --- pipeline forecast ------------------------------------------------------------------------------


def pipeline_forecast_compute(
    *, group_of: GroupOf = partner_region, today: datetime.date | None = None
) -> ForecastRun:
    """Every open registration's product lines at their win probability, in the month their
    close is expected (slippage-corrected), converted into the tenant's base currency at today's
    rate; stored per partner and product line with one point per month. A fixed number of
    queries whatever the number of partners or registrations."""
    tenant = require_tenant()
    today = today or timezone.localdate()
    currency = tenant.base_currency
    partners: dict[int, PartnerRow] = {
        p["id"]: dict(p) for p in Partner.objects.values("id", "tier", "region")
    }
    model = win_model(partners)
    slips, tenant_slip = slippage(tenant.pk)
    registrations = {
        r["id"]: r
        for r in DealRegistration.objects.filter(status__in=OPEN).values(
            "id", "partner_id", "expected_close_date", "protection_until"
        )
    }
    sums = converted_sums(
        DealLine.objects.filter(registration__status__in=OPEN),
        amount="value",
        currency="registration__currency",
        day=Value(today, output_field=DateField()),
        target=currency,
        keys={"reg": "registration_id", "line": "product_line"},
    )
    # (partner, line) -> month -> [weighted, unweighted]
    series: dict[tuple[int, str], dict[datetime.date, list[Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: [Decimal("0"), Decimal("0")])
    )
    missing = 0
    for (reg_id, line), parts in sums.groups.items():
        reg = registrations.get(reg_id)
        if reg is None:
            continue
        amount = Decimal("0")
        for part in parts:
            if part.converted is None:
                missing += 1
                continue
            amount += part.converted
        partner_id = reg["partner_id"]
        p = Decimal(str(round(model.probability(partner_id, line), 6)))
        month = corrected_close_month(
            reg["expected_close_date"], slips.get(partner_id, tenant_slip), today, reg["protection_until"]
        )
        cell = series[(partner_id, line)][month]
        cell[0] += amount * p
        cell[1] += amount
    summary = {"series": len(series), "registrations": len(registrations), "missing_rates": missing}
    params = {
        "prior_strength": stats.PRIOR_STRENGTH,
        "slip_strength": stats.SLIP_STRENGTH,
        "tenant_win_rate": round(model.tenant_rate, 4),
        "tenant_slip_days": round(tenant_slip, 1),
        "grouping": getattr(group_of, "__name__", "custom"),
    }
    with transaction.atomic():
        run = _replace_run(ForecastRun.Kind.PIPELINE, today, currency, params, summary)
        rows = []
        for (partner_id, line), months in sorted(series.items()):
            rows.append(
                (
                    ForecastSeries(
                        run=run,
                        partner_id=partner_id,
                        key=line,
                        group=group_of(partners.get(partner_id, {"region": "", "tier": ""})),
                        method=ForecastSeries.Method.PIPELINE,
                        win_probability=Decimal(str(round(model.probability(partner_id, line), 4))),
                        slip_days=round(slips.get(partner_id, tenant_slip)),
                    ),
                    [
                        ForecastPoint(
                            month=month,
                            value=quantize_money(weighted, currency),
                            upper=quantize_money(total, currency),
                        )
                        for month, (weighted, total) in sorted(months.items())
                    ],
                )
            )
        _store(run, rows)
    return run


def _replace_run(kind: str, today: datetime.date, currency: str, params: dict, summary: dict) -> ForecastRun:
    run, _created = ForecastRun.objects.select_for_update().update_or_create(
        kind=kind,
        defaults={
            "as_of": today,
            "currency": currency,
            "computed_at": timezone.now(),
            "params": params,
            "summary": summary,
        },
    )
    ForecastPoint.objects.filter(series__run=run).delete()
    ForecastSeries.objects.filter(run=run).delete()
    return run


def _store(run: ForecastRun, rows: Iterable[tuple[ForecastSeries, list[ForecastPoint]]]) -> None:
    rows = list(rows)
    for series, its_points in rows:
        # bulk_create skips save(), which sets the tenant: name it (RLS checks it).
        series.tenant_id = run.tenant_id
        for point in its_points:
            point.tenant_id = run.tenant_id
    created = ForecastSeries.objects.bulk_create([s for s, _points in rows], batch_size=1000)
    points = []
    for series, (_s, its_points) in zip(created, rows, strict=True):
        for point in its_points:
            point.series = series
            points.append(point)
    ForecastPoint.objects.bulk_create(points, batch_size=5000)


# --- sell-out forecast ------------------------------------------------------------------------------


def _money(value: float, currency: str) -> Decimal:
    return quantize_money(Decimal(str(round(value, 6))), currency)


def sell_out_forecast_compute(
    *, group_of: GroupOf = partner_region, today: datetime.date | None = None
) -> ForecastRun:
    """Per partner and category: the monthly history up to the last complete month, the backtest
    (model vs seasonal naive over the last 3 complete months) and the forecast of the method that
    won, with its 95 % interval (insights.forecasting)."""
    tenant = require_tenant()
    today = today or timezone.localdate()
    currency = tenant.base_currency
    last_complete = add_months(first_of_month(today), -1)
    start = add_months(last_complete, -(SELL_OUT_HISTORY_MONTHS - 1))
    end = first_of_month(today) - datetime.timedelta(days=1)
    data = monthly_sell_out(tenant, start=start, end=end)
    partners: dict[int, PartnerRow] = {
        p["id"]: dict(p) for p in Partner.objects.values("id", "tier", "region")
    }
    rows = []
    counts = {"model": 0, "baseline": 0}
    for (partner_id, category), months in sorted(data.series.items()):
        first = min(months)
        history_months = []
        month = first
        while month <= last_complete:
            history_months.append(month)
            month = add_months(month, 1)
        history = [float(months.get(m, Decimal("0"))) for m in history_months]
        result = forecast_series(history)
        counts[result.method] += 1
        points = [
            ForecastPoint(month=m, actual=quantize_money(months.get(m, Decimal("0")), currency))
            for m in history_months
        ]
        for h in range(len(result.values)):
            points.append(
                ForecastPoint(
                    month=add_months(last_complete, h + 1),
                    value=_money(max(result.values[h], 0.0), currency),
                    lower=_money(max(result.lower[h], 0.0), currency),
                    upper=_money(max(result.upper[h], 0.0), currency),
                )
            )
        rows.append(
            (
                ForecastSeries(
                    partner_id=partner_id,
                    key=category,
                    group=group_of(partners.get(partner_id, {"region": "", "tier": ""})),
                    method=result.method,
                    model_spec=result.spec,
                    history_months=len(history),
                    mase=None if result.mase is None else Decimal(str(round(result.mase, 4))),
                    backtest=[
                        {
                            "month": history_months[b.index].isoformat(),
                            "actual": str(_money(b.actual, currency)),
                            "model": None if b.model is None else str(_money(b.model, currency)),
                            "baseline": str(_money(b.baseline, currency)),
                        }
                        for b in result.backtest
                    ],
                    note=result.note,
                ),
                points,
            )
        )
    summary = {"series": len(rows), **counts, "missing_rates": data.missing_rates}
    params = {
        "backtest_months": BACKTEST_MONTHS,
        "horizon": HORIZON,
        "history_from": start.isoformat(),
        "history_to": last_complete.isoformat(),
        "grouping": getattr(group_of, "__name__", "custom"),
    }
    with transaction.atomic():
        run = _replace_run(ForecastRun.Kind.SELL_OUT, today, currency, params, summary)
        for series, _points in rows:
            series.run = run
        _store(run, rows)
    return run


def forecasts_recompute(*, today: datetime.date | None = None) -> dict[str, Any]:
    """Both forecasts of the current tenant (nightly, and the on-demand job)."""
    pipeline = pipeline_forecast_compute(today=today)
    sell_out = sell_out_forecast_compute(today=today)
    return {"pipeline": pipeline.summary, "sell_out": sell_out.summary}


def forecast_recompute_start(*, acting_membership: Membership) -> Job:
    """Staff ask for the forecasts now: a background job (the page links to its progress)."""
    require_staff(acting_membership, Perm.FORECAST_RUN)
    with transaction.atomic():
        job = job_create(kind=JOB_KIND, acting_user=acting_membership.user, params={})
        job_enqueue(job, "insights.forecast_job")
    return job
