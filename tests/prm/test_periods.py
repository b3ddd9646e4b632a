"""Calendar quarters (prm.lib.periods): bounds across year ends and their labels."""

from __future__ import annotations

import datetime

from prm.lib.periods import quarter, quarter_label


def test_quarter_bounds_including_quarters_back_across_a_year_end():
    assert quarter(datetime.date(2026, 11, 30)) == (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
    assert quarter(datetime.date(2026, 2, 1), 1) == (datetime.date(2025, 10, 1), datetime.date(2025, 12, 31))
    assert quarter(datetime.date(2026, 4, 1)) == (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))


def test_quarter_labels():
    assert [quarter_label(datetime.date(2026, m, 15)) for m in (1, 3, 4, 9, 12)] == [
        "2026-Q1",
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
    ]
