"""Ship-and-debit: special pricing agreements, claims validated in the background, review and
payables."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = _("Ship-and-debit claims")

    def ready(self) -> None:
        from django.urls import reverse
        from django.utils.translation import gettext_noop

        import claims.tasks  # noqa: F401  (registers the tasks with Celery)
        from claims.list_reports import CLAIM_LIST
        from claims.panels import claims_panel, partner_claims_panel
        from claims.reports import CLAIM_REPORTS
        from claims.resources import AGREEMENT_COLUMNS, AGREEMENT_REQUIRED, AgreementResource
        from claims.seed import seed_claims
        from claims.two_tier import carry_two_tier_approval
        from prm.dashboard import register_panel, register_partner_panel
        from prm.events import subscribe
        from prm.finance.registry import register_payable_source
        from prm.imports import ImportKind, register_import_kind
        from prm.navigation import NavItem, register_nav
        from prm.reports import register_report
        from prm.roles import Perm
        from prm.seed import register_seed_step

        register_report(CLAIM_REPORTS)  # "Schedule this report" (prm.scheduled_reports)
        register_report(CLAIM_LIST)

        register_import_kind(
            "agreements",
            ImportKind(
                label=gettext_noop("Special pricing agreements"),
                resource=AgreementResource,
                columns=AGREEMENT_COLUMNS,
                required=AGREEMENT_REQUIRED,
                perm=Perm.SPA_MANAGE,
            ),
        )
        register_payable_source(
            "claim",
            label=_("Ship-and-debit claim"),
            url=lambda source_id: reverse("claims:detail", args=[int(source_id)]),
        )
        from claims.selectors import approved_claims_ledger
        from prm.finance.reports import register_reconciliation_source

        register_reconciliation_source("claim", label=_("Approved claims"), sql=approved_claims_ledger)
        register_nav(NavItem(_("Claims"), "claims:list", Perm.CLAIM_VIEW, order=30, area="incentives"))
        register_nav(
            NavItem(_("Pricing agreements"), "claims:agreements", Perm.SPA_VIEW, order=31, area="incentives")
        )
        register_nav(
            NavItem(
                _("Claim reports"),
                "claims:reports",
                Perm.CLAIM_REPORTS,
                audience="staff",
                order=32,
                area="incentives",
            )
        )
        register_nav(
            NavItem(
                _("Claim settings"),
                "claims:settings",
                Perm.CLAIM_SETTINGS,
                section="admin",
                order=53,
                area="admin",
            )
        )
        from claims.services.claims import claim_validation_give_up
        from prm.jobs.registry import JobKind, register_job_kind

        register_job_kind(
            "claims:validate",
            JobKind(
                task="claims.validate_claim", label=_("Claim validation"), on_give_up=claim_validation_give_up
            ),
        )
        from claims.selectors import claim_settings
        from prm.settings_sections import SettingsSection, register_settings_section

        register_settings_section(
            SettingsSection(
                "claims",
                _("Ship-and-debit claims"),
                "claims:settings",
                Perm.CLAIM_SETTINGS,
                current=claim_settings,
                fields=("claim_window_days", "payment_term_days"),
                description=_("The claim window and the payment term of approved claims."),
                order=20,
            )
        )
        register_panel(claims_panel)
        register_partner_panel(partner_claims_panel)
        register_seed_step(seed_claims, name="claims", after=("partners", "fx_rates"))
        subscribe(carry_two_tier_approval)  # two-tier deal approvals -> distributor agreements
