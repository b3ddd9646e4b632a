"""django-import-export widgets that report bad cells as field errors (with a clear message)
instead of raw decimal exceptions, so import reports can name the column."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from import_export import widgets


class StrictDecimalWidget(widgets.DecimalWidget):
    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return None
        try:
            return Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValueError(f"{value!r} is not a number.") from exc


class StrictIntegerWidget(widgets.IntegerWidget):
    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return None
        text = str(value).strip()
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"{value!r} is not a whole number.") from exc
        if number != number.to_integral_value():
            raise ValueError(f"{value!r} is not a whole number.")
        return int(number)


class StrictDateWidget(widgets.DateWidget):
    """ISO dates only (YYYY-MM-DD; a time part is ignored), with a message naming the value."""

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return None
        from datetime import date, datetime

        if isinstance(value, datetime):  # XLSX date cells
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip()[:10])
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD).") from exc


def check_amount_fits(errors: dict[str, list[str]], column: str, amount, currency: str) -> None:
    """Add a message to ``errors[column]`` when ``amount`` has more decimals than ``currency``
    takes (JPY none, KWD three): an imported amount is never rounded silently."""
    from prm.lib.money import MinorUnitsError, check_minor_units

    if amount is None or not currency or column in errors:
        return
    try:
        check_minor_units(amount, currency)
    except MinorUnitsError as exc:
        errors.setdefault(column, []).append(str(exc))


def raise_merged_errors(errors: dict[str, list[str]], instance) -> None:
    """Run the model's own validation and raise every problem of the row at once (the widget and
    resource checks in ``errors`` plus ``full_clean``), keyed by column."""
    from django.core.exceptions import ValidationError

    merged = {key: list(messages) for key, messages in errors.items()}
    try:
        instance.full_clean(exclude=list(merged), validate_unique=False)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            merged.setdefault(key, []).extend(messages)
    if merged:
        raise ValidationError(merged)
