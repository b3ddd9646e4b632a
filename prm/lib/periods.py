"""Calendar periods (DOMAIN.md: explicit start and end dates, inclusive; the helpers exist once)."""

from __future__ import annotations

import datetime


def quarter(day: datetime.date, back: int = 0) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the calendar quarter ``back`` quarters before the one holding ``day``."""
    index = (day.year * 4 + (day.month - 1) // 3) - back
    year, q = divmod(index, 4)
    start = datetime.date(year, q * 3 + 1, 1)
    end = datetime.date(year + (q == 3), (q * 3 + 3) % 12 + 1, 1) - datetime.timedelta(days=1)
    return start, end


def quarter_label(day: datetime.date) -> str:
    """``2026-Q1`` for any day of the first quarter of 2026."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` months after (negative: before) the one holding ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)
