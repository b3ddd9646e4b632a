from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_noop


class PrmConfig(AppConfig):
    name = "prm"
    verbose_name = "PRM core"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from prm.catalog.resources import ProductResource
        from prm.dashboard import register_panel, register_partner_panel
        from prm.finance.panels import partner_payables_panel, payables_panel
        from prm.finance.resources import FX_RATE_COLUMNS, FxRateResource
        from prm.finance.seed import seed_fx_rates
        from prm.imports import ImportKind, register_import_kind
        from prm.navigation import NavItem, register_nav
        from prm.roles import Perm
        from prm.schedule import register_beat_entry
        from prm.seed import register_seed_step
        from prm.tenancy import distribution, rls
        from prm.tenancy.checks import check_distributable_models

        # Tenant tables keyed by (tenant_id, id) before migrations run (so that they can add
        # composite foreign keys) and after (whatever a migration left single-column).
        pre_migrate.connect(distribution.make_distributable_around_migrate, dispatch_uid="prm_distribute_pre")
        post_migrate.connect(
            distribution.make_distributable_around_migrate, dispatch_uid="prm_distribute_post"
        )
        post_migrate.connect(rls.apply_policies_after_migrate, dispatch_uid="prm_rls_policies")
        checks.register(check_distributable_models, checks.Tags.models)
        from prm.db.roles import grant_after_migrate

        post_migrate.connect(grant_after_migrate, dispatch_uid="prm_runtime_grants")
        from prm.accounts import security_audit

        security_audit.connect()
        register_import_kind(
            "products",
            ImportKind(
                label=gettext_noop("Products"),
                resource=ProductResource,
                columns=(
                    "sku",
                    "name",
                    "category",
                    "unit_of_measure",
                    "units_per_case",
                    "list_price",
                    "currency",
                    "gtin",
                ),
                required=("sku", "name", "category", "list_price", "currency"),
                perm=Perm.PRODUCT_MANAGE,
            ),
        )
        register_import_kind(
            "fx_rates",
            ImportKind(
                label="Exchange rates",
                resource=FxRateResource,
                columns=FX_RATE_COLUMNS,
                required=FX_RATE_COLUMNS,
                perm=Perm.FX_RATE_MANAGE,
            ),
        )
        register_nav(
            NavItem(
                _("Payables"),
                "finance:payables",
                Perm.PAYABLE_VIEW,
                audience="staff",
                order=70,
                area="finance",
            )
        )
        register_nav(
            NavItem(
                _("Payout batches"),
                "finance:batches",
                Perm.PAYOUT_BATCH_VIEW,
                audience="staff",
                order=71,
                area="finance",
            )
        )
        register_nav(
            NavItem(
                _("Finance reports"),
                "finance:reports",
                Perm.FINANCE_REPORTS,
                audience="staff",
                order=73,
                area="finance",
            )
        )
        register_nav(
            NavItem(_("Remittances"), "finance:remittances", Perm.REMITTANCE_VIEW, order=72, area="finance")
        )
        register_nav(
            NavItem(
                _("Finance settings"),
                "finance:settings",
                Perm.FINANCE_SETTINGS,
                section="admin",
                order=26,
                area="admin",
            )
        )
        register_nav(
            NavItem(_("Exchange rates"), "finance:rates", Perm.FX_RATE_MANAGE, order=74, area="finance")
        )
        register_nav(
            NavItem(
                _("Data export"), "data_export", Perm.TENANT_EXPORT, section="admin", order=90, area="admin"
            )
        )
        from prm.finance.selectors import finance_settings
        from prm.settings_sections import SettingsSection, register_settings_section

        register_settings_section(
            SettingsSection(
                "finance",
                _("Finance"),
                "finance:settings",
                Perm.FINANCE_SETTINGS,
                current=finance_settings,
                fields=("rate_date_policy",),
                description=_("Which day's exchange rates convert the payables of a payout batch."),
                order=40,
            )
        )
        register_panel(payables_panel)
        register_partner_panel(partner_payables_panel)
        register_seed_step(seed_fx_rates, name="fx_rates")
        register_beat_entry("purge-expired-invitations", "prm.tasks.expire_invitations", 3600.0)
        register_beat_entry("sweep-staging-tables", "prm.tasks.sweep_staging_tables", 1800.0)

        import prm.ops.tasks
        from prm.ops import signals as ops_signals
        from prm.ops.heartbeat import HEARTBEAT_INTERVAL

        ops_signals.connect()
        register_beat_entry("ops-heartbeat", "prm.ops.heartbeat", HEARTBEAT_INTERVAL, per_tenant=False)
        register_beat_entry("recover-stuck-jobs", "prm.ops.recover_stuck_jobs", 300.0)

        from prm.finance.payout_export import payout_export_give_up
        from prm.jobs.registry import JobKind, register_job_kind
        from prm.ops.tenant_data import tenant_export_give_up

        # The core's own job kinds; apps register theirs the same way from their ready().
        register_job_kind(
            "import:*", JobKind(task="prm.imports.run_reference_import", label=_("Reference data import"))
        )
        # Exports write next to their final name and move the file there when complete: a run
        # redelivered after a crash rewrites the same file; given up, the half-written one goes.
        register_job_kind(
            "ops:tenant_export",
            JobKind(
                task="prm.ops.tenant_export", label=_("Tenant data export"), on_give_up=tenant_export_give_up
            ),
        )
        register_job_kind(
            "export:payout_batch",
            JobKind(
                task="prm.finance.payout_export_xlsx",
                label=_("Payout workbook"),
                on_give_up=payout_export_give_up,
            ),
        )

        import prm.webhooks.tasks
        from prm.events import subscribe
        from prm.webhooks.delivery import event_record

        # Published events go to the webhooks' outbox; deliveries are not jobs (no Job row, no
        # job kind): each keeps its own schedule, and this sweep starts those whose task was lost.
        subscribe(event_record)
        register_beat_entry("webhooks-start-due", "prm.webhooks.start_due", 120.0)
        register_nav(
            NavItem(_("Webhooks"), "webhooks:endpoints", Perm.WEBHOOK_MANAGE, section="admin", order=85)
        )

        import prm.scheduled_reports.tasks  # noqa: F401  (registers the tasks with Celery)
        from prm.audit.report_pages import AUDIT_LOG
        from prm.dashboard import HOME_DASHBOARD
        from prm.finance.report_pages import FINANCE_REPORTS, PAYABLE_LIST
        from prm.reports import register_report

        # The core's own report pages; apps register theirs the same way from their ready().
        register_report(FINANCE_REPORTS)
        register_report(AUDIT_LOG)
        register_report(PAYABLE_LIST)
        register_report(HOME_DASHBOARD)
        register_beat_entry("scheduled-reports-send-due", "prm.scheduled_reports.send_due", 3600.0)
        register_nav(
            NavItem(
                _("Scheduled reports"), "scheduled_reports:list", Perm.REPORT_SCHEDULE, order=95, area="admin"
            )
        )
