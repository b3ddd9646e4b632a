"""Money: Decimal amounts with a currency, rounding with an explicit mode, minor units per currency.

Every place that shows, stores or prints an amount rounds it here (half-up unless a mode is
named), so the screen, the JSON of the commands and the exports agree to the last minor unit.
"""

from __future__ import annotations

import copy
import datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import NamedTuple

from babel import Locale
from babel.numbers import format_decimal, get_currency_name, get_territory_currencies
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext as _

from prm.lib.countries import country_codes
from prm.workflow import DomainError

# Model field precision for amounts, used by every app.
AMOUNT_DIGITS = 18
AMOUNT_DECIMALS = 4
# Exchange rates: 12 decimal places keep 9+ significant digits for rates like JPY -> KWD (0.002...).
RATE_DIGITS = 24
RATE_DECIMALS = 12

ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}

# ISO 4217 minor units that differ from 2.
_MINOR_UNITS = {
    "BHD": 3,
    "CLF": 4,
    "CLP": 0,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KRW": 0,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "PYG": 0,
    "TND": 3,
    "UGX": 0,
    "UYW": 4,
    "VND": 0,
    "XAF": 0,
    "XOF": 0,
}  # fmt: skip  (a table of currencies: one per cell reads better than one per line)
# The most decimal places any currency has: what an amount field may accept before its currency is known.
MAX_MINOR_UNITS = max(_MINOR_UNITS.values())


class Money(NamedTuple):
    """An amount and its currency (totals handed to templates and JSON)."""

    amount: Decimal
    currency: str


class MinorUnitsError(DomainError, ValueError):
    """An amount has more decimal places than its currency has minor units (views show the
    message like any refused business action)."""


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


def quantize_money(amount: Decimal, currency: str, rounding: str = "half_up") -> Decimal:
    """Round ``amount`` to the currency's minor unit with the named mode (default half-up)."""
    if rounding not in ROUNDING_MODES:
        raise ValueError(f"Unknown rounding mode {rounding!r}; use one of {sorted(ROUNDING_MODES)}.")
    exponent = Decimal(1).scaleb(-minor_units(currency))
    result = Decimal(amount).quantize(exponent, rounding=ROUNDING_MODES[rounding])
    # -0.001 rounds to "-0.00": a zero has no sign on a screen or in a file.
    return result.copy_abs() if result.is_zero() else result


def format_amount_str(amount: Decimal, currency: str) -> str:
    """Plain string with the currency's minor unit (as in JSON outputs and exports): '1234.50'."""
    return format(quantize_money(amount, currency), "f")


def format_money(amount: Decimal | str | None, currency: str = "") -> str:
    """Amount with its currency in the active language, to the currency's minor unit:
    'US$1,234.50' / '1.234,50 €'; a dash for no amount.

    The amount is rounded by ``quantize_money`` (half-up, like the JSON and the exports) and Babel
    only lays out the digits: left to itself it would round half-even and could differ by a cent.
    """
    locale = Locale.parse(to_locale(get_language() or "en"))
    if amount is None or amount == "":
        return "—"
    if not currency:
        return format_decimal(Decimal(amount), locale=locale)
    digits = minor_units(currency)
    pattern = copy.copy(locale.currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    return pattern.apply(
        quantize_money(Decimal(amount), currency), locale, currency=currency, currency_digits=False
    )


def check_minor_units(amount: Decimal, currency: str) -> Decimal:
    """``amount`` unchanged if it fits the currency's minor unit, else ``MinorUnitsError`` saying
    how many decimals the currency takes (JPY none, KWD three): a typed amount is never rounded
    silently."""
    amount = Decimal(amount)
    if amount != amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP):
        places = minor_units(currency)
        if places == 0:
            raise MinorUnitsError(_("%(currency)s amounts take no decimals.") % {"currency": currency})
        raise MinorUnitsError(
            _("%(currency)s amounts take at most %(n)d decimals.") % {"currency": currency, "n": places}
        )
    return amount


@lru_cache(maxsize=1)
def active_currencies() -> frozenset[str]:
    """ISO 4217 codes that some country uses as legal tender today (CLDR data via Babel): what a
    tenant may choose as its base currency. Historic codes (DEM, FRF) and funds codes are left out."""
    today = datetime.date.today()
    codes: set[str] = set()
    for territory in country_codes():
        codes.update(get_territory_currencies(territory, today, tender=True))
    return frozenset(codes)


def currency_choices(locale: str = "en") -> list[tuple[str, str]]:
    """(code, "EUR — Euro") for every active currency, by code, named in ``locale``."""
    return [
        (code, f"{code} — {get_currency_name(code, locale=locale)}") for code in sorted(active_currencies())
    ]
