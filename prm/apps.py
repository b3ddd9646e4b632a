from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate, pre_migrate


class PrmConfig(AppConfig):
    name = "prm"
    verbose_name = "PRM core"

    def ready(self) -> None:
        from prm.catalog.resources import ProductResource
        from prm.imports import ImportKind, register_import_kind
        from prm.roles import Perm
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
        register_import_kind(
            "products",
            ImportKind(
                label="Products",
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
