"""The demo seed computes the forecasts once, so the demo's forecast page has figures before the
first nightly run; a second seed adds nothing."""

from __future__ import annotations

import io

import pytest

from insights.models import ForecastRun
from insights.seed import seed_forecasts

pytestmark = pytest.mark.django_db


def test_the_seed_computes_the_forecasts_once(cast):
    out = io.StringIO()
    with cast.a.context():
        seed_forecasts(cast.a.tenant, out)
        runs = list(ForecastRun.objects.values_list("pk", flat=True))
        assert len(runs) == 2  # the pipeline and the sell-out forecast
        seed_forecasts(cast.a.tenant, out)
        assert list(ForecastRun.objects.values_list("pk", flat=True)) == runs
    assert out.getvalue().count("forecasts computed") == 1
    with cast.b.context():
        assert not ForecastRun.objects.exists()
