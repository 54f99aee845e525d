"""Layout that holds, checked from the PDF: text inside the page, no blank pages, independent readers agree."""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest

from tests.conftest import CASES
from tests.pdf_text import Page, read_pages

MM = 72 / 25.4
SAFE_MARGIN_MM = 8  # printers and screens crop the edge: nothing readable may sit closer than this


@functools.cache
def _pages(pdf: Path) -> list[Page]:
    """Every page's size and visible characters (blanks left out), read once per PDF for the checks below."""
    return [replace(page, chars=[c for c in page.chars if c.text.strip()]) for page in read_pages(pdf)]


@pytest.mark.parametrize("case", CASES)
def test_every_character_is_inside_the_page_and_no_page_is_blank(built: dict[str, Path], case: str) -> None:
    for number, page in enumerate(_pages(built[case]), start=1):
        chars = page.chars
        assert len(chars) > 20, f"page {number} is (nearly) blank"
        left, top = SAFE_MARGIN_MM * MM, SAFE_MARGIN_MM * MM
        right, bottom = page.width - left, page.height - top
        outside = [c for c in chars if c.x0 < left or c.x1 > right or c.top < top or c.bottom > bottom]
        # the diagonal SAMPLE DATA watermark is decoration, drawn in the middle; all else must fit
        outside = [c for c in outside if c.text not in "SAMPLEDT "]
        assert not outside, f"page {number}: {''.join(c.text for c in outside)[:80]!r} outside the page box"


@pytest.mark.parametrize("case", CASES)
def test_pdfium_renders_every_page(built: dict[str, Path], case: str) -> None:
    document = pdfium.PdfDocument(built[case])
    try:
        for index in range(len(document)):
            bitmap = document[index].render(scale=0.15)
            image = bitmap.to_pil()
            assert image.width > 50 and image.getextrema() != ((255, 255), (255, 255), (255, 255))
    finally:
        document.close()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed (make system-deps)")
@pytest.mark.parametrize("case", CASES)
def test_poppler_renders_every_page_without_complaint(built: dict[str, Path], case: str, tmp_path: Path) -> None:
    done = subprocess.run(
        ["pdftoppm", "-r", "15", "-png", str(built[case]), str(tmp_path / "p")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    pages = subprocess.run(["pdfinfo", str(built[case])], capture_output=True, text=True, check=True).stdout
    count = int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")))
    assert len(list(tmp_path.glob("p-*.png"))) == count


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed (make system-deps)")
@pytest.mark.parametrize("case", CASES)
def test_qpdf_finds_no_problems(built: dict[str, Path], case: str) -> None:
    done = subprocess.run(["qpdf", "--check", str(built[case])], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No syntax or stream encoding errors found" in done.stdout


BOTTOM_MARGIN_MM = 20  # the @page bottom margin in style.css; the footer lives below it


@pytest.mark.parametrize("case", CASES)
def test_no_heading_is_stranded_at_the_bottom_of_a_page(built: dict[str, Path], case: str) -> None:
    for number, page in enumerate(_pages(built[case])[1:], start=2):  # the cover has no running text
        content_bottom = page.height - BOTTOM_MARGIN_MM * MM
        chars = [c for c in page.chars if c.bottom <= content_bottom]
        # headings (and takeaway callouts) are the semibold text at 10.5 pt and above
        heads = [c for c in chars if "Semi-Bold" in c.fontname and c.size >= 10.4]
        if not heads:
            continue
        last = max(heads, key=lambda c: c.bottom)
        below = [c for c in chars if c.top > last.bottom + 1 and c not in heads]
        line = "".join(c.text for c in heads if abs(c.top - last.top) < 1)
        assert below, f"page {number}: heading {line!r} is the last thing on the page"


def test_the_committed_twelve_stack_fixture_is_valid(run_cli: Any) -> None:
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "twelve"
    result = run_cli("check", "--data", fixture)
    assert result.code == 0, f"{result.err}\nregenerate it: .venv/bin/python tests/fixtures/make_twelve.py"
    assert "12 stacks" in result.out
