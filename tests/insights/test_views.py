"""Pages: who sees what, peers stay anonymous, exports, recompute job, nightly task."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.urls import reverse

from insights.models import ForecastPoint, ForecastRun, ForecastSeries
from insights.tasks import forecast_nightly
from prm.jobs.models import Job
from prm.lib.periods import add_months
from prm.schedule import BEAT_SCHEDULE
from tests.insights.helpers import S, monthly_pos, registration


def _world(cast):
    with cast.a.context():
        p1, p2 = cast.a.partners["p1"], cast.a.partners["p2"]
        for partner in (p1, p2):
            registration(partner, S.APPROVED, value="1000.00", expected=datetime.date.today())
            registration(partner, S.WON, closed_on=datetime.date.today())
            start = add_months(datetime.date.today(), -14)
            monthly_pos(partner, {add_months(start, n): Decimal(100 + 10 * n) for n in range(14)})
        forecast_nightly.delay(tenant_id=cast.a.tenant.pk)


def test_nightly_task_computes_both_forecasts_and_rerun_replaces(cast):
    _world(cast)
    with cast.a.context():
        counts = (ForecastRun.objects.count(), ForecastSeries.objects.count(), ForecastPoint.objects.count())
        assert counts[0] == 2 and counts[1] == 4
    forecast_nightly.delay(tenant_id=cast.a.tenant.pk)
    with cast.a.context():
        assert (
            ForecastRun.objects.count(),
            ForecastSeries.objects.count(),
            ForecastPoint.objects.count(),
        ) == counts
    assert BEAT_SCHEDULE["insights-forecast-nightly"]["args"] == ("insights.forecast_nightly",)


def test_staff_forecast_page_lists_every_partner_and_exports(cast):
    _world(cast)
    response = cast.a.client("manager").get(reverse("insights:forecast"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "D100" in body and "D200" in body
    assert 'data-testid="accuracy"' in body
    export = cast.a.client("manager").get(
        reverse("insights:forecast"), {"export": "sell_out", "format": "csv"}
    )
    assert export.status_code == 200 and b"D200" in b"".join(
        export.streaming_content if export.streaming else [export.content]
    )


def test_partner_sees_its_own_forecast_only(cast):
    _world(cast)
    response = cast.a.client("p1_user").get(reverse("insights:forecast"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "D100" in body
    assert "D200" not in body and "Contoso Supply" not in body


def test_another_partner_or_tenant_in_the_filter_is_404(cast):
    _world(cast)
    p2 = cast.a.partners["p2"]
    assert cast.a.client("p1_admin").get(reverse("insights:forecast"), {"partner": p2.pk}).status_code == 404
    other = cast.b.partners["p1"]
    assert (
        cast.a.client("manager").get(reverse("insights:forecast"), {"partner": other.pk}).status_code == 404
    )
    with cast.a.context():
        p2_series = ForecastSeries.objects.filter(partner=p2, run__kind="sell_out").first()
    assert (
        cast.a.client("p1_admin").get(reverse("insights:forecast"), {"series": p2_series.pk}).status_code
        == 404
    )


def test_recompute_starts_a_job_for_staff_only(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = cast.a.client("manager").post(reverse("insights:forecast_recompute"))
    assert response.status_code == 302
    with cast.a.context():
        job = Job.objects.get(kind="insights:forecast")
        assert job.status == Job.Status.SUCCEEDED
        assert ForecastRun.objects.count() == 2
    assert cast.a.client("p1_admin").post(reverse("insights:forecast_recompute")).status_code == 403


def test_league_table_for_staff_with_filters_and_export(cast):
    _world(cast)
    client = cast.a.client("manager")
    response = client.get(reverse("insights:league"), {"sort": "win_rate"})
    body = response.content.decode()
    assert response.status_code == 200 and "D100" in body and "D200" in body
    export = client.get(reverse("insights:league"), {"export": "league", "format": "csv"})
    content = b"".join(export.streaming_content) if export.streaming else export.content
    assert b"Northwind Distribution" in content
    assert cast.a.client("p1_admin").get(reverse("insights:league")).status_code == 403


def test_partner_benchmarks_show_peer_medians_but_never_a_peers_identity(cast):
    _world(cast)
    response = cast.a.client("p1_admin").get(reverse("insights:my_benchmarks"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Peer median" in body and "All partners" in body
    assert "D200" not in body and "Contoso Supply" not in body
    assert cast.a.client("manager").get(reverse("insights:my_benchmarks")).status_code == 302


def test_the_page_says_why_the_baseline_is_shown_for_a_noisy_partner(cast):
    import random

    draw = random.Random(3)
    start = add_months(datetime.date.today(), -30)
    with cast.a.context():
        p1, p2 = cast.a.partners["p1"], cast.a.partners["p2"]
        monthly_pos(p1, {add_months(start, n): Decimal(200 + 25 * n) for n in range(30)})
        noise = {add_months(start, n): Decimal(1000 + round(draw.gauss(0, 100))) for n in range(30)}
        monthly_pos(p2, noise)
        forecast_nightly.delay(tenant_id=cast.a.tenant.pk)
        trend, noisy = (ForecastSeries.objects.get(run__kind="sell_out", partner=p) for p in (p1, p2))
    assert (trend.method, noisy.method) == ("model", "baseline")

    client = cast.a.client("manager")
    body = client.get(reverse("insights:forecast"), {"series": noisy.pk}).content.decode()
    assert "The model found no pattern in the history" in body
    assert "In 1 of them the model found no pattern." in body
    body = client.get(reverse("insights:forecast"), {"series": trend.pk}).content.decode()
    assert "The model beat the baseline in the backtest" in body
    # The backtest's amounts: grouped on the page, raw in the download.
    last = add_months(start, 29)
    actual = Decimal(200 + 25 * 29)  # p1's last complete month
    assert trend.backtest[-1]["month"][:7] == last.strftime("%Y-%m")
    assert f'<td class="text-end text-nowrap">{actual:,.2f}</td>' in body
    export = client.get(reverse("insights:forecast"), {"export": "backtest", "format": "csv"})
    text = b"".join(export.streaming_content if export.streaming else [export.content]).decode("utf-8-sig")
    assert f"{last:%Y-%m},{actual:.2f}" in text
