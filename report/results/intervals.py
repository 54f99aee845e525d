"""Bootstrap confidence intervals for medians and for ratios of medians (scipy.stats.bootstrap).

Seeded, so the same runs always give the same interval and the PDF stays byte-identical. The percentile method:
with the few runs a benchmark has (2 to 5 per figure), BCa's acceleration estimate is degenerate, and the
percentile interval of a median never leaves the runs' own range.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from scipy import stats as sps  # type: ignore[import-untyped]

CONFIDENCE = 0.95
RESAMPLES = 2000
SEED = 20261206  # fixed: the same runs always give the same interval


@functools.lru_cache(maxsize=4096)
def _cached(values: tuple[float, ...], seed: int) -> tuple[float, float]:
    return _median_interval(values, seed)


def median_interval(values: Sequence[float], seed: int = SEED) -> tuple[float, float]:
    """The 95% bootstrap interval of the median of `values` (one value: that value, twice); the same runs are
    bootstrapped once per process."""
    return _cached(tuple(float(v) for v in values), seed)


def _median_interval(values: Sequence[float], seed: int) -> tuple[float, float]:
    data = np.asarray(values, dtype=float)
    if len(data) < 2 or float(data.min()) == float(data.max()):
        return float(np.median(data)), float(np.median(data))
    res = sps.bootstrap(
        (data,),
        np.median,
        confidence_level=CONFIDENCE,
        n_resamples=RESAMPLES,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def ratio_interval(top: Sequence[float], bottom: Sequence[float], seed: int = SEED) -> tuple[float, float]:
    """The 95% bootstrap interval of median(top) ÷ median(bottom), the two resampled independently."""
    a, b = np.asarray(top, dtype=float), np.asarray(bottom, dtype=float)
    point = float(np.median(a) / np.median(b))
    if (len(a) < 2 or a.min() == a.max()) and (len(b) < 2 or b.min() == b.max()):
        return point, point

    def statistic(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.asarray(np.median(x, axis=axis) / np.median(y, axis=axis))

    res = sps.bootstrap(
        (a, b),
        statistic,
        confidence_level=CONFIDENCE,
        n_resamples=RESAMPLES,
        method="percentile",
        paired=False,
        vectorized=True,
        rng=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)
