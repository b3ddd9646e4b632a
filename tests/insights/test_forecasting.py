"""Sell-out forecasting: the model wins on trend + seasonality, the baseline on noise."""

from __future__ import annotations

import math
import random

from insights.forecasting import forecast_series, seasonal_naive


def seasonal_history(months: int = 36, seed: int = 1) -> list[float]:
    r = random.Random(seed)
    return [1000 + 20 * t + 300 * math.sin(2 * math.pi * t / 12) + r.gauss(0, 20) for t in range(months)]


def noise_history(months: int = 36, seed: int = 0) -> list[float]:
    r = random.Random(seed)
    return [1000 + r.gauss(0, 100) for _ in range(months)]


def test_trend_and_seasonality_model_beats_seasonal_naive_and_is_chosen():
    result = forecast_series(seasonal_history())
    assert result.spec == "seasonal"
    assert result.mase is not None and result.mase < 1
    assert result.method == "model"
    # The forecast follows the seasonal shape: month 36 is a season start (sin = 0, trend +720).
    assert abs(result.values[0] - (1000 + 20 * 36)) < 100
    assert all(lo < v < hi for lo, v, hi in zip(result.lower, result.values, result.upper, strict=True))
    # The interval widens with the horizon.
    assert result.upper[5] - result.lower[5] > result.upper[0] - result.lower[0]


def test_pure_noise_baseline_is_chosen_and_said_so():
    result = forecast_series(noise_history())
    assert result.mase is not None and result.mase >= 1
    assert result.method == "baseline"
    assert result.note == "model did not beat the baseline"
    history = noise_history()
    # Seasonal naive: the forecast for month 36 is month 24's value.
    assert result.values[0] == history[24]


def test_under_24_months_fits_a_trend_only_model():
    result = forecast_series(seasonal_history(months=20))
    assert result.spec == "trend"


def test_too_little_history_shows_the_baseline():
    result = forecast_series([100.0, 110.0, 120.0, 130.0, 140.0])
    assert result.method == "baseline" and result.mase is None
    assert result.note == "too little history"
    assert result.values[0] == 140.0  # last month (no same month last year)


def test_seasonal_naive_uses_same_month_last_year_else_last_month():
    history = [float(i) for i in range(14)]
    assert seasonal_naive(history, 14) == 2.0
    assert seasonal_naive(history[:5], 5) == 4.0
