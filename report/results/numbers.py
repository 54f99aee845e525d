"""Number formatting shared by tables, charts and sentences: one formatter, half rounded up, consistent decimals."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal


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
    """A number with thousands separators and fixed decimals, a half rounded up (75,166.5 -> 75,167).

    Python's own formatting rounds half to even on the binary value, so 75,166.5 printed as 75,166; the decimal
    text of the float (its shortest repr) is what the data file says, and that is what is rounded here.
    """
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0.0"
    return f"{rounded:,.{decimals}f}"


def ratio(value: float) -> str:
    """A ratio as a multiplier: 58×, 2.4×."""
    return f"{fmt(value, 0)}×" if value >= 9.95 else f"{fmt(value, 1)}×"


def percent(fraction: float, decimals: int = 0) -> str:
    """A fraction as a percentage, the one way the report prints them: 0.154 -> '15%'."""
    return f"{fmt(fraction * 100, decimals)}%"


def join_names(names: list[str]) -> str:
    """'Go, Bun and FastAPI'."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"
