"""django-import-export widgets that report bad cells as field errors (with a clear message)
instead of raw decimal exceptions, so import reports can name the column."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from import_export import widgets

from prm.lib.money import MinorUnitsError, check_minor_units

_GROUPED_BY_COMMAS = re.compile(r"[+-]?\d{1,3}(,\d{3})+")
_GROUPED_BY_POINTS = re.compile(r"[+-]?\d{1,3}(\.\d{3}){2,}")


def parse_decimal(value) -> Decimal:
    """A number as partners and ERPs write it: ``1234.56``, ``1,234.56``, ``1.234,56``,
    ``0,9213`` or ``1 234,56``. The separator that comes last is the decimal one. A lone comma
    before exactly three digits (``1,234``) could be either, so it is refused, not guessed."""
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):  # XLSX numeric cells
        return Decimal(repr(value))
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        text = text.replace(thousands, "").replace(decimal_mark, ".")
    elif "," in text:
        if _GROUPED_BY_COMMAS.fullmatch(text):
            raise ValueError(
                f"{value!r} is ambiguous: write 1234.5 (or 1234,5) without thousands separators."
            )
        if text.count(",") > 1:
            raise ValueError(f"{value!r} is not a number.")
        text = text.replace(",", ".")
    elif _GROUPED_BY_POINTS.fullmatch(text):
        text = text.replace(".", "")  # 1.234.567: points group thousands
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a number.") from exc
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a number.")
    return number


class StrictDecimalWidget(widgets.DecimalWidget):
    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return None
        return parse_decimal(value)


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

    if amount is None or not currency or column in errors:
        return
    try:
        check_minor_units(amount, currency)
    except MinorUnitsError as exc:
        errors.setdefault(column, []).append(str(exc))


def raise_merged_errors(errors: dict[str, list[str]], instance) -> None:
    """Run the model's own validation and raise every problem of the row at once (the widget and
    resource checks in ``errors`` plus ``full_clean``), keyed by column."""

    merged = {key: list(messages) for key, messages in errors.items()}
    try:
        instance.full_clean(exclude=list(merged), validate_unique=False)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            merged.setdefault(key, []).extend(messages)
    if merged:
        raise ValidationError(merged)
