from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partners"

    def ready(self) -> None:
        from partners.resources import PartnerResource
        from prm.imports import ImportKind, register_import_kind
        from prm.roles import Perm

        register_import_kind(
            "partners",
            ImportKind(
                label="Partners",
                resource=PartnerResource,
                columns=("code", "name", "type", "country", "region", "tier", "email"),
                required=("code", "name", "type", "country"),
                perm=Perm.PARTNER_MANAGE,
            ),
        )
