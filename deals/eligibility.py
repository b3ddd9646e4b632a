"""The tenant's deal eligibility rules (DealSettings): a minimum deal value, the product lines
and the customer countries that may be registered. Checked when a registration is submitted (and
for lines added after approval); every refusal names the rule it breaks."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.utils.translation import gettext as _

from deals.models import DealRegistration, DealSettings
from prm.finance.rates import MissingRate, convert
from prm.lib.money import format_amount_str
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError


def _amount(amount: Decimal, currency: str) -> str:
    return f"{format_amount_str(amount, currency)} {currency}"


def product_line_problems(product_lines: Iterable[str], settings: DealSettings) -> list[str]:
    allowed = list(settings.eligible_product_lines or [])
    refused = sorted({line for line in product_lines if line} - set(allowed)) if allowed else []
    if not refused:
        return []
    return [
        _("%(lines)s cannot be registered (rule: eligible product lines — %(allowed)s).")
        % {"lines": ", ".join(refused), "allowed": ", ".join(allowed)}
    ]


def country_problems(country: str, settings: DealSettings) -> list[str]:
    allowed = list(settings.eligible_countries or [])
    if not allowed or (country or "").upper() in allowed:
        return []
    return [
        _("Customers in %(country)s cannot be registered (rule: eligible customer countries — %(allowed)s).")
        % {"country": country, "allowed": ", ".join(allowed)}
    ]


def minimum_value_problems(
    value: Decimal, currency: str, settings: DealSettings, *, day: datetime.date
) -> list[str]:
    """The deal's value against the minimum (in the base currency), converted at ``day``'s rate."""
    minimum = settings.min_deal_value
    if minimum is None:
        return []
    base = require_tenant().base_currency
    try:
        converted = convert(value, from_currency=currency, to_currency=base, day=day)
    except MissingRate as exc:
        return [
            _("The minimum deal value of %(minimum)s cannot be checked: %(reason)s")
            % {"minimum": _amount(minimum, base), "reason": exc}
        ]
    if converted.amount >= minimum:
        return []
    shown = _amount(value, currency)
    if currency != base:
        shown += f" ({_amount(converted.amount, base)})"
    return [
        _("The deal value %(value)s is below the minimum of %(minimum)s (rule: minimum deal value).")
        % {"value": shown, "minimum": _amount(minimum, base)}
    ]


def require_eligible(registration: DealRegistration, *, day: datetime.date) -> None:
    """Refuse (``DomainError``) a registration that breaks any of the tenant's eligibility rules,
    naming every rule it breaks."""
    settings = DealSettings.objects.first() or DealSettings()
    problems = [
        *minimum_value_problems(registration.value, registration.currency, settings, day=day),
        *product_line_problems(registration.product_lines, settings),
        *country_problems(registration.country, settings),
    ]
    if problems:
        raise DomainError(_("Not eligible for registration:") + " " + " ".join(problems))


def require_eligible_product_lines(product_lines: Iterable[str]) -> None:
    problems = product_line_problems(product_lines, DealSettings.objects.first() or DealSettings())
    if problems:
        raise DomainError(_("Not eligible for registration:") + " " + " ".join(problems))
