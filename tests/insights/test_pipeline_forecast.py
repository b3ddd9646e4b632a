"""The pipeline forecast: shrunk win probabilities and slippage-corrected close months."""

from __future__ import annotations

import datetime
from decimal import Decimal

from insights.models import ForecastPoint, ForecastRun, ForecastSeries
from insights.services.forecasts import pipeline_forecast_compute
from tests.factories import PartnerFactory
from tests.insights.helpers import S, registration

TODAY = datetime.date(2026, 6, 10)


def _history(cast):
    p1, p2 = cast.a.partners["p1"], cast.a.partners["p2"]
    p2.tier = "Gold"
    p2.save()
    p3 = PartnerFactory(code="R300", tier="Silver")
    # P1 (Silver): 3 of 3 pumps won, closing 10, 20 and 30 days after the expected date.
    for slip in (10, 20, 30):
        registration(
            p1,
            S.WON,
            expected=datetime.date(2026, 1, 1),
            closed_on=datetime.date(2026, 1, 1) + datetime.timedelta(slip),
        )
    # P3 (Silver): 2 lost, on time.
    for _ in range(2):
        registration(p3, S.LOST, expected=datetime.date(2026, 2, 1), closed_on=datetime.date(2026, 2, 1))
    # P2 (Gold): 2 won of 5 (no expected dates).
    for status in (S.WON, S.WON, S.LOST, S.LOST, S.EXPIRED):
        registration(p2, status, line="valves", closed_on=datetime.date(2026, 3, 1))
    return p1, p2, p3


def test_three_wins_are_shrunk_toward_tier_and_tenant_and_close_month_moves_by_slippage(cast):
    with cast.a.context():
        p1, _p2, _p3 = _history(cast)
        registration(p1, S.APPROVED, value="3900.00", expected=datetime.date(2026, 7, 25))
        run = pipeline_forecast_compute(today=TODAY)
        series = ForecastSeries.objects.get(run=run, partner=p1, key="pumps")
        # tenant: (5 + 2*0.5) / (10 + 2) = 0.5; Silver: (3 + 10*0.5) / (5 + 10) = 8/15;
        # P1 pumps: (3 + 10*8/15) / (3 + 10) = 25/39.
        assert series.win_probability == Decimal("0.6410")
        # Slippage: P1's median 20 days (n=3), tenant median 10 -> (3*20 + 5*10) / 8 = 13.75 -> 14.
        assert series.slip_days == 14
        point = ForecastPoint.objects.get(series=series)
        assert point.month == datetime.date(2026, 8, 1)  # 25 July + 14 days = 8 August
        assert point.value == Decimal("2500.00")  # 3900 * 25/39
        assert point.upper == Decimal("3900.00")
        assert series.group == p1.region


def test_a_partner_without_history_gets_its_tiers_rate_and_the_tenant_slippage(cast):
    with cast.a.context():
        _history(cast)
        newcomer = PartnerFactory(code="R400", tier="Silver", region="East")
        registration(newcomer, S.SUBMITTED, value="1500.00", expected=datetime.date(2026, 6, 30))
        run = pipeline_forecast_compute(today=TODAY)
        series = ForecastSeries.objects.get(run=run, partner=newcomer)
        assert series.win_probability == Decimal("0.5333")  # Silver's 8/15
        assert series.slip_days == 10  # the tenant's median
        assert ForecastPoint.objects.get(series=series).month == datetime.date(2026, 7, 1)
        assert series.group == "East"


def test_rerun_replaces_the_rows(cast):
    with cast.a.context():
        p1, _p2, _p3 = _history(cast)
        registration(p1, S.APPROVED, value="3900.00", expected=datetime.date(2026, 7, 25))
        pipeline_forecast_compute(today=TODAY)
        first = (ForecastSeries.objects.count(), ForecastPoint.objects.count())
        pipeline_forecast_compute(today=TODAY)
        assert ForecastRun.objects.filter(kind=ForecastRun.Kind.PIPELINE).count() == 1
        assert (ForecastSeries.objects.count(), ForecastPoint.objects.count()) == first == (1, 1)
