"""Import kinds of the deals app (``import_data --kind direct_opportunities|leads`` and the portal
imports page): django-import-export resources, all-or-nothing, errors with line and column."""

from __future__ import annotations

import re
from decimal import Decimal

from import_export import fields, resources, widgets

from deals.models import DirectOpportunity, Lead
from deals.services.leads import LEAD_FIELDS
from prm.lib.import_widgets import (
    StrictDateWidget,
    StrictDecimalWidget,
    check_amount_fits,
    raise_merged_errors,
)
from prm.lib.names import normalise_domain, normalise_name
from prm.tenancy.context import require_tenant

OPPORTUNITY_COLUMNS = (
    "reference",
    "customer_name",
    "customer_domain",
    "country",
    "product_lines",
    "value",
    "currency",
    "expected_close_date",
    "sales_owner",
    "status",
)
LEAD_COLUMNS = ("reference", *LEAD_FIELDS)


class ListWidget(widgets.Widget):
    """'pumps; valves' or 'pumps, valves' -> ['pumps', 'valves']."""

    def clean(self, value, row=None, **kwargs):
        return sorted({p.strip() for p in re.split(r"[;,|]", str(value or "")) if p.strip()})

    def render(self, value, obj=None, **kwargs):
        return "; ".join(value or [])


def _upper(row, key: str) -> None:
    row[key] = str(row.get(key) or "").strip().upper()


class DirectOpportunityResource(resources.ModelResource):
    """The vendor's own pipeline by natural key ``reference``: created or updated."""

    product_lines = fields.Field(attribute="product_lines", column_name="product_lines", widget=ListWidget())
    value = fields.Field(attribute="value", column_name="value", widget=StrictDecimalWidget())
    expected_close_date = fields.Field(
        attribute="expected_close_date", column_name="expected_close_date", widget=StrictDateWidget()
    )

    class Meta:
        model = DirectOpportunity
        import_id_fields = ["reference"]
        fields = list(OPPORTUNITY_COLUMNS)
        clean_model_instances = True
        skip_unchanged = False

    def get_queryset(self):
        return DirectOpportunity.objects.all()

    def before_import_row(self, row, **kwargs):
        for key in ("reference", "customer_name", "sales_owner"):
            row[key] = str(row.get(key) or "").strip()
        _upper(row, "country")
        _upper(row, "currency")
        row["currency"] = row["currency"] or require_tenant().base_currency
        row["status"] = str(row.get("status") or "open").strip().lower()
        if not str(row.get("value") or "").strip():
            row["value"] = "0"

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if instance.country and (len(instance.country) != 2 or not instance.country.isalpha()):
            errors.setdefault("country", []).append("Use a two-letter ISO country code, e.g. DE.")
        if not instance.product_lines:
            errors.setdefault("product_lines", []).append("Name at least one product line.")
        if instance.value is not None and instance.value < Decimal("0"):
            errors.setdefault("value", []).append("The value cannot be negative.")
        check_amount_fits(errors, "value", instance.value, instance.currency)
        instance.customer_name_normalised = normalise_name(instance.customer_name)
        instance.customer_domain = normalise_domain(instance.customer_domain)
        raise_merged_errors(errors, instance)

    def before_save_instance(self, instance, row, **kwargs):
        instance.customer_name_normalised = normalise_name(instance.customer_name)
        instance.customer_domain = normalise_domain(instance.customer_domain)


class LeadResource(resources.ModelResource):
    """Leads by natural key ``reference``; imported leads wait in the vendor queue to be routed."""

    value = fields.Field(attribute="value", column_name="value", widget=StrictDecimalWidget())

    class Meta:
        model = Lead
        import_id_fields = ["reference"]
        fields = list(LEAD_COLUMNS)
        clean_model_instances = True
        skip_unchanged = False

    def get_queryset(self):
        return Lead.objects.all()

    def before_import_row(self, row, **kwargs):
        for key in (
            "reference",
            "company",
            "contact_name",
            "contact_email",
            "region",
            "product_interest",
            "source",
        ):
            row[key] = str(row.get(key) or "").strip()
        # Newer optional columns: a file without them leaves what the portal recorded.
        for key in ("postal_code", "industry"):
            if key in row:
                row[key] = str(row[key] or "").strip()
        _upper(row, "country")
        _upper(row, "currency")
        row["currency"] = row["currency"] or require_tenant().base_currency
        row["domain"] = normalise_domain(str(row.get("domain") or ""))
        if not str(row.get("value") or "").strip():
            row["value"] = "0"

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if not instance.reference:
            errors.setdefault("reference", []).append("This field cannot be blank.")
        if instance.country and (len(instance.country) != 2 or not instance.country.isalpha()):
            errors.setdefault("country", []).append("Use a two-letter ISO country code, e.g. DE.")
        check_amount_fits(errors, "value", instance.value, instance.currency)
        raise_merged_errors(errors, instance)
