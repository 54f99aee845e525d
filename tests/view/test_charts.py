"""Charts as a reader needs them: every stack labelled directly, brand font only, sized to fit, same bytes twice."""

from __future__ import annotations

import re
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
