"""The report's charts as deterministic SVG, one function per kind of chart (their look: report/view/chart_style.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib import rc_context
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from report.results.numbers import fmt
from report.results.stats import quantile
from report.view.chart_style import (
    GRID,
    INK,
    MUTED,
    clear_to_the_right,
    direct_label,
    height_for,
    new_figure,
    rc,
    slo_label,
    to_svg,
    value_formatter,
)
from report.view.marks import MAX_DOTS, Mark
from report.view.trace_chart import trace_waterfall as trace_waterfall  # drawn by name like the charts below


def strip_chart(marks: Sequence[Mark], runs: Sequence[Sequence[float]], unit: str, log: bool, decimals: int) -> bytes:
    """Every run as a dot and the median as a bar tick, one row per stack (first row at top)."""
    with rc_context(rc()):
        fig, ax = new_figure(height_for(len(marks)))
        n = len(marks)
        for row, (mark, values) in enumerate(zip(marks, runs, strict=True)):
            y = n - 1 - row
            ordered = sorted(values)
            median = quantile(ordered, 0.5)
            if len(ordered) > MAX_DOTS:
                # past a few dozen runs dots merge into a smear and every one costs the PDF a drawing:
                # show the range as a thin line and the middle half of the runs as a thick one instead
                q1, q3 = quantile(ordered, 0.25), quantile(ordered, 0.75)
                ax.plot([ordered[0], ordered[-1]], [y, y], color=mark.color, linewidth=1.2, alpha=0.7, zorder=3)
                ax.plot([q1, q3], [y, y], color=mark.color, linewidth=7, solid_capstyle="butt", zorder=3)
            else:
                # deterministic jitter so overlapping runs stay visible
                offsets = [((i * 0.618034) % 1 - 0.5) * 0.36 for i in range(len(ordered))]
                ax.scatter(
                    ordered,
                    [y + o for o in offsets],
                    s=11,
                    color=mark.color,
                    alpha=0.55,
                    linewidths=0,
                    marker="o",
                    zorder=3,
                )
            ax.plot([median, median], [y - 0.32, y + 0.32], color=INK, linewidth=2.0, zorder=4)
            direct_label(ax, f"{fmt(median, decimals)} {unit}", max(ordered), y, dx=6, size=8.5, weight="bold")
        ax.set_yticks(range(n), [m.label for m in reversed(marks)])
        ax.set_ylim(-0.6, n - 0.4)
        if log:
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))  # 1, 2, 5 a decade, no "3 × 10¹"
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt(v, 0) if v >= 1 else f"{v:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
        else:
            ax.set_xlim(left=0)
        lo, hi = ax.get_xlim()
        ax.set_xlim(lo, hi * (1.9 if log else 1.22))
        how = "thick: middle half of runs, thin: range" if any(len(v) > MAX_DOTS for v in runs) else "dots: runs"
        ax.set_xlabel(f"{unit} ({'log scale; ' if log else ''}{how}, tick: median)")
        return to_svg(fig)


def paired_bars(
    marks: Sequence[Mark],
    first: Sequence[float],
    second: Sequence[float],
    labels: tuple[str, str],
    unit: str,
    decimals: int,
) -> bytes:
    """Two bars per stack (e.g. idle vs under load): light then dark, so greyscale tells them apart; labelled."""
    with rc_context(rc()):
        fig, ax = new_figure(height_for(len(marks), per_row=0.48))
        n = len(marks)
        height = 0.36
        for row, mark in enumerate(marks):
            y = n - 1 - row
            for k, (value, offset) in enumerate(((first[row], height / 2), (second[row], -height / 2))):
                ax.barh(
                    y + offset,
                    value,
                    height=height * 0.92,
                    color=mark.color,
                    alpha=0.45 if k == 0 else 1.0,
                    edgecolor="white",
                    linewidth=0,
                )
                direct_label(
                    ax,
                    f"{fmt(value, decimals)} {unit}  {labels[k]}",
                    value,
                    y + offset,
                    dx=4,
                    size=7.5,
                    weight="bold" if k == 1 else "normal",
                )
        ax.set_yticks(range(n), [m.label for m in reversed(marks)])
        ax.set_ylim(-0.6, n - 0.4)
        ax.set_xlim(0, max([*first, *second]) * 1.45)
        ax.xaxis.set_major_formatter(value_formatter(0))
        ax.set_xlabel(unit)
        return to_svg(fig)


def level_lines(
    marks: Sequence[Mark],
    levels: Sequence[int],
    medians: Sequence[Sequence[float]],
    lows: Sequence[Sequence[float]],
    highs: Sequence[Sequence[float]],
    unit: str,
) -> bytes:
    """One line per stack across concurrency levels, with the run range as a band and a direct label."""
    with rc_context(rc()):
        fig, ax = new_figure(max(2.6, 0.9 + 0.24 * len(marks)))
        ax.grid(axis="y", color=GRID, linewidth=0.6)
        ax.grid(axis="x", visible=False)
        markers = ("o", "s", "^", "D", "v", "P", "X", "h", "<", ">", "p", "*")
        label_y: list[float] = []
        top = max(max(h) for h in highs)
        for mark, med, lo, hi in zip(marks, medians, lows, highs, strict=True):
            ax.fill_between(levels, lo, hi, color=mark.color, alpha=0.15, linewidth=0)
            ax.plot(
                levels, med, color=mark.color, linewidth=1.8, marker=markers[mark.index % len(markers)], markersize=4.5
            )
            y = med[-1]
            # nudge labels apart so stacks with similar results stay legible
            for other in label_y:
                if abs(other - y) < top * 0.06:
                    y = other - top * 0.06 if y <= other else other + top * 0.06
            label_y.append(y)
            direct_label(ax, f"{mark.label}  {fmt(med[-1], 0)}", levels[-1], y, dx=8, size=8, weight="bold")
        ax.set_xticks(list(levels), [str(level) for level in levels])
        ax.set_xlabel("concurrent connections")
        ax.set_ylabel(unit)
        ax.set_ylim(0, top * 1.1)
        ax.yaxis.set_major_formatter(value_formatter(0))
        return to_svg(fig)


def grouped_bars(
    marks: Sequence[Mark],
    series: Sequence[Sequence[float]],
    series_labels: Sequence[str],
    unit: str,
    log: bool,
    decimals: int,
) -> bytes:
    """Percentiles per stack as one row each: a line from the lowest to the highest, a marker shape per series.

    One compact row per stack (not a bar per percentile) keeps 12 stacks on part of a page; the shapes, not
    the colours, tell the series apart, so the key survives greyscale; the last series is labelled directly.
    """
    with rc_context(rc()):
        k = len(series_labels)
        n = len(marks)
        fig, ax = new_figure(height_for(n, per_row=0.3, base=0.95))
        shapes = [("o", "white"), ("s", None), ("D", None), ("^", None), ("v", None)]
        top = max(max(s) for s in series)
        for row, mark in enumerate(marks):
            y = n - 1 - row
            values = series[row]
            ax.plot(
                [min(values), max(values)], [y, y], color=mark.color, linewidth=2.2, solid_capstyle="round", zorder=2
            )
            for j in range(k):
                shape, face = shapes[j % len(shapes)]
                ax.plot(
                    [values[j]],
                    [y],
                    marker=shape,
                    markersize=5.5 if j < k - 1 else 6.5,
                    linestyle="none",
                    markerfacecolor=face or mark.color,
                    markeredgecolor=INK if face else mark.color,
                    markeredgewidth=0.9,
                    zorder=3,
                )
            direct_label(
                ax,
                f"{series_labels[-1]} {fmt(values[-1], decimals)} {unit}",
                max(values),
                y,
                dx=7,
                size=7.5,
                weight="bold",
            )
        handles = []
        for j, label in enumerate(series_labels):
            shape, face = shapes[j % len(shapes)]
            handles.append(
                Line2D(
                    [],
                    [],
                    marker=shape,
                    linestyle="none",
                    markersize=5.5,
                    markerfacecolor=face or MUTED,
                    markeredgecolor=INK if face else MUTED,
                    markeredgewidth=0.9,
                    label=label,
                )
            )
        ax.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            ncol=k,
            frameon=False,
            fontsize=7.5,
            handletextpad=0.3,
            columnspacing=1.2,
            borderaxespad=0.2,
        )
        ax.set_yticks(range(n), [m.label for m in reversed(marks)])
        ax.set_ylim(-0.6, n - 0.4)
        if log:
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}"))
            lo = min(min(s) for s in series)
            ax.set_xlim(lo / 1.6, top * 4)
        else:
            ax.set_xlim(0, top * 1.3)
        ax.set_xlabel(f"{unit}{' (log scale)' if log else ''}")
        return to_svg(fig)


def rate_curves(
    marks: Sequence[Mark],
    rates: Sequence[Sequence[float]],
    p99: Sequence[Sequence[float]],
    traced_rates: Sequence[Sequence[float]],
    traced_p99: Sequence[Sequence[float]],
    sustained: Sequence[float],
    slo_ms: float,
    limited: Sequence[Sequence[bool]] = (),
    traced_sustained: Sequence[float] = (),
    knee: Sequence[Sequence[bool]] = (),
) -> bytes:
    """p99 against offered rate, one line per stack (dashed: with tracing), log-log, the SLO as a line.

    Each stack's line ends in a direct label; rings mark the highest rates sustained under the SLO; points measured
    by knee runs (`knee`: per point, the untraced lines first, then the traced) get a dark edge.
    """
    with rc_context(rc()):
        fig, ax = new_figure(max(2.5, 1.2 + 0.2 * len(marks)))
        ax.grid(axis="y", color=GRID, linewidth=0.6)
        markers = ("o", "s", "^", "D", "v", "P", "X", "h", "<", ">", "p", "*")
        ends: list[tuple[float, float, str, int]] = []
        for k, mark in enumerate(marks):
            shape = markers[mark.index % len(markers)]
            n = len(marks)
            # each point drawn once: the points knee runs measured get their dark-edged marker below instead
            plain = [[i for i, f in enumerate(knee[row] if knee else ()) if not f] for row in (k, n + k)]
            if traced_rates[k]:
                ax.plot(
                    traced_rates[k],
                    traced_p99[k],
                    color=mark.color,
                    linewidth=1.1,
                    linestyle=(0, (3, 2)),
                    marker=shape,
                    markersize=3,
                    markerfacecolor="white",
                    alpha=0.9,
                    markevery=plain[1] if knee else None,
                )
            ax.plot(rates[k], p99[k], color=mark.color, linewidth=1.8, marker=shape, markersize=4.5,
                    markevery=plain[0] if knee else None)  # fmt: skip
            rings = ((rates[k], p99[k], sustained[k], 10), (traced_rates[k], traced_p99[k], traced_sustained[k], 8))
            for xs, ys, rate, size in rings if traced_sustained else rings[:1]:
                if rate in xs:  # the highest rate sustained, without and with tracing
                    i = list(xs).index(rate)
                    ax.plot([xs[i]], [ys[i]], marker="o", markersize=size, markerfacecolor="none", markeredgecolor=INK,
                            markeredgewidth=1.0, linestyle="none", zorder=5)  # fmt: skip
            lines = ((rates[k], p99[k], k, mark.color, 5.0), (traced_rates[k], traced_p99[k], n + k, "white", 3.6))
            for xs, ys, row, face, dot in lines if knee else ():  # points measured by knee runs: a dark edge
                at = [i for i, flag in enumerate(knee[row]) if flag]
                ax.plot([xs[i] for i in at], [ys[i] for i in at], marker=shape, markersize=dot, markerfacecolor=face,
                        markeredgecolor=INK, markeredgewidth=0.9, linestyle="none", zorder=4)  # fmt: skip
            crosses = [i for i, flag in enumerate(limited[k] if limited else ()) if flag]
            if crosses:
                xs, ys = [rates[k][i] for i in crosses], [p99[k][i] for i in crosses]
                ax.plot(xs, ys, marker="x", markersize=7, color=INK, linestyle="none", zorder=6)
            if rates[k]:  # a stack whose every p99 came from too few requests has no line to label
                ends.append((rates[k][-1], p99[k][-1], mark.label, k))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ticks = FuncFormatter(lambda v, _p: fmt(v, 0) if v >= 1 else f"{v:g}")
        for axis in (ax.xaxis, ax.yaxis):
            # plain numbers at 1, 2 and 5 of each decade: no "6 × 10¹" minor labels
            axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            axis.set_major_formatter(ticks)
            axis.set_minor_formatter(NullFormatter())
        ax.axhline(slo_ms, color=INK, linewidth=1.0, linestyle=(0, (1, 1.5)), zorder=1)
        lo_x, hi_x = ax.get_xlim()
        ax.set_xlim(lo_x, hi_x * 2.2)
        ax.get_ylim()  # settle the autoscaled limits: the label placement below measures in display space
        every = [(rates[j], p99[j]) for j in range(len(marks))]
        every += [(traced_rates[j], traced_p99[j]) for j in range(len(marks))]
        slo_label(ax, f"SLO: p99 {slo_ms:g} ms", slo_ms, hi_x, every)
        # labels at each line's last point, nudged apart in log space, and written to the left of the point when
        # the right would sit on another line (the stacks' top rates often end side by side)
        placed: list[float] = []
        for x, y, label, k in sorted(ends, key=lambda e: e[1]):
            ly = y
            for other in placed:
                if abs(math.log10(ly) - math.log10(other)) < 0.09:
                    ly = other * 10**0.09
            placed.append(ly)
            others = [(rates[j], p99[j]) for j in range(len(marks)) if j != k and rates[j]]
            others += [(traced_rates[j], traced_p99[j]) for j in range(len(marks)) if traced_rates[j]]
            right = clear_to_the_right(ax, x, ly, label, 8, others)
            ax.annotate(
                label,
                xy=(x, ly),
                xytext=(6 if right else -6, 0),
                textcoords="offset points",
                ha="left" if right else "right",
                va="center",
                fontsize=8,
                fontweight="bold",
                color=INK,
            )
        ax.set_xlabel("offered requests per second (log scale; constant arrival rate)")
        ax.set_ylabel("p99 latency, ms (log scale)")
        handles = [
            Line2D([], [], color=MUTED, linewidth=1.8, label="without tracing"),
            Line2D([], [], color=MUTED, linewidth=1.1, linestyle=(0, (3, 2)), label="with tracing"),
            Line2D(
                [],
                [],
                marker="o",
                markersize=8,
                markerfacecolor="none",
                markeredgecolor=INK,
                linestyle="none",
                label="highest rate sustained",
            ),
        ]
        if any(any(row) for row in limited):
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="x",
                    markersize=6,
                    color=INK,
                    linestyle="none",
                    label="load generator behind schedule",
                )
            )
        ax.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            ncol=len(handles),
            frameon=False,
            fontsize=7.5,
            borderaxespad=0.2,
        )
        return to_svg(fig)


def score_bars(
    marks: Sequence[Mark], scores: Sequence[float], scale: tuple[int, int], what: str = "higher is simpler"
) -> bytes:
    """Weighted score per stack on the rubric's scale, sorted as given, labelled directly."""
    with rc_context(rc()):
        fig, ax = new_figure(height_for(len(marks), per_row=0.3, base=0.6))
        n = len(marks)
        for row, (mark, score) in enumerate(zip(marks, scores, strict=True)):
            y = n - 1 - row
            ax.barh(y, score - scale[0], left=scale[0], height=0.62, color=mark.color, linewidth=0)
            direct_label(ax, fmt(score, 2), score, y, dx=4, size=8.5, weight="bold")
        ax.set_yticks(range(n), [m.label for m in reversed(marks)])
        ax.set_ylim(-0.6, n - 0.4)
        ax.set_xlim(scale[0], scale[1] + (scale[1] - scale[0]) * 0.12)
        ax.set_xticks(range(scale[0], scale[1] + 1))
        ax.set_xlabel(f"weighted score ({scale[0]} to {scale[1]}, {what})")
        return to_svg(fig)
