from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from django import template
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext as _

from prm.lib.html import sanitize_html
from prm.lib.money import Money, format_money
from prm.reports import query_dict, report_kind, report_params
from prm.roles import Perm, membership_has

register = template.Library()


def _locale() -> str:
    return to_locale(get_language() or "en")


@register.filter
def money(amount: Decimal | str | None, currency: str = "") -> str:
    """Amount with its currency, localised, to the currency's minor unit: 'US$1,234.50' / '1.234,50 €'
    (``prm.lib.money.format_money``)."""
    return format_money(amount, currency)


@register.filter
def moneys(totals: Iterable[Money] | None) -> SafeString | str:
    """Several totals, one per currency (amounts that must not be added up): '€1.00 · $2.00'."""
    items = list(totals or [])
    if not items:
        return "—"
    return format_html_join(
        " · ", '<span class="text-nowrap">{}</span>', ((money(m.amount, m.currency),) for m in items)
    )


@register.filter
def number(value) -> str:
    if value is None:
        return "—"
    return format_decimal(value, locale=_locale())


@register.filter
def cell(value: Any) -> Any:
    """A report table cell: numbers grouped the reader's way, keeping the decimals they carry
    ('12345.50' -> '12,345.50' / '12.345,50'); None as a dash; anything else (dates, text) left
    for the template to render as usual. The downloads keep the raw values."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value.is_finite():
        exponent = value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        fraction = "." + "0" * places if places else ""
        return format_decimal(value, format=f"#,##0{fraction}", locale=_locale(), decimal_quantization=False)
    if isinstance(value, int):
        return format_decimal(value, locale=_locale())
    return value


@register.filter
def cell_class(value: Any) -> str:
    """Numbers right-aligned on one line, short codes and dates ('2026-11', 'D100') on one line."""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return "text-end text-nowrap"
    if isinstance(value, datetime.date) or (isinstance(value, str) and len(value) <= 12 and " " not in value):
        return "text-nowrap"
    return ""


@register.filter
def rate(value) -> str:
    """An exchange rate with every stored decimal that matters (up to 12): '0.002051234567', '150'."""
    if value is None:
        return "—"
    return format_decimal(Decimal(value), format="#,##0.############", locale=_locale())


@register.filter
def rich_text(value: str | None) -> SafeString:
    """Rich text people typed, cleaned to the allow-list of ``prm.lib.html`` (again, whatever was
    stored) and marked safe."""
    return mark_safe(sanitize_html(value or ""))


@register.filter
def setting_value(value) -> str:
    """A setting's current value for the settings overview: numbers localised, yes/no for flags."""
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, (int, Decimal)):
        return format_decimal(value, locale=_locale())
    if value in (None, ""):
        return "—"
    return str(value)


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
        else "form-control form-control-color"
        if kind == "color"
        else "form-control"
    )
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})


@register.filter
def may(membership, perm: str) -> bool:
    """``{% if request.membership|may:"pos.upload" %}``: a link or button is shown only to members
    who may use it (the same answer as the view's ``portal_view``), never one that answers 403."""
    return membership_has(membership, Perm(perm))


@register.inclusion_tag("scheduled_reports/_button.html", takes_context=True)
def schedule_button(context, report_key: str) -> dict:
    """ "Schedule this report": a link to the schedule form carrying the page's current filters,
    for members who may schedule and see the report."""
    request = context.get("request")
    membership = getattr(request, "membership", None)
    kind = report_kind(report_key)
    if request is None or kind is None:
        return {"schedule_url": ""}
    if not (membership_has(membership, Perm.REPORT_SCHEDULE) and membership_has(membership, kind.perm)):
        return {"schedule_url": ""}
    query = query_dict({"report": kind.key, **report_params(request.GET)}).urlencode()
    return {"schedule_url": f"{reverse('scheduled_reports:new')}?{query}"}
