"""Computed results as plain JSON values: dataclasses as objects without their raw runs, tuples as lists, floats
checked finite (results.json, report/results/export.py)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

RAW_RUNS = "values"  # a Spread's individual runs: the CSVs have them; the JSON gives medians and spreads


def plain(value: Any) -> Any:
    """Dataclasses as objects (without the raw runs), tuples as lists, floats checked finite."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != RAW_RUNS}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"a computed result is not a finite number: {value}")
    return value
