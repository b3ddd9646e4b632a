"""Channel intelligence: pipeline and sell-out forecasts with an honest backtest, and partner
benchmarks against peer groups (league table for managers, anonymised comparison for partners)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = _("Channel insights")

    def ready(self) -> None:
        from celery.schedules import crontab

        import insights.tasks  # noqa: F401  (registers the tasks with Celery)
        from insights.report_pages import FORECAST, LEAGUE
        from insights.seed import seed_forecasts
        from insights.services.forecasts import JOB_KIND
        from prm.jobs.registry import JobKind, register_job_kind
        from prm.navigation import NavItem, register_nav
        from prm.reports import register_report
        from prm.roles import Perm
        from prm.schedule import register_beat_entry
        from prm.seed import register_seed_step

        register_seed_step(
            seed_forecasts, name="forecasts", after=("partners", "fx_rates", "posdata", "deals")
        )
        register_report(FORECAST)  # "Schedule this report" (prm.scheduled_reports)
        register_report(LEAGUE)

        register_nav(NavItem(_("Forecast"), "insights:forecast", Perm.FORECAST_VIEW, order=60, area="deals"))
        register_nav(
            NavItem(
                _("Partner league table"),
                "insights:league",
                Perm.BENCHMARK_VIEW,
                audience="staff",
                order=60,
                area="partners",
            )
        )
        register_nav(
            NavItem(
                _("How we compare"),
                "insights:my_benchmarks",
                Perm.BENCHMARK_VIEW,
                audience="partner",
                order=60,
                area="partners",
            )
        )
        register_job_kind(JOB_KIND, JobKind(task="insights.forecast_job", label=_("Forecasts")))
        # After the nightly scorecards (02:15) and the deals' expiry run: the day's outcomes count.
        register_beat_entry(
            "insights-forecast-nightly", "insights.forecast_nightly", crontab(hour=3, minute=30)
        )
