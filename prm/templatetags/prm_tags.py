from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from django import template
from django.utils.translation import get_language, to_locale

register = template.Library()


def _locale() -> str:
    return to_locale(get_language() or "en")


@register.filter
def money(amount: Decimal | None, currency: str = "") -> str:
    """Amount with its currency, localised, to the currency's minor unit: 'US$1,234.50' / '1.234,50 €'."""
    if amount is None:
        return "—"
    if not currency:
        return format_decimal(amount, locale=_locale())
    # Babel rounds to the currency's ISO minor unit (JPY 0, USD 2, KWD 3).
    return format_currency(amount, currency, locale=_locale())


@register.filter
def number(value) -> str:
    if value is None:
        return "—"
    return format_decimal(value, locale=_locale())


@register.filter
def has_section(nav: list[dict], section: str) -> bool:
    return any(item["section"] == section for item in nav)


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with ``changes`` applied (pagination and sort links keep filters)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()


@register.inclusion_tag("includes/status_badge.html")
def status_badge(status: str, label: str = "") -> dict:
    return {"status": status, "label": label}


@register.filter
def bs(field):
    """Render a form field with the Bootstrap class its widget needs."""
    widget = field.field.widget
    kind = getattr(widget, "input_type", "")
    css = (
        "form-check-input"
        if kind in {"checkbox", "radio"}
        else "form-select"
        if kind == "select"
        else "form-control"
    )
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})
