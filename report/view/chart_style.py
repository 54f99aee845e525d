"""How every chart looks: the brand's fonts, colours and rc settings, a figure on the SVG canvas, SVG bytes out.

Shared by the chart functions in report/view/charts.py; imports matplotlib.
"""

from __future__ import annotations

import codecs
import io
import itertools
from collections.abc import Sequence
from functools import cache
from typing import IO, Any

from matplotlib import cbook, font_manager, rcParams
from matplotlib.axes import Axes
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from report.results.numbers import fmt
from report.view.fonts import FONT_FILES, TEXT_FAMILY

WIDTH_IN = 6.5
INK = "#1F2430"
MUTED = "#5B6170"
GRID = "#E3E6EC"


@cache
def register_fonts() -> None:
    for path in FONT_FILES.values():
        font_manager.fontManager.addfont(str(path))


def rc() -> Any:  # matplotlib types rcParams keys as a Literal union
    return {
        "font.family": TEXT_FAMILY,
        "font.size": 8.5,
        "svg.fonttype": "none",  # keep chart text as real, selectable text
        "svg.hashsalt": "lead-magnet",  # stable element ids, so the same data gives the same bytes
        "axes.edgecolor": GRID,
        "axes.labelcolor": MUTED,
        "axes.linewidth": 0.8,
        "xtick.color": MUTED,
        "ytick.color": INK,
        "xtick.major.size": 0,
        "ytick.major.size": 0,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "path.simplify": True,
    }


class _StartAnchored(RendererSVG):
    """Every label written where it starts, at the position matplotlib laid it out with the same font files.

    A centred or right-aligned SVG label (text-anchor middle/end) is drawn by WeasyPrint as a form XObject of its
    own, to measure and shift it: 135 of them, about a fifth of the PDF's bytes. Without the text's artist the
    SVG backend writes the label from its laid-out start instead, with no anchor to resolve."""

    def draw_text(
        self, gc: Any, x: float, y: float, s: str, prop: Any, angle: float, ismath: Any = False, mtext: Any = None
    ) -> None:
        if mtext is not None and mtext.get_ha() != "left":
            mtext = None
        super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)  # type: ignore[no-untyped-call]


class _Canvas(FigureCanvasSVG):
    """The SVG canvas with the start-anchored renderer (print_svg as matplotlib's, renderer swapped)."""

    def print_svg(  # type: ignore[override]
        self, out: IO[Any], *, bbox_inches_restore: Any = None, metadata: dict[str, Any] | None = None, **_: Any
    ) -> None:
        fh = out if cbook.file_requires_unicode(out) else codecs.getwriter("utf-8")(out)
        dpi = self.figure.dpi
        self.figure.dpi = 72
        width, height = self.figure.get_size_inches()
        w, h = width * 72, height * 72
        renderer = MixedModeRenderer(  # type: ignore[no-untyped-call]
            self.figure,
            width,
            height,
            dpi,
            _StartAnchored(w, h, fh, image_dpi=dpi, metadata=metadata),  # type: ignore[no-untyped-call]
            bbox_inches_restore=bbox_inches_restore,
        )
        self.figure.draw(renderer)  # type: ignore[arg-type]  # matplotlib draws through it like its own canvas
        renderer.finalize()


def new_figure(height_in: float) -> tuple[Figure, Axes]:
    register_fonts()
    fig = Figure(figsize=(WIDTH_IN, height_in))
    _Canvas(fig)
    ax = fig.add_subplot()
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def to_svg(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight", pad_inches=0.05)
    return buf.getvalue()


def height_for(n: int, per_row: float = 0.34, base: float = 0.75) -> float:
    return base + per_row * n


def value_formatter(decimals: int) -> FuncFormatter:
    return FuncFormatter(lambda v, _pos: fmt(v, decimals))


def direct_label(ax: Axes, text: str, x: float, y: float, *, dx: int, size: float, weight: str) -> None:
    """A direct label just right of a mark, so no legend is needed."""
    ax.annotate(
        text,
        xy=(x, y),
        xytext=(dx, 0),
        textcoords="offset points",
        va="center",
        fontsize=size,
        fontweight=weight,
        color=INK,
    )


# Charts must look the same everywhere; silence font fallback so a missing glyph is not swapped silently.
rcParams["svg.fonttype"] = "none"


def box_clear(
    ax: Axes, box: tuple[float, float, float, float], others: Sequence[tuple[Sequence[float], Sequence[float]]]
) -> bool:
    """Whether a box in display space (left, right, bottom, top) stays off the lines, their points and segments."""
    left, right, bottom, top = box
    for xs, ys in others:
        if not xs:
            continue
        points = ax.transData.transform(list(zip(xs, ys, strict=True)))
        pairs = list(itertools.pairwise(points)) or [(points[0], points[0])]
        for (x0, y0), (x1, y1) in pairs:
            for step in range(13):  # the segment sampled at 13 points, ends included
                t = step / 12
                sx, sy = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
                if left <= sx <= right and bottom <= sy <= top:
                    return False
    return True


def clear_to_the_right(
    ax: Axes, x: float, y: float, text: str, size: float, others: Sequence[tuple[Sequence[float], Sequence[float]]]
) -> bool:
    """Whether a label written 6 pt to the right of (x, y) stays off the other lines, their points and segments.

    Call it once the axes' scales and limits are final: it measures in display space. The label's box is estimated
    from its length (0.62 em a character), which is wide enough for the brand font's bold stack names."""
    scale = ax.figure.dpi / 72
    px, py = ax.transData.transform((x, y))
    left, right = px + 6 * scale, px + (6 + 0.62 * size * len(text)) * scale
    half = 0.6 * size * scale
    return box_clear(ax, (left, right, py - half, py + half), others)


def slo_label(
    ax: Axes, text: str, slo_ms: float, data_right: float, lines: Sequence[tuple[Sequence[float], Sequence[float]]]
) -> None:
    """The SLO line's label at the leftmost place, above the line and then below it, where it covers no line or
    point, left of `data_right` (the stacks' own labels sit to its right); above it at the left when none is clear."""
    size = 7.5
    scale = ax.figure.dpi / 72
    x_left, y = ax.transData.transform((ax.get_xlim()[0], slo_ms))
    x_right, _ = ax.transData.transform((data_right, slo_ms))
    width, height = (0.55 * size * len(text) + 4) * scale, (size + 2) * scale
    pad = 4 * scale  # a marker's half width: a point just beside the text still touches it
    places = [  # left to right, above the line first, then below it; each ends left of `data_right`
        (x_left + 2 * scale + (x_right - x_left - width) * step / 24, rise)
        for rise in (3.0, -3.0 - size)
        for step in range(25)
    ]

    def clear(left: float, rise: float) -> bool:
        bottom = y + (rise - 1) * scale
        box = (left - pad, left + width + pad, bottom - pad, bottom + height + pad)
        return left + width <= x_right and box_clear(ax, box, lines)

    chosen = next(((left, rise) for left, rise in places if clear(left, rise)), places[0])
    left, rise = chosen
    x_data = ax.transData.inverted().transform((left, y))[0]
    ax.annotate(text, xy=(x_data, slo_ms), xytext=(0, rise), textcoords="offset points", fontsize=size, color=INK)
