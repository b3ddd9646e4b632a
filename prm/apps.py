from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PrmConfig(AppConfig):
    name = "prm"
    verbose_name = "PRM core"

    def ready(self) -> None:
        from prm.catalog.resources import ProductResource
        from prm.imports import ImportKind, register_import_kind
        from prm.roles import Perm
        from prm.tenancy import rls

        post_migrate.connect(rls.apply_policies_after_migrate, dispatch_uid="prm_rls_policies")
        from prm.db.roles import grant_after_migrate

        post_migrate.connect(grant_after_migrate, dispatch_uid="prm_runtime_grants")
        from prm.accounts import security_audit

        security_audit.connect()
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
