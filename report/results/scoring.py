"""Measured areas turned into scores, and how robust the overall ranking is to its weights.

The transform: a stack that ties with the best stack scores the maximum (the report's tie rule, report/claims.py,
so noise cannot cost points); any other stack loses one point for every doubling of the gap to the best
(max − log2(ratio)), down to the scale's minimum. A ratio travels better than an absolute figure, a log ratio treats
"twice as slow" the same in every area, and a 40× gap cannot swamp the other areas by more than the scale allows.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from report.inputs.rubric import Scale
from report.results.claims import overlaps, standing
from report.results.stats import Spread

POINTS_PER_DOUBLING = 1.0
SAMPLES = 1000
SEED = 20261129  # fixed: the same data always gives the same robustness figures


def measured_scores(spreads: Mapping[str, Spread], lower_is_better: bool, scale: Scale) -> dict[str, float]:
    """Tie with the best → the maximum; otherwise the maximum less a point per doubling of the gap."""
    best = spreads[standing(spreads, lower_is_better).best]
    out: dict[str, float] = {}
    for sid, s in spreads.items():
        if overlaps(best, s):
            out[sid] = float(scale.max)
            continue
        times = s.median / best.median if lower_is_better else best.median / s.median
        out[sid] = max(float(scale.min), scale.max - POINTS_PER_DOUBLING * math.log2(times))
    return out


@dataclass(frozen=True)
class Robustness:
    """How often each stack comes first over random weightings of the areas, and where its wins lie."""

    samples: int
    seed: int
    wins: dict[str, float]  # share of weightings each stack comes first in (ties split)
    # the area weighted most, on average, in the weightings the stack wins; "" when it wins none, or most (then
    # no single area explains its wins)
    leaning: dict[str, str]


def robustness(
    area_scores: Mapping[str, Mapping[str, float]],
    stack_ids: Sequence[str],
    samples: int = SAMPLES,
    seed: int = SEED,
) -> Robustness:
    """Draw weightings uniformly from the simplex (a flat Dirichlet) and count who comes first in each."""
    areas = list(area_scores)
    rng = random.Random(seed)
    wins = dict.fromkeys(stack_ids, 0.0)
    weight_sums = {sid: dict.fromkeys(areas, 0.0) for sid in stack_ids}
    for _ in range(samples):
        draws = [-math.log(1.0 - rng.random()) for _ in areas]
        total = sum(draws)
        weights = {a: d / total for a, d in zip(areas, draws, strict=True)}
        overall = {sid: sum(weights[a] * area_scores[a][sid] for a in areas) for sid in stack_ids}
        top = max(overall.values())
        first = [sid for sid in stack_ids if math.isclose(overall[sid], top, abs_tol=1e-9)]
        for sid in first:
            wins[sid] += 1 / len(first)
            for a in areas:
                weight_sums[sid][a] += weights[a] / len(first)
    # a stack that wins most weightings leans on none in particular: the area is named only for the others
    leaning = {
        sid: (max(areas, key=lambda a: weight_sums[sid][a]) if 0 < wins[sid] < samples / 2 else "") for sid in stack_ids
    }
    return Robustness(samples, seed, {sid: wins[sid] / samples for sid in stack_ids}, leaning)
