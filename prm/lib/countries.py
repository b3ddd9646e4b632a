"""Countries: the ISO 3166-1 alpha-2 codes (from CLDR, through Babel) that a rule may name."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    """Two-letter country codes (CLDR's numeric region codes such as 001 are left out)."""
    return frozenset(
        code
        for code in Locale("en").territories
        if isinstance(code, str) and len(code) == 2 and code.isalpha()
    )
