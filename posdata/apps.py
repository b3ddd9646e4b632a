"""Point-of-sale and inventory data: uploads, column mappings, SKU cross-references, loading."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class PosdataConfig(AppConfig):
    name = "posdata"
    verbose_name = _("Point-of-sale data")

    def ready(self) -> None:
        from posdata.resources import SkuXrefResource
        from prm.imports import ImportKind, register_import_kind
        from prm.roles import Perm

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
        from prm.jobs.registry import JobKind, register_job_kind

        register_job_kind("pos:*", JobKind(task="posdata.process_upload", label=_("POS or inventory load")))
        register_job_kind(
            "pos:reprocess", JobKind(task="posdata.reprocess_exceptions", label=_("Exception re-processing"))
        )
        from posdata import integration

        integration.register()
