from __future__ import annotations

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from partners.models import Partner
from partners.resources import refuse_out_of_scope
from posdata.models import SkuXref
from prm.audit.services import audit
from prm.catalog.models import Product
from prm.imports import ImportContext


class _CodeWidget(widgets.ForeignKeyWidget):
    """A foreign key by natural code, with a readable error naming the unknown code."""

    def __init__(self, model, field: str, label: str) -> None:
        super().__init__(model, field)
        self.label = label

    def get_queryset(self, value, row, *args, **kwargs):
        return self.model.objects.all()

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            raise ValueError(f"The {self.label} is required.")
        found = self.get_queryset(value, row).filter(**{self.field: text}).first()
        if found is None:
            raise ValueError(f"Unknown {self.label} {text!r}.")
        return found


class SkuXrefResource(resources.ModelResource):
    """Partner SKU cross-references by natural key (partner_code, partner_sku), for the partners
    in the importing member's scope; every created or changed cross-reference is audited."""

    partner_code = fields.Field(
        attribute="partner", column_name="partner_code", widget=_CodeWidget(Partner, "code", "partner code")
    )
    partner_sku = fields.Field(attribute="partner_sku", column_name="partner_sku")
    sku = fields.Field(attribute="product", column_name="sku", widget=_CodeWidget(Product, "sku", "SKU"))

    COLUMN_OF = {"partner": "partner_code", "product": "sku"}

    class Meta:
        model = SkuXref
        import_id_fields = ["partner_code", "partner_sku"]
        fields = ["partner_code", "partner_sku", "sku"]
        clean_model_instances = True
        skip_unchanged = False

    def get_queryset(self):
        return SkuXref.objects.all()

    def before_import_row(self, row, **kwargs):
        for key in ("partner_code", "partner_sku", "sku"):
            if row.get(key) is not None:
                row[key] = str(row[key]).strip()
        refuse_out_of_scope(str(row.get("partner_code") or ""), "partner_code", kwargs.get("import_context"))

    def after_init_instance(self, instance, new, row, **kwargs):
        instance._import_before = None if new else instance.product_id

    def after_save_instance(self, instance, row, **kwargs):
        context: ImportContext = kwargs.get("import_context") or ImportContext()
        before = instance._import_before
        if before == instance.product_id:
            return
        audit(
            actor=context.actor,
            action="pos.sku_xref_import",
            obj=instance,
            before=None if before is None else {"product": before},
            after={
                "partner": instance.partner.code,
                "partner_sku": instance.partner_sku,
                "sku": instance.product.sku,
                "via": context.via,
            },
        )

    def import_instance(self, instance, row, **kwargs):
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            raise ValidationError(
                {self.COLUMN_OF.get(key, key): value for key, value in exc.error_dict.items()}
            ) from exc

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = {self.COLUMN_OF.get(k, k): v for k, v in (import_validation_errors or {}).items()}
        if not (instance.partner_sku or "").strip():
            errors.setdefault("partner_sku", []).append("The partner SKU is required.")
        exclude_map = {"partner_code": "partner", "sku": "product"}
        merged = {k: list(v) for k, v in errors.items()}
        try:
            instance.full_clean(
                exclude=[exclude_map.get(k, k) for k in merged] + ["tenant", "created_by"],
                validate_unique=False,
            )
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                merged.setdefault(self.COLUMN_OF.get(key, key), []).extend(messages)
        if merged:
            raise ValidationError(merged)
