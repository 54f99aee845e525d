"""The trace waterfall: one captured trace (data/benchmarks/traces.json) as deterministic SVG."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib import rc_context
from matplotlib.ticker import FuncFormatter

from report.results.numbers import fmt
from report.view.chart_style import MUTED, direct_label, height_for, new_figure, rc, to_svg
from report.view.marks import Mark

# A span as the waterfall draws it: name, nesting depth, kind, start and duration in ms from the trace's start.
SpanBar = tuple[str, int, str, float, float]


def trace_waterfall(mark: Mark, spans: Sequence[SpanBar], decimals: int) -> bytes:
    """One trace as a waterfall: a bar per span on the trace's time axis, children below and indented from their
    parent (a connector from the parent's start), each bar labelled with its span name and duration. SERVER spans
    are drawn solid, every other kind light inside a solid outline, so the kinds differ in greyscale too."""
    with rc_context(rc()):
        fig, ax = new_figure(height_for(len(spans), per_row=0.3, base=0.7))
        n = len(spans)
        end = max((start + duration for _name, _depth, _kind, start, duration in spans), default=0.0) or 1.0
        for row, (name, depth, kind, start, duration) in enumerate(spans):
            y = n - 1 - row
            server = kind == "server"
            ax.barh(
                y,
                max(duration, end * 0.004),  # a span shorter than the line width still shows
                left=start,
                height=0.56,
                color=mark.color if server else "white",
                edgecolor=mark.color,
                linewidth=1.0,
                zorder=3,
            )
            if not server:
                ax.barh(y, max(duration, end * 0.004), left=start, height=0.56, color=mark.color, alpha=0.35, zorder=3)
            # the parent is the nearest row above one level shallower (rows come in depth-first order)
            parent = next((i for i in range(row - 1, -1, -1) if spans[i][1] == depth - 1), None)
            if depth > 0 and parent is not None:
                px = spans[parent][3]
                ax.plot([px, px, start], [n - 1 - parent - 0.28, y, y], color=MUTED, linewidth=0.7, zorder=2)
            direct_label(
                ax, f"{name} · {fmt(duration, decimals)} ms", start + duration, y, dx=4, size=7.5, weight="normal"
            )
        ax.set_yticks(range(n), [spans[n - 1 - y][2] for y in range(n)])
        ax.set_ylim(-0.6, n - 0.4)
        ax.set_xlim(0, end * 1.9)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}"))  # ticks as short as they can be
        ax.set_xlabel(f"ms from the start of the request ({mark.label}; solid: server span, light: other kinds)")
        return to_svg(fig)
