"""The chart canvas: labels written from where they start, so WeasyPrint draws them inline, not one form each."""

from __future__ import annotations

import re

from report.view.chart_style import new_figure, to_svg


def _label(svg: str, text: str) -> str:
    found = re.search(r"<text\b([^>]*)>" + re.escape(text) + "</text>", svg)
    assert found, text
    return found.group(1)


def test_centred_and_right_aligned_labels_are_start_anchored_at_their_laid_out_place() -> None:
    fig, ax = new_figure(2.0)
    ax.set_axis_off()
    for text, ha in (("centred", "center"), ("flush right", "right"), ("flush left", "left")):
        ax.text(0.5, {"center": 0.8, "right": 0.5, "left": 0.2}[ha], text, ha=ha, transform=ax.transAxes)
    svg = to_svg(fig).decode("utf-8")
    assert "text-anchor: middle" not in svg and "text-anchor: end" not in svg
    centred, right = _label(svg, "centred"), _label(svg, "flush right")
    x_centred = float(re.search(r"translate\(([\d.]+)", centred).group(1))  # type: ignore[union-attr]
    x_right = float(re.search(r"translate\(([\d.]+)", right).group(1))  # type: ignore[union-attr]
    left = _label(svg, "flush left")  # a left-aligned label keeps matplotlib's own anchored form
    x_left = float(re.search(r'\bx="([\d.]+)"', left).group(1))  # type: ignore[union-attr]
    # all three share one anchor x: a centred label starts left of it, a right-aligned one further left
    assert x_right < x_centred < x_left
