"""``import_data --kind fx_rates`` and the portal import of exchange rates (INTERFACES.md)."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import is_currency
from import_export import fields, resources

from prm.finance.models import FxRate
from prm.lib.import_widgets import StrictDateWidget, StrictDecimalWidget, raise_merged_errors
from prm.lib.money import RATE_DECIMALS, RATE_DIGITS

FX_RATE_COLUMNS = ("base_currency", "quote_currency", "rate_date", "rate", "source")


def rate_problems(rate: Decimal | None) -> list[str]:
    """Why a rate cannot be stored (empty when it can): positive, at most 12 decimals."""
    if rate is None:
        return []
    if rate <= 0:
        return ["A rate must be greater than zero."]
    exponent = rate.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > RATE_DECIMALS:
        return [f"A rate has at most {RATE_DECIMALS} decimals."]
    if rate >= Decimal(10) ** (RATE_DIGITS - RATE_DECIMALS):
        return ["The rate is too large."]
    return []


def currency_problems(code: str) -> list[str]:
    if code and not is_currency(code):
        return [f"{code!r} is not an ISO 4217 currency code."]
    return []


class FxRateResource(resources.ModelResource):
    """Rates by natural key base + quote + date + source: created, or updated when the same source
    sends the same date again. A correction from another source is a new row."""

    rate = fields.Field(attribute="rate", column_name="rate", widget=StrictDecimalWidget())
    rate_date = fields.Field(attribute="rate_date", column_name="rate_date", widget=StrictDateWidget())

    class Meta:
        model = FxRate
        import_id_fields = ["base_currency", "quote_currency", "rate_date", "source"]
        fields = list(FX_RATE_COLUMNS)
        clean_model_instances = True
        skip_unchanged = False

    def get_queryset(self):
        return FxRate.objects.all()

    def get_instance(self, instance_loader, row):
        # An unreadable date or rate in the natural key: let the field's own validation report
        # it with its column instead of failing the row without one.
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            return None

    def before_import_row(self, row, **kwargs):
        for key in ("base_currency", "quote_currency"):
            row[key] = str(row.get(key) or "").strip().upper()
        row["source"] = str(row.get("source") or "").strip()

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        for key in ("base_currency", "quote_currency"):
            problems = currency_problems(getattr(instance, key))
            if problems:
                errors.setdefault(key, []).extend(problems)
        if instance.base_currency and instance.base_currency == instance.quote_currency:
            errors.setdefault("quote_currency", []).append(
                "The quote currency must differ from the base currency."
            )
        problems = rate_problems(instance.rate)
        if problems:
            errors.setdefault("rate", []).extend(problems)
        raise_merged_errors(errors, instance)
