from __future__ import annotations

import re
from decimal import Decimal

from import_export import fields, resources

from prm.catalog.models import Product
from prm.lib.import_widgets import (
    StrictDecimalWidget,
    StrictIntegerWidget,
    check_amount_fits,
    raise_merged_errors,
)


class ProductResource(resources.ModelResource):
    """Catalog rows by natural key ``sku``: created or updated."""

    list_price = fields.Field(attribute="list_price", column_name="list_price", widget=StrictDecimalWidget())
    units_per_case = fields.Field(
        attribute="units_per_case", column_name="units_per_case", widget=StrictIntegerWidget()
    )

    class Meta:
        model = Product
        import_id_fields = ["sku"]
        fields = [
            "sku",
            "name",
            "category",
            "unit_of_measure",
            "units_per_case",
            "list_price",
            "currency",
            "gtin",
        ]
        clean_model_instances = True
        skip_unchanged = False

    def get_queryset(self):
        return Product.objects.all()

    def before_import_row(self, row, **kwargs):
        for key in ("sku", "name", "category", "gtin"):
            if row.get(key) is not None:
                row[key] = str(row[key]).strip()
        row["unit_of_measure"] = (str(row.get("unit_of_measure") or "").strip() or "EA").upper()
        row["currency"] = str(row.get("currency") or "").strip().upper()
        if not str(row.get("units_per_case") or "").strip():
            row["units_per_case"] = "1"

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if instance.list_price is not None and instance.list_price < Decimal("0"):
            errors.setdefault("list_price", []).append("The list price cannot be negative.")
        check_amount_fits(errors, "list_price", instance.list_price, instance.currency)
        if instance.units_per_case is not None and instance.units_per_case < 1:
            errors.setdefault("units_per_case", []).append("Units per case must be at least 1.")
        if instance.gtin and not re.fullmatch(r"\d{8}|\d{12,14}", instance.gtin):
            errors.setdefault("gtin", []).append("A GTIN has 8, 12, 13 or 14 digits.")
        raise_merged_errors(errors, instance)
