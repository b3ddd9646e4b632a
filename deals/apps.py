"""Deal registration, end customers, direct opportunities, conflicts, leads and routing rules."""

from celery.schedules import crontab
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class DealsConfig(AppConfig):
    name = "deals"
    verbose_name = "Deals"

    def ready(self) -> None:
        # Imported here, not at the top: these modules use models, which exist only once the app
        # registry is ready; ready() is where the app registers itself with the core.
        import deals.tasks  # noqa: F401  (registers the beat tasks with Celery)
        from deals.list_reports import LIST_KINDS
        from deals.panels import deals_panel, partner_deals_panel
        from deals.report_pages import DEAL_REPORTS
        from deals.resources import LEAD_COLUMNS, OPPORTUNITY_COLUMNS, DirectOpportunityResource, LeadResource
        from deals.seed import seed_deals
        from deals.selectors import deal_kpis
        from deals.services.leads import leads_withdraw_from_partner
        from partners.kpis import register_kpi_provider
        from partners.services.lifecycle import register_partner_stopped_hook
        from prm.dashboard import register_panel, register_partner_panel
        from prm.imports import ImportKind, register_import_kind
        from prm.navigation import NavItem, register_nav
        from prm.reports import register_report
        from prm.roles import Perm
        from prm.schedule import register_beat_entry
        from prm.seed import register_seed_step

        register_report(DEAL_REPORTS)  # "Schedule this report" (prm.scheduled_reports)
        for kind in LIST_KINDS:
            register_report(kind)

        register_import_kind(
            "direct_opportunities",
            ImportKind(
                label=gettext_noop("Direct opportunities"),
                resource=DirectOpportunityResource,
                columns=OPPORTUNITY_COLUMNS,
                required=("reference", "customer_name", "country", "product_lines"),
                perm=Perm.OPPORTUNITY_MANAGE,
            ),
        )
        register_import_kind(
            "leads",
            ImportKind(
                label=gettext_noop("Leads"),
                resource=LeadResource,
                columns=LEAD_COLUMNS,
                required=("reference", "company", "country", "product_interest"),
                perm=Perm.LEAD_MANAGE,
            ),
        )
        register_nav(NavItem(_("Deals"), "deals:list", Perm.DEAL_VIEW, order=20, area="deals"))
        register_nav(
            NavItem(
                _("Review queue"),
                "deals:review_queue",
                Perm.DEAL_REVIEW,
                audience="staff",
                order=21,
                area="deals",
            )
        )
        register_nav(
            NavItem(
                _("Pipeline dashboard"),
                "deals:dashboard",
                Perm.DEAL_REVIEW,
                audience="staff",
                order=22,
                area="deals",
            )
        )
        register_nav(
            NavItem(
                _("Deal reports"), "deals:reports", Perm.DEAL_REVIEW, audience="staff", order=24, area="deals"
            )
        )
        register_nav(NavItem(_("Leads"), "deals:leads", Perm.LEAD_VIEW, order=23, area="deals"))
        register_nav(
            NavItem(
                _("Direct opportunities"),
                "deals:opportunities",
                Perm.OPPORTUNITY_MANAGE,
                order=50,
                area="deals",
            )
        )
        register_nav(
            NavItem(_("Lead routing"), "deals:routing_rules", Perm.LEAD_MANAGE, order=51, area="deals")
        )
        register_nav(
            NavItem(
                _("Deal settings"),
                "deals:settings",
                Perm.DEAL_SETTINGS,
                section="admin",
                order=52,
                area="admin",
            )
        )
        from deals.models import DealSettings
        from prm.settings_sections import SettingsSection, register_settings_section

        register_settings_section(
            SettingsSection(
                "deals",
                _("Deal registration and leads"),
                "deals:settings",
                Perm.DEAL_SETTINGS,
                # Read without creating the row: the overview is a GET.
                current=lambda: DealSettings.objects.first() or DealSettings(),
                fields=(
                    "protection_days",
                    "max_extensions",
                    "review_sla_hours",
                    "lead_sla_hours",
                    "distribution",
                    "min_deal_value",
                ),
                description=_(
                    "Deal policy: protection, extensions, review and lead SLAs, lead distribution, "
                    "registration guidelines and eligibility rules."
                ),
                order=10,
            )
        )
        register_panel(deals_panel)
        register_partner_panel(partner_deals_panel)
        register_seed_step(seed_deals, name="deals", after=("partners",))
        register_beat_entry(
            "deals-expire-registrations", "deals.expire_registrations", crontab(hour=0, minute=20)
        )
        register_beat_entry("deals-expiry-warnings", "deals.expiry_warnings", crontab(hour=7, minute=15))
        register_beat_entry("deals-review-sla", "deals.review_sla", crontab(minute=5))
        register_beat_entry("deals-lead-timeouts", "deals.lead_timeouts", crontab(minute="*/15"))
        register_beat_entry(
            "deals-cosell-task-reminders", "deals.cosell_task_reminders", crontab(hour=7, minute=30)
        )
        register_kpi_provider("deals.registrations", deal_kpis)
        register_partner_stopped_hook(leads_withdraw_from_partner)
        from deals.services.two_tier import sync_distributor_grants
        from prm.accounts.services import register_membership_changed_hook

        register_membership_changed_hook(sync_distributor_grants)
        from deals.prefill import approved_registrations_for_prefill
        from partners.registries import register_deal_prefill_source

        register_deal_prefill_source(approved_registrations_for_prefill)
        from deals.territory_metrics import COLUMNS, territory_deal_metrics
        from partners.registries import register_territory_metrics

        register_territory_metrics("deals", COLUMNS, territory_deal_metrics)
