"""Money: Decimal amounts with a currency, rounding with an explicit mode, minor units per currency."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

# Model field precision for amounts and rates, used by every app.
AMOUNT_DIGITS = 18
AMOUNT_DECIMALS = 4
RATE_DIGITS = 12
RATE_DECIMALS = 6

ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}

# ISO 4217 minor units that differ from 2.
_MINOR_UNITS = {
    "BHD": 3, "CLP": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3,
    "LYD": 3, "OMR": 3, "PYG": 0, "TND": 3, "UGX": 0, "VND": 0, "XAF": 0, "XOF": 0,
}  # fmt: skip


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


def quantize_money(amount: Decimal, currency: str, rounding: str = "half_up") -> Decimal:
    """Round ``amount`` to the currency's minor unit with the named mode (default half-up)."""
    if rounding not in ROUNDING_MODES:
        raise ValueError(f"Unknown rounding mode {rounding!r}; use one of {sorted(ROUNDING_MODES)}.")
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return amount.quantize(exponent, rounding=ROUNDING_MODES[rounding])


def format_amount_str(amount: Decimal, currency: str) -> str:
    """Plain string with the currency's minor unit (as in JSON outputs): '1234.50'."""
    return str(quantize_money(amount, currency))
