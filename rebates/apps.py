"""Rebates and SPIFs: versioned programs, calculation runs with explainable accruals, statements,
period closes that settle the due amounts as payables."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RebatesConfig(AppConfig):
    name = "rebates"
    verbose_name = _("Rebates and SPIFs")

    def ready(self) -> None:
        # Imported here, not at module level: the registries and models need the app registry.
        from django.urls import reverse

        import rebates.tasks  # noqa: F401  (registers the tasks with Celery)
        from partners.kpis import register_kpi_provider
        from prm.dashboard import register_panel, register_partner_panel
        from prm.finance.registry import register_payable_source
        from prm.finance.reports import register_reconciliation_source
        from prm.jobs.registry import JobKind, register_job_kind
        from prm.navigation import NavItem, register_nav
        from prm.reports import register_report
        from prm.roles import Perm
        from prm.seed import register_seed_step
        from rebates.list_reports import PROGRAM_LIST
        from rebates.reports import REBATE_REPORTS

        register_report(REBATE_REPORTS)  # "Schedule this report" (prm.scheduled_reports)
        register_report(PROGRAM_LIST)
        from rebates.kpis import rebates_earned
        from rebates.panels import partner_rebates_panel, rebates_panel
        from rebates.seed import seed_rebates
        from rebates.selectors import approved_rebates_ledger
        from rebates.services.runs import JOB_KIND, run_give_up

        register_payable_source(
            "rebate",
            label=_("Rebate settlement line"),
            url=lambda source_id: reverse("rebates:settlement_line", args=[int(source_id)]),
        )
        register_reconciliation_source(
            "rebate", label=_("Approved rebate settlements"), sql=approved_rebates_ledger
        )
        register_nav(
            NavItem(_("Rebates"), "rebates:statements", Perm.REBATE_VIEW, order=40, area="incentives")
        )
        register_nav(
            NavItem(
                _("Rebate programs"),
                "rebates:programs",
                Perm.REBATE_PROGRAM_VIEW,
                audience="staff",
                order=41,
                area="incentives",
            )
        )
        register_nav(
            NavItem(
                _("Rebate reports"),
                "rebates:dashboard",
                Perm.REBATE_REPORTS,
                audience="staff",
                order=42,
                area="incentives",
            )
        )
        # A run that stopped responding is started again: its work is one transaction, so a
        # killed attempt left nothing behind; when the sweep gives up, the run is failed too.
        register_job_kind(
            JOB_KIND, JobKind(task="rebates.calculate", label=_("Rebate calculation"), on_give_up=run_give_up)
        )
        register_panel(rebates_panel)
        register_kpi_provider("rebates.earned", rebates_earned)  # scorecards (partners.kpis)
        register_partner_panel(partner_rebates_panel)
        register_seed_step(seed_rebates, name="rebates", after=("partners", "fx_rates", "posdata", "deals"))
