"""The pipeline end to end: the real CLI builds the sample data, the bundled data and a 12-stack project into PDFs
(shared builds, read only), and the stages `check` runs."""

from __future__ import annotations

import csv
import statistics
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import BUNDLED, DATA, SECTIONS, CliResult, SharedBuilds


def _text(pdf: Path) -> str:
    reader = PdfReader(pdf)
    # collapse whitespace: extraction splits lines differently from the layout
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def _medians(file: str, value: str, root: Path = DATA, **where: str) -> dict[str, float]:
    rows = list(csv.DictReader((root / "benchmarks" / file).open(encoding="utf-8-sig")))
    stacks = sorted({r["stack"] for r in rows})
    return {
        s: statistics.median(
            float(r[value])
            for r in rows
            if r["stack"] == s and all(r.get(k, "baseline") == v for k, v in where.items())
        )
        for s in stacks
    }


@pytest.fixture(scope="module")
def built(shared: SharedBuilds) -> Path:
    """The sample data built at A4 (shared, read only)."""
    return shared.out("default-a4")


def test_pdf_has_every_section_and_stack(built: Path) -> None:
    text = _text(built / "backend-language-comparison.pdf")
    for title in SECTIONS:
        assert title in text, title
    for name in ("Go", "Bun", "FastAPI"):
        assert name in text


def test_pdf_shows_the_medians_computed_from_the_csv_files(built: Path) -> None:
    text = _text(built / "backend-language-comparison.pdf")
    for stack, value in _medians("startup.csv", "startup_ms").items():
        assert f"{value:,.1f}" in text, (stack, value)
    for stack, value in _medians("memory.csv", "rss_mb", phase="idle").items():
        assert f"{value:,.1f}" in text, (stack, value)
    top = max(int(r["concurrency"]) for r in csv.DictReader((DATA / "benchmarks" / "throughput.csv").open()))
    for stack, value in _medians(
        "throughput.csv", "requests_per_sec", concurrency=str(top), variant="baseline"
    ).items():
        assert f"{value:,.0f}" in text, (stack, value)


def test_sample_data_is_marked_on_every_page(built: Path) -> None:
    reader = PdfReader(built / "backend-language-comparison.pdf")
    assert "Sample data." in (reader.pages[0].extract_text() or "")
    for number, page in enumerate(reader.pages, start=1):
        assert "SAMPLE DATA" in (page.extract_text() or ""), f"page {number} has no SAMPLE DATA mark"


def test_html_and_charts_are_written_for_inspection(shared: SharedBuilds) -> None:
    built = shared.out("bundled-a4")  # the shared build made with --html
    html = (built / "backend-language-comparison.html").read_text(encoding="utf-8")
    charts = sorted(p.name for p in (built / "charts").glob("*.svg"))
    assert "startup.svg" in charts and "throughput.svg" in charts
    for name in charts:
        assert f'src="charts/{name}"' in html
        svg = (built / "charts" / name).read_text(encoding="utf-8")
        assert "<dc:date>" not in svg  # no timestamps: the same data gives the same bytes


def test_letter_page_size(shared: SharedBuilds) -> None:
    box = PdfReader(shared.pdf("default-letter")).pages[1].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_twelve_stacks_build(shared: SharedBuilds) -> None:
    text = _text(shared.pdf("twelve-a4"))
    assert "PHP Laravel Octane with Swoole" in text
    assert "Java Spring Boot 3 on JVM" in text


def test_two_stacks_build(make_stacks: Callable[[int, int], Path], run_cli: Callable[..., CliResult]) -> None:
    data = make_stacks(2, 3)
    assert run_cli("check", "--data", data).code == 0


def test_thirteen_stacks_are_refused(
    make_stacks: Callable[[int, int], Path], run_cli: Callable[..., CliResult]
) -> None:
    data = make_stacks(12, 3)
    text = (data / "report.yaml").read_text(encoding="utf-8")
    extra = "- id: s12\n  name: Extra\n  framework: x\n  color: '#000000'\n"
    (data / "report.yaml").write_text(text + extra, encoding="utf-8")
    result = run_cli("check", "--data", data)
    assert result.code == 1
    assert "report.yaml:" in result.err and "stacks: expected at most 12 items, found 13" in result.err


def test_the_bundled_measured_data_builds_without_the_sample_mark(shared: SharedBuilds) -> None:
    """`make pdf`'s input: real measurements, so no SAMPLE mark, and the methodology says how they were made."""
    import yaml

    env = yaml.safe_load((BUNDLED / "benchmarks" / "environment.yaml").read_text(encoding="utf-8"))
    text = _text(shared.pdf("bundled-a4"))
    if env["sample"]:
        assert "SAMPLE DATA" in text
    else:
        assert "SAMPLE DATA" not in text and "Sample data." not in text
        assert " ".join(env["pinning"].split()) in text
    for stack, value in _medians("startup.csv", "startup_ms", root=BUNDLED).items():
        assert f"{value:,.1f}" in text, (stack, value)


def test_a_loader_that_refuses_a_file_without_saying_why_stops_the_build_by_name(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every loader records a problem when it returns nothing; were one ever not to, `check` says so instead of
    # going on with a missing input (an `assert` stood here, which `python -O` would have skipped)
    from report import pipeline
    from report.errors import BuildError

    monkeypatch.setattr(pipeline, "load_rubric", lambda *_args, **_kwargs: (None, []))
    with pytest.raises(BuildError, match="an input file was refused without a problem recorded"):
        pipeline.load(data_dir)
