"""Checks across latency.csv and throughput.csv: every series complete, and each one tied to its closed-loop peak."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Protocol

from report.errors import Problem

MIN_RATES = 2  # a curve needs two points; the harness's full run measures six
OVERSHOOT = 1.10  # an open-loop generator cannot complete more than it offers (10% for timing at the edges)


class Table(Protocol):
    """A validated CSV table: its rows and the line each came from."""

    rows: list[Any]
    lines: list[int]


def check_latency(latency: Table, throughput: Table, shown: str, problems: list[Problem]) -> None:
    """Row and cross-file rules of latency.csv (columns and types are checked by its row model)."""
    series: dict[tuple[str, str, str], set[float]] = defaultdict(set)
    for row, line in zip(latency.rows, latency.lines, strict=True):
        series[(row.endpoint, row.variant, row.stack)].add(row.offered_rps)
        if row.achieved_rps > row.offered_rps * OVERSHOOT:
            problems.append(
                Problem(
                    shown,
                    line,
                    "achieved_rps",
                    f"expected at most the offered rate ({row.offered_rps:g}), found {row.achieved_rps:g}",
                )
            )
    stacks_in: dict[tuple[str, str], set[str]] = defaultdict(set)
    for endpoint, variant, stack in series:
        stacks_in[(endpoint, variant)].add(stack)
    every_stack = {stack for _, _, stack in series}
    for (endpoint, variant), present in sorted(stacks_in.items()):
        for stack in sorted(every_stack - present):
            problems.append(Problem(shown, None, "", f"no {variant} rows for stack '{stack}' on /{endpoint}"))
    peaks = {(row.endpoint, row.variant, row.stack) for row in throughput.rows}
    for (endpoint, variant, stack), rates in sorted(series.items()):
        if len(rates) < MIN_RATES:
            problems.append(
                Problem(
                    shown,
                    None,
                    "offered_rps",
                    f"expected at least {MIN_RATES} offered rates for {stack} ({variant}) on /{endpoint}, "
                    f"found {len(rates)}",
                )
            )
        if (endpoint, variant, stack) not in peaks:
            problems.append(
                Problem(
                    shown,
                    None,
                    "",
                    f"no throughput.csv rows for {stack} ({variant}) on /{endpoint}; "
                    "the offered rates are shares of that closed-loop peak",
                )
            )
