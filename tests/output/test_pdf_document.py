"""The PDF as readers and checkers see it: tags, outline, links, metadata, fonts; at 3 and 12 stacks, A4 and Letter."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from report.cli import main
from tests.conftest import CASES, SECTIONS, SharedBuilds

PDF = "backend-language-comparison.pdf"


def _page_of(reader: PdfReader, destination: Any) -> int:
    index = reader.get_destination_page_number(destination)
    assert index is not None
    return index + 1


def _walk(node: Any) -> Iterator[DictionaryObject]:
    node = node.get_object()
    if isinstance(node, DictionaryObject):
        yield node
        kids = node.get("/K")
        if kids is not None:
            yield from _walk(kids)
    elif isinstance(node, list):
        for child in node:
            yield from _walk(child)


@pytest.mark.parametrize("case", CASES)
def test_tagged_with_language_title_and_alt_text(built: dict[str, Path], case: str) -> None:
    reader = PdfReader(built[case])
    root: Any = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata is not None and reader.metadata.title is not None
    assert reader.metadata.title.startswith("Backend Language Comparison: ")
    elements = list(_walk(root["/StructTreeRoot"]))
    figures = [e for e in elements if e.get("/S") == "/Figure"]
    alts = [str(e.get("/Alt", "")) for e in figures]
    charts = [a for a in alts if "best first" in a or "score from" in a or "tracing" in a]
    assert len(charts) >= 8, alts
    # alt text states the finding, not just "chart": e.g. who leads and by how much
    startup = next(a for a in alts if a.startswith("Startup time"))
    assert re.search(r"[0-9.,]+× faster than", startup), startup
    assert any(e.get("/S") == "/TH" for e in elements), "table header cells must be tagged as headers"


@pytest.mark.parametrize("case", ["default-a4", "twelve-letter"])
def test_outline_mirrors_the_section_headings(built: dict[str, Path], case: str) -> None:
    reader = PdfReader(built[case])
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    assert top == SECTIONS


@pytest.mark.parametrize("case", CASES)
def test_contents_links_go_to_the_printed_page_numbers(built: dict[str, Path], case: str) -> None:
    reader = PdfReader(built[case])
    destinations = {name: _page_of(reader, dest) for name, dest in reader.named_destinations.items()}
    contents = reader.pages[1]
    text = contents.extract_text() or ""
    printed = {m[1].strip(): int(m[2]) for m in re.finditer(r"^\d\d\s+([A-Z][^\n]*?)\s+(\d+)$", text, re.MULTILINE)}
    links = [a.get_object() for a in contents.get("/Annots") or []]
    targets = sorted({str(a["/Dest"]) for a in links if "/Dest" in a})
    assert len(targets) == len(SECTIONS) - 1
    by_title = {
        "at-a-glance": "At a glance",
        "methodology": "Methodology",
        "startup": "Startup time",
        "about": "About this report",
        "appendix": "Appendix: scales and summary tables",
    }
    for anchor, title in by_title.items():
        assert anchor in targets
        assert printed.get(title) == destinations[anchor], (title, printed, destinations[anchor])


def test_cross_reference_names_the_right_page(built: dict[str, Path]) -> None:
    reader = PdfReader(built["default-a4"])
    glance = reader.pages[2].extract_text() or ""
    page = int(re.search(r"How the overall score is made \(page (\d+)\)", " ".join(glance.split()))[1])  # type: ignore[index]
    target = _page_of(reader, reader.named_destinations["overall-method"])
    assert page == target


def _uris(path: Path) -> list[str]:
    reader = PdfReader(path)
    found = []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and "/URI" in action:
                found.append(str(action["/URI"]))
    return found


def test_external_links_are_clean_without_a_campaign(built: dict[str, Path]) -> None:
    uris = _uris(built["default-a4"])
    assert "https://works-on-my.cloud/blog/aws-for-startups/32-backend-go-api" in uris
    assert not any("utm_" in u for u in uris)


@pytest.mark.slow
def test_campaign_adds_utm_parameters_to_our_links_only(tmp_path: Path, data_dir: Path) -> None:
    with (data_dir / "copy" / "about.md").open("a", encoding="utf-8") as handle:
        handle.write(
            "\nSee [the spec](https://opentelemetry.io/docs/) and [our series](https://works-on-my.cloud/blog/aws-for-startups/29-backend-bun-signoz).\n"
        )
    out = tmp_path / "out"
    assert main(["build", "--data", str(data_dir), "--out", str(out), "--utm-campaign", "spring-launch"]) == 0
    uris = _uris(out / PDF)
    cta = [u for u in uris if u.startswith("https://works-on-my.cloud/blog/aws-for-startups/32-backend-go-api?")]
    assert cta and all(
        "utm_campaign=spring-launch" in u and "utm_source=lead-magnet" in u and "utm_medium=pdf" in u for u in cta
    )
    assert any(u.startswith("https://works-on-my.cloud/blog/aws-for-startups/29-backend-bun-signoz?utm_") for u in uris)
    assert "https://opentelemetry.io/docs/" in uris  # third-party links stay clean


def test_metadata_carries_title_author_subject_keywords_and_edition(built: dict[str, Path]) -> None:
    meta = PdfReader(built["default-a4"]).metadata
    assert meta is not None
    assert str(meta["/Author"]) == "works-on-my.cloud"
    assert "edition 2026.11" in str(meta["/Subject"])
    keywords = str(meta["/Keywords"])
    assert "OpenTelemetry" in keywords and "FastAPI" in keywords
    assert str(meta["/edition"]) == "2026.11"


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed (make system-deps)")
@pytest.mark.parametrize("case", ["default-a4", "twelve-letter"])
def test_only_the_brand_fonts_embedded_and_subset(built: dict[str, Path], case: str) -> None:
    listing = subprocess.run(["pdffonts", str(built[case])], capture_output=True, text=True, check=True).stdout
    rows = listing.splitlines()[2:]
    assert rows
    for row in rows:
        name = row.split()[0]
        assert re.fullmatch(r"[A-Z]{6}\+(Fira-Sans|IBM-Plex-Mono)[-\w]*", name), row
        emb, sub, uni = row.split()[-5:-2]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row


def test_chart_labels_are_selectable_text(built: dict[str, Path]) -> None:
    reader = PdfReader(built["default-a4"])
    startup_page = next(p for p in reader.pages if "Startup time" in (p.extract_text() or "")[:200])
    text = startup_page.extract_text() or ""
    assert "dots: runs, tick: median" in text


def test_pdf_a_variant(built_pdfa: Path) -> None:
    reader = PdfReader(built_pdfa)
    root: Any = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8", "replace")
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp


def test_the_convention_table_prints_each_level_and_the_missing_required_in_bold(shared: SharedBuilds) -> None:
    """The bundled report's /json semantic-convention table: a Level column from the conventions' model, and Bun's
    missing url.path and url.scheme (Required) set in bold, which is why Bun scores 4 on server spans."""
    pdf = shared.pdf("bundled-a4")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip().startswith("url.")}
    assert rows["url.path"] == ["Required", "set", "missing", "set"]
    assert rows["url.scheme"] == ["Required", "set", "missing", "set"]
    # beside Bun's score, the count of what held it below 5; Go's and FastAPI's spans lack none
    measured = re.findall(r"Measured: trace server missing required: (\d+) attributes?", text)
    assert sorted(measured) == ["0", "0", "2"]
    html = (shared.out("bundled-a4") / "backend-language-comparison.html").read_text(encoding="utf-8")
    row = re.search(r"<tr><th scope=\"row\"><code>url\.path</code></th>(.*?)</tr>", html)
    assert row is not None
    assert re.findall(r"<td( class=\"strong\")?>(set|missing)</td>", row.group(1)) == [
        ("", "set"),
        (' class="strong"', "missing"),
        ("", "set"),
    ]
