"""`lead-magnet new-edition`: two lines of report.yaml change, everything else survives, old PDFs are kept."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from report import pipeline
from report.inputs.options import BuildOptions
from report.output.edition import new_edition
from report.output.manifest import PDF_NAME, edition_name
from tests.conftest import CliResult, SharedBuilds, edit, snapshot

DAY = dt.date(2027, 1, 15)


def _pdf(edition: str) -> bytes:
    """A one-page PDF whose metadata says which edition it is, as a real build's does."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Subject": f"Bun vs FastAPI vs Go: measured side by side (edition {edition})"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def project(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bundled data with a built 2026.11 PDF in output/, and the working directory beside them."""
    monkeypatch.chdir(data_dir.parent)
    (data_dir.parent / "output").mkdir()
    (data_dir.parent / "output" / PDF_NAME).write_bytes(_pdf("2026.11"))
    return data_dir.parent


def test_only_the_edition_and_published_lines_change(project: Path) -> None:
    report = project / "data" / "report.yaml"
    edit(report, 'edition: "2026.11"', 'edition: "2026.11"   # bump with lead-magnet new-edition')
    before = report.read_text(encoding="utf-8").splitlines()
    new_edition(Path("data"), Path("output"), "2027.01", DAY)
    after = report.read_text(encoding="utf-8").splitlines()
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert changed == [
        (
            'edition: "2026.11"   # bump with lead-magnet new-edition',
            'edition: "2027.01"   # bump with lead-magnet new-edition',
        ),
        ("published: 2026-11-21", "published: 2027-01-15"),
    ]
    assert before[0].startswith("# ")  # the comment at the top survives too
    config = pipeline.load(Path("data")).config
    assert (config.edition, config.published) == ("2027.01", DAY)


def test_windows_line_endings_and_a_byte_order_mark_survive(project: Path) -> None:
    report = project / "data" / "report.yaml"
    original = b"\xef\xbb\xbf" + report.read_bytes().replace(b"\n", b"\r\n")
    report.write_bytes(original)
    new_edition(Path("data"), Path("output"), "2027.01", DAY)
    expected = original.replace(b'edition: "2026.11"', b'edition: "2027.01"').replace(
        b"published: 2026-11-21", b"published: 2027-01-15"
    )
    assert report.read_bytes() == expected


def test_the_previous_pdf_is_kept_under_its_edition_name(project: Path) -> None:
    started = new_edition(Path("data"), Path("output"), "2027.01", DAY)
    kept = project / "output" / edition_name("2026.11")
    assert kept.read_bytes() == (project / "output" / PDF_NAME).read_bytes()
    assert started.kept == f"output/{edition_name('2026.11')}"


def test_an_existing_edition_copy_is_left_as_it_is(project: Path) -> None:
    kept = project / "output" / edition_name("2026.11")
    kept.write_bytes(_pdf("2026.11") + b"%the published one\n")
    before = kept.read_bytes()
    new_edition(Path("data"), Path("output"), "2027.01", DAY)
    assert kept.read_bytes() == before


def test_a_latest_pdf_of_another_edition_is_not_filed_under_the_wrong_name(project: Path) -> None:
    (project / "output" / PDF_NAME).write_bytes(_pdf("2026.09"))
    started = new_edition(Path("data"), Path("output"), "2027.01", DAY)
    assert not (project / "output" / edition_name("2026.11")).exists()
    assert started.note == (
        f"output/{PDF_NAME} is edition 2026.09, not 2026.11, so it was not kept as the 2026.11 PDF."
    )


def test_no_pdf_yet_is_fine_and_said(project: Path) -> None:
    (project / "output" / PDF_NAME).unlink()
    started = new_edition(Path("data"), Path("output"), "2027.01", DAY)
    assert started.kept is None
    assert started.note == "No PDF of edition 2026.11 was found in output/, so none was kept."


def test_published_defaults_to_today(project: Path) -> None:
    assert new_edition(Path("data"), Path("output"), "2027.01").published == dt.date.today()


def test_the_cli_says_what_happened_and_what_to_do_next(project: Path, run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("new-edition", "2027.01", "--published", "2027-01-15")
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        'Started edition 2027.01 (was 2026.11): data/report.yaml now says edition: "2027.01" and published: '
        "2027-01-15.\n"
        f"The 2026.11 PDF is kept as output/{edition_name('2026.11')}.\n"
        "\n"
        "Next:\n"
        "  1. Put the new benchmark results in data/benchmarks/ and update the text in data/copy/\n"
        "     and the scores in data/rubric.yaml (docs/editing-the-report.md shows where everything is).\n"
        "  2. See the report change as you edit:  make preview   (then open http://127.0.0.1:8000/)\n"
        "  3. Check every file is valid:           make check\n"
        "  4. Build the PDF:                        make pdf\n"
        "  5. If you ship on another day than the one set above, change published: in data/report.yaml to that day.\n"
    )


@pytest.mark.parametrize(
    ("args", "prepare", "expected"),
    [
        pytest.param(
            ["2026.11"],
            None,
            "error: data/report.yaml:4: edition: this is already edition 2026.11; "
            "give the new edition a different name",
            id="same-edition",
        ),
        pytest.param(
            ["next edition"],
            None,
            "error: new-edition: EDITION: expected letters, digits, '.', '-' or '_' (like 2027.01), at most 32 "
            "characters, found 'next edition'",
            id="bad-name",
        ),
        pytest.param(
            ["2027.01"],
            lambda p: (p / "output" / edition_name("2027.01")).write_bytes(_pdf("2027.01")),
            f"error: new-edition: EDITION: edition 2027.01 was already published (output/{edition_name('2027.01')} "
            "exists); choose a new edition name",
            id="already-published",
        ),
        pytest.param(
            ["2027.01"],
            lambda p: edit(p / "data" / "report.yaml", "published: 2026-11-21", "published: 21/11/2026"),
            "error: data/report.yaml:5: published: expected a date like 2026-11-21, found '21/11/2026'",
            id="current-file-invalid",
        ),
        pytest.param(
            ["2027.01"],
            lambda p: edit(p / "data" / "report.yaml", "published: 2026-11-21", "published:\n  2026-11-21"),
            "error: data/report.yaml: published: expected one line like 'published: 2026-11-21' at the left margin, "
            "found 0; put the published on one such line and run new-edition again",
            id="value-on-its-own-line",
        ),
    ],
)
def test_refusals_change_nothing(
    project: Path,
    run_cli: Callable[..., CliResult],
    args: list[str],
    prepare: Callable[[Path], object] | None,
    expected: str,
) -> None:
    if prepare is not None:
        prepare(project)
    before = snapshot(project)
    result = run_cli("new-edition", *args)
    assert result.code == 1
    assert result.err == f"{expected}\nlead-magnet: 1 problem found; nothing was written.\n"
    assert snapshot(project) == before


@pytest.mark.slow
def test_the_next_build_keeps_the_old_edition_beside_the_new_one(project: Path, shared: SharedBuilds) -> None:
    shutil.rmtree(project / "output")
    shutil.copytree(shared.out("default-a4"), project / "output")  # a real 2026.11 build of this data
    first = (project / "output" / edition_name("2026.11")).read_bytes()
    new_edition(Path("data"), Path("output"), "2027.01", DAY)
    pipeline.build(BuildOptions(data_dir=Path("data"), out_dir=Path("output")))
    assert (project / "output" / edition_name("2026.11")).read_bytes() == first
    latest = PdfReader(project / "output" / PDF_NAME).metadata
    assert latest is not None and str(latest.get("/Subject", "")).endswith("(edition 2027.01)")
    assert (project / "output" / edition_name("2027.01")).exists()
