"""Sell-out forecasting of one monthly series: exponential smoothing (statsmodels) against the
seasonal-naive baseline, with an honest backtest deciding which one is shown.

* Model: Holt-Winters ``ExponentialSmoothing`` with an additive trend, and an additive seasonal
  component of period 12 when the series the model is fitted on holds at least 24 months
  (two full seasons); otherwise trend only.
* Baseline (seasonal naive): the same month a year earlier; without one, the last month known.
* Backtest: both are fitted on the history before the last ``BACKTEST_MONTHS`` complete months and
  forecast them. MASE here = the model's mean absolute error over those months divided by the
  baseline's over the same months, so MASE < 1 means the model beat the baseline.
* Pattern: three months are few, and on a history of pure noise a smoothing model beats the
  seasonal-naive baseline about two times in three by luck. So the model must also find a
  pattern: its AIC on the training months (statsmodels' definition, which counts the initial
  states and smoothing weights as parameters) must be lower than that of a flat average of the
  same months (one parameter). A history that is noise to the model shows the baseline. (AIC,
  not AICc: on a year of history AICc's small-sample penalty refuses even a clear trend.)
* The model is used only when it finds a pattern and MASE < 1; otherwise the baseline is shown
  (and the page says why).
* Interval (95 %): from the standard deviation of the in-sample one-step residuals (the model's,
  or the baseline's own errors), widened with the square root of the horizon for the model and
  the naive baseline (errors of a random walk add up); the seasonal-naive baseline's error does
  not grow within the year. Not simulated: a closed form that the page states.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

BACKTEST_MONTHS = 3
MIN_MODEL_MONTHS = 6  # the fewest months a trend model is fitted on
SEASON = 12
HORIZON = 6  # months forecast ahead
Z95 = 1.959963984540054
NOTE_SHORT = "too little history"
NOTE_NO_PATTERN = "model found no pattern in the history"
NOTE_BEATEN = "model did not beat the baseline"


@dataclass
class BacktestMonth:
    index: int  # position in the history
    actual: float
    model: float | None
    baseline: float


@dataclass
class SeriesForecast:
    method: str  # "model" | "baseline"
    spec: str  # "seasonal" | "trend" | "" (no model fitted)
    mase: float | None
    backtest: list[BacktestMonth] = field(default_factory=list)
    values: list[float] = field(default_factory=list)  # HORIZON months after the history
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    note: str = ""


def seasonal_naive(history: list[float], index: int) -> float:
    """The baseline for month ``index`` knowing ``history`` (months before it): the same month a
    year earlier, else the last known month."""
    if index - SEASON >= 0 and index - SEASON < len(history):
        return history[index - SEASON]
    return history[-1]


def _spec(n: int) -> str:
    return "seasonal" if n >= 2 * SEASON else "trend"


def _fit(history: list[float], spec: str):  # -> HoltWintersResults
    # Imported here: statsmodels (with pandas and scipy) takes a second to import; only the
    # forecast job needs it, never a page.
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    model = ExponentialSmoothing(
        history,
        trend="add",
        seasonal="add" if spec == "seasonal" else None,
        seasonal_periods=SEASON if spec == "seasonal" else None,
        initialization_method="estimated",
    )
    with warnings.catch_warnings():
        # Convergence chatter on short or flat series: the backtest judges the fit instead.
        warnings.simplefilter("ignore")
        return model.fit()


def _std(errors: list[float]) -> float:
    if len(errors) < 2:
        return 0.0
    mean = sum(errors) / len(errors)
    return math.sqrt(sum((e - mean) ** 2 for e in errors) / (len(errors) - 1))


def _mae(pairs: list[tuple[float, float]]) -> float:
    return sum(abs(a - b) for a, b in pairs) / len(pairs)


def flat_aic(history: list[float]) -> float:
    """AIC of a flat average of ``history`` (one parameter), by the formula statsmodels uses for
    its exponential smoothing results (n ln(SSE / n) + 2k), so the two compare."""
    n, k = len(history), 1
    mean = sum(history) / n
    sse = sum((x - mean) ** 2 for x in history)
    if sse == 0:
        return -math.inf  # a constant history: nothing beats the average
    return n * math.log(sse / n) + 2 * k


def _baseline_forward(history: list[float], horizon: int) -> tuple[list[float], list[float]]:
    """Seasonal-naive values for the months after ``history`` and their interval half-widths."""
    n = len(history)
    extended = list(history)
    for h in range(horizon):
        extended.append(seasonal_naive(extended, n + h))
    values = extended[n:]
    if n > SEASON:
        sigma = _std([history[t] - history[t - SEASON] for t in range(SEASON, n)])
        widths = [Z95 * sigma for _ in range(horizon)]
    else:
        sigma = _std([history[t] - history[t - 1] for t in range(1, n)])
        widths = [Z95 * sigma * math.sqrt(h + 1) for h in range(horizon)]
    return values, widths


def forecast_series(history: list[float], horizon: int = HORIZON) -> SeriesForecast:
    """Backtest, choose and forecast ``horizon`` months after ``history`` (consecutive months
    ending with the last complete one; months without sales are 0)."""
    n = len(history)
    if n == 0:
        return SeriesForecast("baseline", "", None, note="no history")
    backtest: list[BacktestMonth] = []
    mase: float | None = None
    spec = ""
    pattern = False
    train = history[:-BACKTEST_MONTHS]
    if len(train) >= MIN_MODEL_MONTHS:
        spec = _spec(len(train))
        trained = _fit(train, spec)
        pattern = bool(trained.aic < flat_aic(train))
        predicted = [float(v) for v in trained.forecast(BACKTEST_MONTHS)]
        for i in range(BACKTEST_MONTHS):
            index = len(train) + i
            backtest.append(BacktestMonth(index, history[index], predicted[i], seasonal_naive(train, index)))
        model_mae = _mae([(b.actual, b.model or 0.0) for b in backtest])
        baseline_mae = _mae([(b.actual, b.baseline) for b in backtest])
        # An exact baseline: the model can at best tie it, and a tie keeps the baseline.
        mase = model_mae / baseline_mae if baseline_mae > 0 else (math.inf if model_mae > 0 else 1.0)
    elif n > BACKTEST_MONTHS:
        for i in range(BACKTEST_MONTHS):
            index = len(train) + i
            backtest.append(BacktestMonth(index, history[index], None, seasonal_naive(train, index)))

    if mase is not None and mase < 1 and pattern:
        fitted = _fit(history, spec)
        values = [float(v) for v in fitted.forecast(horizon)]
        sigma = _std([float(r) for r in fitted.resid])
        widths = [Z95 * sigma * math.sqrt(h + 1) for h in range(horizon)]
        method, note = "model", ""
    else:
        values, widths = _baseline_forward(history, horizon)
        method = "baseline"
        if mase is None:
            note = NOTE_SHORT
        elif not pattern:
            note = NOTE_NO_PATTERN
        else:
            note = NOTE_BEATEN
    return SeriesForecast(
        method=method,
        spec=spec,
        mase=mase if mase is None or math.isfinite(mase) else None,
        backtest=backtest,
        values=values,
        lower=[v - w for v, w in zip(values, widths, strict=True)],
        upper=[v + w for v, w in zip(values, widths, strict=True)],
        note=note,
    )
