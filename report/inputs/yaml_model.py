"""One YAML input file into one validated pydantic model, every problem reported as file:line (used by
report/inputs/config.py, report/inputs/rubric.py and report/inputs/data.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from report.errors import Problem
from report.inputs.validation import LineMap, load_yaml, translate

M = TypeVar("M", bound=BaseModel)


def load_model(path: Path, shown: str, model: type[M]) -> tuple[M | None, LineMap, list[Problem]]:
    """Parse `path` safely and validate it as `model`: the model (None when it cannot be built), each key's line,
    and the problems found (a model can come with problems, such as a duplicate key, that its caller reports)."""
    raw, lines, problems = load_yaml(path, shown)
    if raw is None:
        return None, lines, problems
    if not isinstance(raw, dict):
        return None, lines, [*problems, Problem(shown, 1, "", "expected a mapping of keys at the top of the file")]
    try:
        return model.model_validate(raw), lines, problems
    except ValidationError as exc:
        return None, lines, [*problems, *translate(exc, shown, model, lines.line_for)]
