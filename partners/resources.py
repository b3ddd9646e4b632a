from __future__ import annotations

from import_export import resources

from partners.models import Partner
from prm.lib.import_widgets import raise_merged_errors


class PartnerResource(resources.ModelResource):
    """Partner rows by natural key ``code``: created or updated."""

    class Meta:
        model = Partner
        import_id_fields = ["code"]
        fields = ["code", "name", "type", "country", "region", "tier", "email"]
        export_order = ["code", "name", "type", "country", "region", "tier", "status", "email"]
        clean_model_instances = True
        skip_unchanged = False

    def get_queryset(self):
        return Partner.objects.all()

    def before_import_row(self, row, **kwargs):
        for key in ("code", "name", "region", "tier", "email"):
            if row.get(key) is not None:
                row[key] = str(row[key]).strip()
        row["type"] = str(row.get("type") or "").strip().lower()
        row["country"] = str(row.get("country") or "").strip().upper()

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if instance.country and (len(instance.country) != 2 or not instance.country.isalpha()):
            errors.setdefault("country", []).append("Use a two-letter ISO country code, e.g. DE.")
        raise_merged_errors(errors, instance)
