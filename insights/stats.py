"""The statistics behind forecasts and benchmarks, as plain functions of numbers (no queries).

* Win probability with empirical-Bayes shrinkage (beta-binomial): ``p = (wins + k * prior) /
  (decided + k)``, the prior being the next level up (partner and product line -> the partner's
  tier -> the tenant). ``k`` (``PRIOR_STRENGTH``) is the weight of the prior in "deals": with k =
  10 a partner needs about ten decided deals before its own record counts as much as its tier's.
* Slippage: the partner's median (actual close - expected close, in days), shrunk toward the
  tenant's median the same way with ``SLIP_STRENGTH`` deals.
* Wilson score interval (95 %) for rates; rankings use its lower bound.
* Percentile within a peer group: the mid-rank percentile, 100 * (below + equal / 2) / n.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

PRIOR_STRENGTH = 10  # k of the win-probability shrinkage, in decided deals
SLIP_STRENGTH = 5  # k of the slippage shrinkage, in closed deals
TENANT_PRIOR = 0.5  # the tenant's own rate is shrunk toward an even chance (Laplace: k = 2)
Z95 = 1.959963984540054


def shrunk_rate(successes: int, trials: int, prior: float, k: float = PRIOR_STRENGTH) -> float:
    """Beta-binomial posterior mean: ``(successes + k * prior) / (trials + k)``."""
    return (successes + k * prior) / (trials + k)


def shrunk_value(own: float | None, n: int, prior: float, k: float = SLIP_STRENGTH) -> float:
    """A mean-like figure of ``n`` observations pulled toward ``prior``: ``(n * own + k * prior) / (n + k)``."""
    if own is None or n <= 0:
        return prior
    return (n * own + k * prior) / (n + k)


@dataclass(frozen=True)
class Interval:
    rate: float | None
    low: float | None
    high: float | None
    successes: int
    trials: int


def wilson(successes: int, trials: int, z: float = Z95) -> Interval:
    """The Wilson score interval of ``successes`` out of ``trials`` (None without trials)."""
    if trials <= 0:
        return Interval(None, None, None, successes, trials)
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half), successes, trials)


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile_of(value: float | None, population: Sequence[float]) -> float | None:
    """Mid-rank percentile of ``value`` among ``population`` (which includes it): the share of
    values below it plus half of those equal to it, in per cent."""
    if value is None or not population:
        return None
    below = sum(1 for v in population if v < value)
    equal = sum(1 for v in population if v == value)
    return 100.0 * (below + equal / 2) / len(population)


def significantly_lower(recent: Interval, before: Interval) -> bool:
    """Whether the recent rate is lower than the earlier one beyond noise: the two Wilson
    intervals do not overlap (recent's upper bound below the earlier lower bound)."""
    if recent.high is None or before.low is None:
        return False
    return recent.high < before.low
