"""The scoring rubric (data/rubric.yaml) and the arithmetic that turns scores into results."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, model_validator

from report.errors import Problem
from report.validation import StackId, Strict, Text, format_loc, load_yaml, translate

MEASURED_AREAS = ("startup", "memory", "throughput")
WEIGHT_TOLERANCE = 1e-6


class Scale(Strict):
    """The range every score lies in."""

    min: int
    max: int

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.max <= self.min:
            raise ValueError(f"expected max to be greater than min, found min {self.min} and max {self.max}")
        return self


class StackScore(Strict):
    """One stack's score on one criterion, with the evidence behind it."""

    score: int
    evidence: Annotated[str, Field(min_length=1, max_length=600)]


class Criterion(Strict):
    """One thing a category is judged on."""

    id: StackId
    title: Text
    weight: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    levels: dict[int, Text]
    scores: dict[str, StackScore]
    measures: list[StackId] = Field(default_factory=list)


class Category(Strict):
    """A scored area of the report, e.g. OTel integration complexity."""

    id: StackId
    title: Text
    summary: Text | None = None
    criteria: Annotated[list[Criterion], Field(min_length=1)]


class Rubric(Strict):
    """The whole of rubric.yaml."""

    scale: Scale
    overall: dict[str, Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]] | None = None
    categories: Annotated[list[Category], Field(min_length=1)]

    def area_weights(self) -> dict[str, float]:
        """Weights of the overall score: as written, or equal across every area."""
        if self.overall is not None:
            return dict(self.overall)
        areas = [*MEASURED_AREAS, *(c.id for c in self.categories)]
        return {a: 1 / len(areas) for a in areas}


def load_rubric(
    data_dir: Path, shown_dir: str, stack_ids: Sequence[str] | None, measures: Mapping[str, set[str]] | None = None
) -> tuple[Rubric | None, list[Problem]]:
    """Read rubric.yaml and check it against the stacks (and the evidence measures, when there are any)."""
    shown = f"{shown_dir}/rubric.yaml"
    raw, lines, problems = load_yaml(data_dir / "rubric.yaml", shown)
    if raw is None:
        return None, problems
    if not isinstance(raw, dict):
        return None, [*problems, Problem(shown, 1, "", "expected a mapping of keys at the top of the file")]
    try:
        rubric = Rubric.model_validate(raw)
    except ValidationError as exc:
        return None, [*problems, *translate(exc, shown, Rubric, lines.line_for)]

    def add(loc: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(shown, lines.line_for(loc), format_loc(loc), message))

    scale = rubric.scale
    category_ids = [c.id for c in rubric.categories]
    for cid in sorted({c for c in category_ids if category_ids.count(c) > 1}):
        add(("categories",), f"each category id must appear once; repeated: {cid}")
    for ci, category in enumerate(rubric.categories):
        total = sum(c.weight for c in category.criteria)
        if not math.isclose(total, 1.0, abs_tol=WEIGHT_TOLERANCE):
            add(("categories", ci, "criteria"), f"expected the criteria weights to add up to 1, found {total:g}")
        criterion_ids = [c.id for c in category.criteria]
        for cid in sorted({c for c in criterion_ids if criterion_ids.count(c) > 1}):
            add(("categories", ci, "criteria"), f"each criterion id must appear once; repeated: {cid}")
        for ki, criterion in enumerate(category.criteria):
            base = ("categories", ci, "criteria", ki)
            for level in criterion.levels:
                if not scale.min <= level <= scale.max:
                    add((*base, "levels", level), f"expected a score from {scale.min} to {scale.max}, found {level}")
            for missing in range(scale.min, scale.max + 1):
                if missing not in criterion.levels:
                    add((*base, "levels"), f"expected a meaning for every score; score {missing} has none")
            for sid, entry in criterion.scores.items():
                if not scale.min <= entry.score <= scale.max:
                    add(
                        (*base, "scores", sid, "score"),
                        f"expected a score from {scale.min} to {scale.max}, found {entry.score}",
                    )
                if stack_ids is not None and sid not in stack_ids:
                    add(
                        (*base, "scores", sid),
                        f"unknown stack '{sid}'; expected one of the ids in report.yaml: {', '.join(stack_ids)}",
                    )
            for sid in stack_ids or ():
                if sid not in criterion.scores:
                    add((*base, "scores"), f"stack '{sid}' has no score; every stack needs one")
            for mi, measure in enumerate(criterion.measures):
                if measures is not None and measure not in measures:
                    known = ", ".join(sorted(measures)) or "none (there is no evidence.csv)"
                    add((*base, "measures", mi), f"unknown measure '{measure}'; evidence.csv has: {known}")
    if rubric.overall is not None:
        areas = [*MEASURED_AREAS, *category_ids]
        for area in rubric.overall:
            if area not in areas:
                add(("overall", area), f"unknown area; expected one of: {', '.join(areas)}")
        for area in areas:
            if area not in rubric.overall:
                add(("overall",), f"area '{area}' has no weight; give it one (0 leaves it out)")
        total = sum(rubric.overall.values())
        if not math.isclose(total, 1.0, abs_tol=WEIGHT_TOLERANCE):
            add(("overall",), f"expected the area weights to add up to 1, found {total:g}")
    return (None if problems else rubric), problems


@dataclass(frozen=True)
class CategoryResult:
    """Weighted score per stack for one category."""

    id: str
    title: str
    scores: dict[str, float]


def category_scores(rubric: Rubric, stack_ids: Sequence[str]) -> list[CategoryResult]:
    """Weighted sum of criterion scores, per category and stack."""
    results = []
    for category in rubric.categories:
        scores = {sid: sum(c.weight * c.scores[sid].score for c in category.criteria) for sid in stack_ids}
        results.append(CategoryResult(category.id, category.title, scores))
    return results


def relative_score(value: float, best: float, lower_is_better: bool, scale: Scale) -> float:
    """Map a measured value onto the rubric scale relative to the best stack (best = max)."""
    ratio = best / value if lower_is_better else value / best
    return scale.min + (scale.max - scale.min) * ratio


def overall_scores(area_scores: Mapping[str, Mapping[str, float]], weights: Mapping[str, float]) -> dict[str, float]:
    """Weighted sum over areas, per stack."""
    stacks = next(iter(area_scores.values())).keys()
    return {sid: sum(weights[a] * area_scores[a][sid] for a in weights) for sid in stacks}
