"""MDF and co-op funds: budgets per period, an append-only ledger per partner and fund, requests
with multi-level approval, claims with proof of performance that become payables."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "funds"
    verbose_name = _("MDF and co-op funds")

    def ready(self) -> None:
        from celery.schedules import crontab
        from django.urls import reverse

        import funds.tasks  # noqa: F401  (registers the tasks with Celery)
        from funds.kpis import marketing_activities, mdf_utilisation
        from funds.list_reports import CLAIM_LIST as FUND_CLAIM_LIST
        from funds.list_reports import REQUEST_LIST as FUND_REQUEST_LIST
        from funds.panels import funds_panel, partner_funds_panel
        from funds.reports import FUND_REPORTS
        from funds.seed import seed_funds
        from funds.selectors import fund_claims_ledger
        from funds.services.claims import fund_claims_paid
        from partners.kpis import register_kpi_provider
        from prm.dashboard import register_panel, register_partner_panel
        from prm.finance.registry import register_payable_source
        from prm.finance.reports import register_reconciliation_source
        from prm.jobs.registry import JobKind, register_job_kind
        from prm.navigation import NavItem, register_nav
        from prm.reports import register_report
        from prm.roles import Perm
        from prm.schedule import register_beat_entry
        from prm.seed import register_seed_step

        register_report(FUND_REPORTS)  # "Schedule this report" (prm.scheduled_reports)
        register_report(FUND_REQUEST_LIST)
        register_report(FUND_CLAIM_LIST)

        register_payable_source(
            "fund_claim",
            label=_("MDF / co-op fund claim"),
            url=lambda source_id: reverse("funds:claim_detail", args=[int(source_id)]),
            on_paid=fund_claims_paid,  # a paid payable posts "paid" at once
        )
        register_reconciliation_source("fund_claim", label=_("Fund ledger (claimed)"), sql=fund_claims_ledger)
        register_kpi_provider("funds.mdf_utilisation", mdf_utilisation)
        register_kpi_provider("funds.marketing_activities", marketing_activities)
        register_nav(NavItem(_("Funds"), "funds:home", Perm.FUND_VIEW, order=35, area="funds"))
        register_nav(NavItem(_("Fund requests"), "funds:requests", Perm.FUND_VIEW, order=36, area="funds"))
        register_nav(
            NavItem(
                _("Fund reports"),
                "funds:dashboard",
                Perm.FUND_REPORTS,
                audience="staff",
                order=37,
                area="funds",
            )
        )
        # An accrual run books only the difference to what is posted: a killed attempt is run again.
        register_job_kind("funds:accrue", JobKind(task="funds.accrue_coop", label=_("Co-op accrual")))
        from funds.selectors import fund_settings
        from prm.settings_sections import SettingsSection, register_settings_section

        register_settings_section(
            SettingsSection(
                "funds",
                _("Fund approval levels"),
                "funds:settings",
                Perm.FUND_MANAGE,
                current=fund_settings,
                fields=("level1_limit", "level2_limit"),
                description=_("Who approves fund requests up to which amount (in the base currency)."),
                order=30,
            )
        )
        register_panel(funds_panel)
        register_partner_panel(partner_funds_panel)
        register_seed_step(seed_funds, name="funds", after=("partners", "posdata", "fx_rates"))
        # Lapsed requests, expiries, then the 30-day warnings, every night; and the safety net of
        # "paid" (claims whose on_paid call was lost: the task runs after the payment committed).
        register_beat_entry("funds-nightly", "funds.nightly", crontab(hour=1, minute=10))
        register_beat_entry(
            "funds-accrue-open-periods", "funds.accrue_open_periods", crontab(hour=3, minute=40)
        )
