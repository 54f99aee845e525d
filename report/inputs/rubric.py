"""The scoring rubric (data/rubric.yaml) and the arithmetic that turns scores into results."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from report.errors import BuildError, Problem
from report.inputs.validation import StackId, Strict, Text, format_loc
from report.inputs.yaml_model import load_model

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
    """One stack's score on one criterion, with the evidence behind it (computed when the criterion is measured)."""

    score: int | None = None
    evidence: Annotated[str, Field(min_length=1, max_length=600)]


class ScoreFrom(Strict):
    """A criterion whose levels are measurable: the evidence measure and the bound that reaches each level."""

    measure: StackId
    better: Literal["lower", "higher"]
    # level -> bound. better: lower — a value below the bound reaches the level; higher — a value at or above it.
    # Every level above the scale's minimum has one; a value that reaches none scores the minimum.
    thresholds: dict[int, Annotated[float, Field(allow_inf_nan=False)]]
    unit: Annotated[str, Field(max_length=20)] | None = None  # the unit the bounds are in; must match evidence.csv
    # A value within this share of a bound reaches it: no knife edge (a 10.0041 MiB binary is "under 10 MiB" within
    # 5%), as measured areas tie within their noise.
    tie_margin: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.0

    def level(self, value: float, scale: Scale) -> int:
        """The highest level whose bound the value reaches, within the tie margin."""
        m = self.tie_margin
        reached = [
            level
            for level, bound in self.thresholds.items()
            if (value < bound * (1 + m) if self.better == "lower" else value >= bound * (1 - m))
        ]
        return max(reached, default=scale.min)

    def levels(self, values: Mapping[str, float], scale: Scale) -> dict[str, int]:
        """Each stack's level: the bound its value reaches, raised to the level of any stack whose value it lies
        within the tie margin of (1.0% apart is not a lesser artifact, whichever side of a bound each falls). No
        chains: a stack takes only the levels its own value ties with."""
        base = {sid: self.level(v, scale) for sid, v in values.items()}
        return {
            sid: max([base[sid], *(base[t] for t in values if self.ties(v, values[t]))]) for sid, v in values.items()
        }

    def ties(self, value: float, other: float) -> bool:
        """Whether `value` lies within the tie margin of `other` on the worse side (or is better)."""
        m = self.tie_margin
        return value <= other * (1 + m) if self.better == "lower" else value >= other * (1 - m)

    def margin_note(self, value: float, unit: str, scale: Scale, values: Mapping[str, float] | None = None) -> str:
        """When a margin decides `value`'s level, a clause that says so, else empty: a tie with another stack's value
        that reaches a higher level (`values`, as `levels` ties them), the bound reached only within the margin
        ("104.2 MiB is within 5% of the 100 MiB bound"), or the next level's margin missed by less than the margin."""
        own = self.level(value, scale)
        margin = f"{self.tie_margin:.0%}"
        others = [v for v in (values or {}).values() if self.level(v, scale) > own and self.ties(value, v)]
        if others:
            other = min(others, key=lambda v: (-self.level(v, scale), v))
            level = self.level(other, scale)
            return (
                f"{value:.1f} {unit} is within {margin} of another stack's {other:.1f} {unit}, which reaches "
                f"{level}: a tie, so it scores {level} too."
            )
        bound = self.thresholds.get(own)
        strictly = bound is not None and (value < bound if self.better == "lower" else value >= bound)
        if bound is not None and not strictly:
            return f"{value:.1f} {unit} is within {margin} of the {bound:g} {unit} bound, so it reaches {own}."
        # a value just beyond the next level's margin is a knife edge of its own: say by how much it missed
        above = self.thresholds.get(own + 1)
        if above is None or not self.tie_margin:
            return ""
        edge = above * (1 + self.tie_margin) if self.better == "lower" else above * (1 - self.tie_margin)
        miss = abs(value - edge)
        if miss >= above * self.tie_margin:
            return ""
        missed = f"misses the {above:g} {unit} bound's {margin} margin by {miss:.1f} {unit}"
        return f"{value:.1f} {unit} {missed}, so it stays at {own}."


class Criterion(Strict):
    """One thing a category is judged on."""

    id: StackId
    title: Text
    weight: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    levels: dict[int, Text]
    scores: dict[str, StackScore]
    measures: list[StackId] = Field(default_factory=list)
    score_from: ScoreFrom | None = None
    # The measures decide the score: stacks with identical measured evidence must score the same. False only where
    # the measures are context shown beside a judgement they do not make (e.g. maturity, judged from the docs).
    evidence_decides: bool = True


class Category(Strict):
    """A scored area of the report, e.g. OTel integration complexity."""

    id: StackId
    title: Text
    summary: Text | None = None
    need: Text | None = None  # the "Which to choose when" row, e.g. "Simplest OpenTelemetry setup"
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


Evidence = Mapping[tuple[str, str], tuple[float, str]]  # (stack, measure) -> (value, unit), from evidence.csv


def load_rubric(
    data_dir: Path,
    shown_dir: str,
    stack_ids: Sequence[str] | None,
    measures: Mapping[str, set[str]] | None = None,
    evidence: Evidence | None = None,
    *,
    evidence_complete: bool = True,
) -> tuple[Rubric | None, list[Problem]]:
    """Read rubric.yaml and check it against the stacks and the evidence; measured criteria get their scores.

    A criterion with `score_from` is scored from its measure: a score left out is computed, a typed score that
    disagrees with the measure is an error, so no score can contradict the evidence printed beside it.
    `evidence_complete=False` says evidence.csv had rows that could not be read (already reported): what is not in
    `evidence` may be in them, so nothing is reported as missing from it, and no rubric is returned while a score
    it should compute is unknown.
    """
    shown = f"{shown_dir}/rubric.yaml"
    rubric, lines, problems = load_model(data_dir / "rubric.yaml", shown, Rubric)
    if rubric is None:
        return None, problems

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
                if entry.score is None and criterion.score_from is None:
                    add((*base, "scores", sid, "score"), "this required key is missing")
                elif entry.score is not None and not scale.min <= entry.score <= scale.max:
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
                if measures is not None and evidence_complete and measure not in measures:
                    known = ", ".join(sorted(measures)) or "none (there is no evidence.csv)"
                    add((*base, "measures", mi), f"unknown measure '{measure}'; evidence.csv has: {known}")
            if criterion.score_from is not None:
                _check_score_from(
                    criterion, criterion.score_from, base, scale, measures, evidence, evidence_complete, add
                )
            elif criterion.evidence_decides and criterion.measures and evidence:
                _check_same_evidence_same_score(criterion, base, evidence, add)
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
    if problems:
        return None, problems
    scored = _with_measured_scores(rubric, evidence or {})
    if any(e.score is None for c in scored.categories for k in c.criteria for e in k.scores.values()):
        return None, problems  # evidence.csv's refused rows, reported with that file, hold the missing values
    return scored, problems


def _check_score_from(
    criterion: Criterion,
    rule: ScoreFrom,
    base: tuple[str | int, ...],
    scale: Scale,
    measures: Mapping[str, set[str]] | None,
    evidence: Evidence | None,
    complete: bool,
    add: Callable[[tuple[str | int, ...], str], None],
) -> None:
    where = (*base, "score_from")
    wanted = list(range(scale.min + 1, scale.max + 1))
    if sorted(rule.thresholds) != wanted:
        add(
            (*where, "thresholds"),
            f"expected a bound for each level from {wanted[0]} to {wanted[-1]}, found levels "
            f"{', '.join(map(str, sorted(rule.thresholds))) or 'none'}",
        )
        return
    bounds = [rule.thresholds[level] for level in wanted]
    ordered = all(a > b for a, b in itertools.pairwise(bounds))
    if rule.better == "higher":
        ordered = all(a < b for a, b in itertools.pairwise(bounds))
    if not ordered:
        direction = "fall" if rule.better == "lower" else "rise"
        add((*where, "thresholds"), f"expected bounds that {direction} as the level rises (better: {rule.better})")
        return
    # without an evidence.csv (sample data) the typed scores stand; with one, the measure must be in it
    if measures and rule.measure not in measures:
        if complete:
            known = ", ".join(sorted(measures)) or "none (there is no evidence.csv)"
            add((*where, "measure"), f"unknown measure '{rule.measure}'; evidence.csv has: {known}")
        return
    values = evidence or {}
    has = [sid for sid in criterion.scores if (sid, rule.measure) in values]
    tied = rule.levels({sid: values[(sid, rule.measure)][0] for sid in has}, scale)
    for sid, entry in criterion.scores.items():
        loc = (*base, "scores", sid)
        if (sid, rule.measure) not in values:
            if not complete:
                continue  # the value may be in a refused row
            if has:
                add(
                    loc,
                    f"evidence.csv has {rule.measure} for {', '.join(has)} but not for '{sid}'; "
                    "measure it for every stack or for none",
                )
            elif entry.score is None:
                add((*loc, "score"), f"no score, and evidence.csv has no {rule.measure} to compute it from")
            continue
        value, unit = values[(sid, rule.measure)]
        if rule.unit is not None and unit != rule.unit:
            add((*where, "unit"), f"expected the unit evidence.csv gives {rule.measure}, '{unit}', found '{rule.unit}'")
            return
        level = tied[sid]
        if entry.score is not None and entry.score != level:
            add(
                (*loc, "score"),
                f"expected {level}, the level {rule.measure} = {value:g} {unit} reaches "
                f"('{criterion.levels.get(level, '')}'), found {entry.score}; leave the score out to compute it",
            )


def _check_same_evidence_same_score(
    criterion: Criterion,
    base: tuple[str | int, ...],
    evidence: Evidence,
    add: Callable[[tuple[str | int, ...], str], None],
) -> None:
    """Stacks whose every measure of the criterion is equal must have equal scores."""
    groups: dict[tuple[tuple[float, str], ...], list[str]] = {}
    for sid in criterion.scores:
        if all((sid, m) in evidence for m in criterion.measures):
            groups.setdefault(tuple(evidence[(sid, m)] for m in criterion.measures), []).append(sid)
    for values, sids in groups.items():
        scores = {sid: criterion.scores[sid].score for sid in sids}
        if len(set(scores.values())) > 1:
            said = ", ".join(f"{m} = {v:g} {u}" for m, (v, u) in zip(criterion.measures, values, strict=True))
            found = ", ".join(f"{sid} {score}" for sid, score in scores.items())
            add(
                (*base, "scores"),
                f"expected one score for stacks with identical measured evidence ({said}), found {found}; "
                "score them alike, or set evidence_decides: false if the measures do not decide this criterion",
            )


def _with_measured_scores(rubric: Rubric, evidence: Evidence) -> Rubric:
    """The rubric with every measured criterion's scores computed from the evidence."""
    categories = []
    for category in rubric.categories:
        criteria = []
        for criterion in category.criteria:
            rule = criterion.score_from
            if rule is not None:
                values = {
                    sid: evidence[(sid, rule.measure)][0] for sid in criterion.scores if (sid, rule.measure) in evidence
                }
                levels = rule.levels(values, rubric.scale)
                scores = {sid: entry for sid, entry in criterion.scores.items() if sid not in levels}
                for sid, level in levels.items():
                    entry, unit = criterion.scores[sid], evidence[(sid, rule.measure)][1]
                    # when a margin decided the level, the evidence says so
                    note = rule.margin_note(values[sid], unit, rubric.scale, values)
                    evidence_text = f"{entry.evidence} {note}" if note else entry.evidence
                    scores[sid] = entry.model_copy(update={"score": level, "evidence": evidence_text})
                scores = {sid: scores[sid] for sid in criterion.scores}  # the rubric's order
                criterion = criterion.model_copy(update={"scores": scores})
            criteria.append(criterion)
        categories.append(category.model_copy(update={"criteria": criteria}))
    return rubric.model_copy(update={"categories": categories})


def score_of(entry: StackScore) -> int:
    """A resolved score: load_rubric computes every measured one, and returns no rubric while one is unknown."""
    if entry.score is None:
        raise BuildError("a measured score was read before load_rubric computed it from evidence.csv")
    return entry.score


@dataclass(frozen=True)
class CategoryResult:
    """Weighted score per stack for one category."""

    id: str
    title: str
    scores: dict[str, float]
    need: str | None = None  # the rubric's "Which to choose when" wording, e.g. "Simplest deployment"


def category_scores(rubric: Rubric, stack_ids: Sequence[str]) -> list[CategoryResult]:
    """Weighted sum of criterion scores, per category and stack."""
    results = []
    for category in rubric.categories:
        scores = {sid: sum(c.weight * score_of(c.scores[sid]) for c in category.criteria) for sid in stack_ids}
        results.append(CategoryResult(category.id, category.title, scores, category.need))
    return results


def overall_scores(area_scores: Mapping[str, Mapping[str, float]], weights: Mapping[str, float]) -> dict[str, float]:
    """Weighted sum over areas, per stack."""
    stacks = next(iter(area_scores.values())).keys()
    return {sid: sum(weights[a] * area_scores[a][sid] for a in weights) for sid in stacks}
