"""Charts as a reader needs them: every stack labelled directly, brand font only, sized to fit, same bytes twice."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from report import pipeline
from report.view.figures import Drawn
from tests.conftest import DATA

TWELVE = Path(__file__).resolve().parents[1] / "fixtures" / "twelve"
# A4's content box is 257 mm tall; a chart may take at most about half, so its caption and table can follow
MAX_HEIGHT_PT = 0.6 * 257 / 25.4 * 72


def _draw(data: Path) -> tuple[Drawn, list[str]]:
    results = pipeline.compute(pipeline.load(data))
    return pipeline.draw_charts(results), [s.name for s in results.config.stacks]


@pytest.fixture(scope="module", params=["bundled", "twelve"])
def drawn(request: pytest.FixtureRequest) -> tuple[Drawn, list[str]]:
    return _draw(DATA if request.param == "bundled" else TWELVE)


def _texts(svg: bytes) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text\b[^>]*>(.*?)</text>", svg.decode("utf-8"), re.S)]


def test_every_chart_names_every_stack_in_its_own_text(drawn: tuple[Drawn, list[str]]) -> None:
    charts, names = drawn
    for key, (svg, _chart) in charts.items():
        texts = " | ".join(_texts(svg))
        missing = [n for n in names if n not in texts]
        assert not missing, f"{key}: colour alone would have to say which mark is {missing}"


def test_chart_text_is_set_in_the_brand_typeface(drawn: tuple[Drawn, list[str]]) -> None:
    charts, _names = drawn
    for key, (svg, _chart) in charts.items():
        families = set(re.findall(r"font-family[:=]\s*[\"']?([^;\"']+)", svg.decode("utf-8")))
        assert families == {"Fira Sans"}, f"{key}: {families}"


def test_charts_stay_under_half_a_page_even_at_twelve_stacks(drawn: tuple[Drawn, list[str]]) -> None:
    charts, _names = drawn
    for key, (svg, _chart) in charts.items():
        found = re.search(rb'<svg[^>]*height="([\d.]+)pt"', svg)
        assert found is not None, key
        assert float(found.group(1)) < MAX_HEIGHT_PT, f"{key} is {float(found.group(1)):.0f} pt tall"


def test_alt_text_states_the_finding(drawn: tuple[Drawn, list[str]]) -> None:
    charts, names = drawn
    for key, (_svg, chart) in charts.items():
        assert len(chart.alt) > 40, key
        assert any(n in chart.alt for n in names), f"{key}: alt text names no stack: {chart.alt!r}"


def test_same_data_draws_the_same_bytes() -> None:
    first, _ = _draw(DATA)
    second, _ = _draw(DATA)
    assert {k: v[0] for k, v in first.items()} == {k: v[0] for k, v in second.items()}


def test_the_slo_label_moves_off_the_points_that_sit_on_its_line() -> None:
    """The 7 December 11:28 run put FastAPI's traced knee runs (1,014-1,705 req/s, p99 10-13 ms) where the label used
    to be, at the left above the line: it now goes to the first clear place, above and then below the line."""
    from matplotlib.figure import Figure
    from matplotlib.text import Annotation

    from report.view.chart_style import slo_label

    def place(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
        fig = Figure(figsize=(6, 3), dpi=72)
        ax = fig.add_subplot()
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.plot(xs, ys)
        ax.set_xlim(900, 200_000)
        ax.set_ylim(1, 100)
        slo_label(ax, "SLO: p99 10 ms", 10.0, 100_000, [(xs, ys)])
        (text,) = ax.texts
        assert isinstance(text, Annotation)
        return float(text.xy[0]), float(text.xyann[1])

    clear_x, clear_rise = place([20_000, 50_000], [2.0, 5.0])
    assert clear_x < 1_000 and clear_rise > 0  # nothing in the way: the left end, above the line
    crowded = [1_014, 1_206, 1_315, 1_434, 1_564, 1_705]
    moved_x, moved_rise = place(crowded, [10.6, 11.7, 13.3, 10.9, 12.6, 12.3])
    assert moved_x > 1_705 and moved_rise > 0  # right of the knee runs, still above the line
