"""Colours of a tenant's branding: a text colour that reads on a background, darker shades.

The tenant picks its colours freely (validated hex); the portal derives what must stay legible
(WCAG 2 contrast) instead of trusting every pick to suit white text.
"""

from __future__ import annotations

import re

HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
LIGHT_TEXT = "#ffffff"
DARK_TEXT = "#212529"
DEFAULT_COLOUR = "#0d6efd"


def valid_colour(value: str, default: str = DEFAULT_COLOUR) -> str:
    """``value`` when it is a six-digit hex colour (anything else never reaches a stylesheet)."""
    return value.lower() if HEX_COLOUR.fullmatch(value or "") else default


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = valid_colour(colour)
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance, 0 (black) to 1 (white)."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_on(background: str) -> str:
    """White or near-black, whichever contrasts more with ``background``."""
    if contrast_ratio(background, LIGHT_TEXT) >= contrast_ratio(background, DARK_TEXT):
        return LIGHT_TEXT
    return DARK_TEXT


def shade(colour: str, amount: float) -> str:
    """``colour`` mixed with black by ``amount`` (0-1): hover and pressed states of a button."""
    return "#" + "".join(f"{round(v * (1 - amount)):02x}" for v in _rgb(colour))
