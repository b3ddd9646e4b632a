from celery.schedules import crontab
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partners"

    def ready(self) -> None:
        # Imported here, not at the top: these modules use models, which exist only once the app
        # registry is ready; ready() is where the app registers itself with the core.
        import partners.kpis  # registers the built-in KPI providers
        import partners.tasks  # noqa: F401  (registers the tasks that services start by name)
        from partners.panels import channel_panel, partner_plan_panel, partner_status_panel
        from partners.payout_provider import payout_details_full, payout_details_statuses
        from partners.report_pages import PARTNER_LIST, PLAN_LIST, TERRITORIES
        from partners.resources import PartnerResource
        from partners.seed import register_demo_logins, seed_partners, seed_plans
        from partners.selectors import partners_for_membership
        from prm.dashboard import register_panel, register_partner_panel
        from prm.finance.payout_details import register_payout_details
        from prm.imports import ImportKind, register_import_kind
        from prm.navigation import NavItem, register_nav
        from prm.reports import register_report
        from prm.roles import Perm
        from prm.schedule import register_beat_entry
        from prm.scoping import register_partner_scope
        from prm.seed import register_seed_step

        for kind in (PARTNER_LIST, TERRITORIES, PLAN_LIST):
            register_report(kind)  # "Schedule this report" (prm.scheduled_reports)
        register_import_kind(
            "partners",
            ImportKind(
                label=gettext_noop("Partners"),
                resource=PartnerResource,
                columns=("code", "name", "type", "country", "region", "tier", "email"),
                required=("code", "name", "type", "country"),
                perm=Perm.PARTNER_MANAGE,
            ),
        )
        register_nav(
            NavItem(
                _("Partners"), "partners:list", Perm.PARTNER_VIEW, audience="staff", order=10, area="partners"
            )
        )
        register_nav(
            NavItem(
                _("Territories"),
                "partners:territories",
                Perm.TERRITORY_VIEW,
                audience="staff",
                order=12,
                area="partners",
            )
        )
        register_nav(
            NavItem(
                _("My company"),
                "partners:mine",
                Perm.PARTNER_VIEW,
                audience="partner",
                order=10,
                area="partners",
            )
        )
        register_nav(
            NavItem(
                _("Agreement"),
                "partners:agreement_current",
                Perm.PARTNER_VIEW,
                audience="partner",
                order=11,
                area="partners",
            )
        )
        register_nav(
            NavItem(
                _("Applications"),
                "partners:applications",
                Perm.APPLICATION_REVIEW,
                audience="staff",
                order=11,
                area="partners",
            )
        )
        register_nav(
            NavItem(_("Training"), "partners:courses", Perm.ENABLEMENT_VIEW, order=60, area="partners")
        )
        register_nav(
            NavItem(_("Resources"), "partners:resources", Perm.ENABLEMENT_VIEW, order=61, area="partners")
        )
        register_nav(
            NavItem(_("Programs"), "partners:programs", Perm.PROGRAM_MANAGE, order=15, area="partners")
        )
        register_nav(
            NavItem(_("Business plans"), "partners:plans", Perm.PLAN_VIEW, order=12, area="partners")
        )
        register_panel(partner_status_panel)
        register_partner_panel(partner_plan_panel)  # this year's plan on the partner 360 page
        register_panel(channel_panel)
        register_seed_step(seed_partners, name="partners")
        # After the POS and deals seeds: the demo goals are set from last year's figures.
        register_seed_step(seed_plans, name="partner_plans", after=("partners", "posdata", "deals"))
        register_demo_logins()
        register_beat_entry(
            "partners-scorecards-nightly", "partners.scorecards_nightly", crontab(hour=2, minute=15)
        )
        register_beat_entry(
            "partners-onboarding-reminders", "partners.onboarding_reminders", crontab(hour=7, minute=0)
        )
        register_beat_entry(
            "partners-certification-reminders", "partners.certification_reminders", crontab(hour=6, minute=30)
        )
        # The quarterly review of plans in force: daily in the first week of each quarter, sent once.
        register_beat_entry(
            "partners-plan-review-reminders",
            "partners.plan_review_reminders",
            crontab(hour=7, minute=20, day_of_month="1-7", month_of_year="1,4,7,10"),
        )
        # Checklists follow data changed outside the partners app (colleagues invited or joined).
        register_beat_entry("partners-onboarding-refresh", "partners.onboarding_refresh", crontab(minute=40))
        register_partner_scope(partners_for_membership)
        from prm.jobs.registry import JobKind, register_job_kind

        register_job_kind(
            "partners:scorecards", JobKind(task="partners.scorecards_job", label=_("Scorecards"))
        )
        register_payout_details(statuses=payout_details_statuses, full=payout_details_full)
