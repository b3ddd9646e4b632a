"""Intervals, percentiles and shrinkage against hand-computed values."""

from __future__ import annotations

import pytest

from insights import stats


def test_wilson_interval_of_8_out_of_10():
    interval = stats.wilson(8, 10)
    assert interval.rate == 0.8
    assert interval.low == pytest.approx(0.4902, abs=1e-4)
    assert interval.high == pytest.approx(0.9433, abs=1e-4)


def test_wilson_without_trials_is_empty_and_zero_of_n_starts_at_zero():
    assert stats.wilson(0, 0).low is None
    interval = stats.wilson(0, 5)
    assert interval.low == 0.0 and interval.high == pytest.approx(0.4345, abs=1e-4)


def test_mid_rank_percentile():
    assert stats.percentile_of(3, [1, 2, 3, 3, 5]) == pytest.approx(60.0)
    assert stats.percentile_of(5, [1, 2, 3, 3, 5]) == pytest.approx(90.0)
    assert stats.percentile_of(None, [1, 2]) is None


def test_three_wins_out_of_three_is_not_a_certainty():
    # Prior 0.5, k = 10: (3 + 5) / 13.
    assert stats.shrunk_rate(3, 3, 0.5) == pytest.approx(8 / 13)
    assert stats.shrunk_rate(0, 3, 0.5) == pytest.approx(5 / 13)


def test_non_overlapping_intervals_mean_significantly_lower():
    assert stats.significantly_lower(stats.wilson(0, 10), stats.wilson(10, 10))
    assert not stats.significantly_lower(stats.wilson(1, 3), stats.wilson(2, 3))
