from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# BEAT: partners-onboarding-refresh, partners.onboarding_refresh, crontab(minute=40) (hourly, per tenant)


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partners"

    def ready(self) -> None:
        # Imported here, not at the top: these modules use models, which exist only once the app
        # registry is ready; ready() is where the app registers itself with the core.
        import partners.kpis  # registers the built-in KPI providers
        import partners.tasks  # noqa: F401  (registers the tasks that services enqueue by name)
        from partners.panels import channel_panel, partner_status_panel
        from partners.payout_provider import payout_details_full, payout_details_statuses
        from partners.resources import PartnerResource
        from partners.seed import seed_partners
        from partners.selectors import partners_for_membership
        from prm.dashboard import register_panel
        from prm.finance.payout_details import register_payout_details
        from prm.imports import ImportKind, register_import_kind
        from prm.navigation import NavItem, register_nav
        from prm.roles import Perm
        from prm.scoping import register_partner_scope
        from prm.seed import register_seed_step

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
                _("Agreement"), "partners:agreement_current", Perm.PARTNER_VIEW, audience="partner", order=11
            )
        )
        register_nav(
            NavItem(
                _("Applications"),
                "partners:applications",
                Perm.APPLICATION_REVIEW,
                audience="staff",
                order=11,
            )
        )
        register_nav(NavItem(_("Training"), "partners:courses", Perm.ENABLEMENT_VIEW, order=60))
        register_nav(NavItem(_("Resources"), "partners:resources", Perm.ENABLEMENT_VIEW, order=61))
        register_nav(
            NavItem(_("Programs"), "partners:programs", Perm.PROGRAM_MANAGE, section="admin", order=15)
        )
        register_panel(partner_status_panel)
        register_panel(channel_panel)
        register_seed_step(seed_partners)
        register_partner_scope(partners_for_membership)
        register_payout_details(statuses=payout_details_statuses, full=payout_details_full)
