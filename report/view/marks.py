"""What a chart draws per stack: shared by the planner (report/view/figures.py) and the drawer (report/view/charts.py).

Kept apart so the planner need not import matplotlib and the drawer need not import the planner.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_DOTS = 40  # runs per stack drawn as dots; more are drawn as a range and an interquartile bar


@dataclass(frozen=True)
class Mark:
    """One stack as a chart sees it: label, colour and its position in the palette."""

    label: str
    color: str
    index: int
