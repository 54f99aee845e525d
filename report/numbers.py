"""Number formatting shared by tables, charts and sentences: consistent decimals per column."""

from __future__ import annotations

from collections.abc import Iterable


def decimals_for(values: Iterable[float]) -> int:
    """Decimals that show the smallest value with two to three significant digits."""
    smallest = min((abs(v) for v in values if v), default=1.0)
    if smallest >= 100:
        return 0
    if smallest >= 1:
        return 1
    if smallest >= 0.1:
        return 2
    return 3


def fmt(value: float, decimals: int) -> str:
    """A number with thousands separators and fixed decimals."""
    return f"{value:,.{decimals}f}"


def ratio(value: float) -> str:
    """A ratio as a multiplier: 58×, 2.4×."""
    return f"{value:,.0f}×" if value >= 10 else f"{value:.1f}×"


def percent(value: float) -> str:
    """A fraction as a whole percentage."""
    return f"{value * 100:.0f}%"


def join_names(names: list[str]) -> str:
    """'Go, Bun and FastAPI'."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"
