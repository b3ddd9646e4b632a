"""Demo seed: the forecasts computed once, so the demo's forecast page shows figures before the
first nightly run."""

from __future__ import annotations

from insights.models import ForecastRun
from insights.services.forecasts import forecasts_recompute


def seed_forecasts(tenant, stdout=None) -> None:
    if ForecastRun.objects.exists():
        return
    summary = forecasts_recompute()
    if stdout is not None:
        sell_out = summary["sell_out"]
        stdout.write(
            f"  {tenant.slug}: forecasts computed, {sell_out['series']} sell-out series "
            f"(model shown for {sell_out['model']}, baseline for {sell_out['baseline']})\n"
        )
