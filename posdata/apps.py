"""Point-of-sale and inventory data: uploads, column mappings, SKU cross-references, loading."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class PosdataConfig(AppConfig):
    name = "posdata"
    verbose_name = _("Point-of-sale data")

    def ready(self) -> None:
        """Register what POS data adds to the lower layers: navigation, the home panel, the
        scorecard revenue, the import kind, the demo seed step and the Celery tasks."""
        # Imported here, not at the top: these modules import models, which are not loaded yet
        # when Django imports this module (the app registry fills in before ready() runs).
        import posdata.tasks  # noqa: F401  (registers the tasks the services start by name)
        from partners.kpis import register_kpi_provider
        from partners.registries import register_territory_metrics
        from posdata.kpis import revenue_by_partner
        from posdata.panels import partner_pos_panel, sales_panel
        from posdata.report_pages import INVENTORY, SELL_THROUGH, UPLOADS
        from posdata.resources import SkuXrefResource
        from posdata.seed import seed_pos_data
        from posdata.services import upload_give_up
        from posdata.territory_metrics import COLUMNS, territory_pos_revenue
        from prm.dashboard import register_panel, register_partner_panel
        from prm.imports import ImportKind, register_import_kind
        from prm.jobs.registry import JobKind, register_job_kind
        from prm.navigation import NavItem, register_nav
        from prm.reports import register_report
        from prm.roles import Perm
        from prm.seed import register_seed_step

        register_report(SELL_THROUGH)  # "Schedule this report" (prm.scheduled_reports)
        register_report(INVENTORY)
        register_report(UPLOADS)

        register_territory_metrics("posdata", COLUMNS, territory_pos_revenue)
        register_import_kind(
            "sku_xref",
            ImportKind(
                label=gettext_noop("SKU cross-references"),
                resource=SkuXrefResource,
                columns=("partner_code", "partner_sku", "sku"),
                required=("partner_code", "partner_sku", "sku"),
                perm=Perm.POS_MANAGE,
            ),
        )
        register_nav(
            NavItem(_("Sell-through"), "posdata:dashboard", Perm.POS_VIEW, order=40, area="channel_data")
        )
        register_nav(
            NavItem(_("POS uploads"), "posdata:uploads", Perm.POS_VIEW, order=41, area="channel_data")
        )
        register_panel(sales_panel)
        register_partner_panel(partner_pos_panel)
        register_kpi_provider("posdata.revenue", revenue_by_partner)
        register_seed_step(seed_pos_data, name="posdata", after=("partners",))
        # A killed load is run again (a new run stages afresh, and moves each line once); when the
        # sweep gives it up, its upload fails with the reason. Re-processing exceptions keeps its
        # progress in the job (nothing else waits on it): the failed job is all there is to say.
        register_job_kind(
            "pos:*",
            JobKind(
                task="posdata.process_upload", label=_("POS or inventory load"), on_give_up=upload_give_up
            ),
        )
        register_job_kind(
            "pos:reprocess", JobKind(task="posdata.reprocess_exceptions", label=_("Exception re-processing"))
        )
