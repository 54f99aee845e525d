"""The cover PNG: page 1 at 1200 pixels, encoded without metadata, the same bytes every time; the page count."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from report.errors import PublishError
from report.output import cover
from report.output.manifest import COVER_NAME, PDF_NAME
from tests.conftest import SharedBuilds


@pytest.fixture(scope="module")
def base(shared: SharedBuilds) -> Path:
    return shared.out("default-a4")


def test_the_cover_is_page_one_at_1200_pixels(base: Path) -> None:
    import pypdfium2 as pdfium
    from PIL import Image

    document = pdfium.PdfDocument((base / PDF_NAME).read_bytes())
    image = Image.open(base / COVER_NAME)
    assert image.width == cover.COVER_WIDTH == 1200
    page_width, page_height = document[0].get_size()
    assert abs(image.height / image.width - page_height / page_width) < 0.002
    # the cover's dark background fills page 1 (a blank render would be white)
    assert image.convert("RGB").getpixel((600, 5)) == (0x14, 0x21, 0x3D)
    document.close()


def test_the_cover_encoder_writes_a_plain_png_that_decodes_to_its_pixels(base: Path) -> None:
    from PIL import Image

    rows = [bytes([x * 40, y * 60, 200, 0, 0, 0]) for y in range(3) for x in range(1)]
    png = cover.png_rgb(rows, 2)
    image = Image.open(io.BytesIO(png))
    assert (image.size, image.mode) == ((2, 3), "RGB")
    assert image.getpixel((0, 2)) == (0, 120, 200)
    assert b"tEXt" not in png and b"tIME" not in png  # no metadata that could vary
    assert cover.png_size(png[:24]) == (2, 3)
    pdf = (base / PDF_NAME).read_bytes()
    assert cover.cover_png(pdf)[0] == cover.cover_png(pdf)[0] == (base / COVER_NAME).read_bytes()


def test_png_size_refuses_what_is_not_a_png() -> None:
    assert cover.png_size(b"GIF89a" + bytes(18)) is None
    assert cover.png_size(b"") is None


def test_pdf_pages_counts_pages_and_names_a_pdf_that_does_not_open(base: Path) -> None:
    assert cover.pdf_pages((base / PDF_NAME).read_bytes(), "x.pdf") > 10
    with pytest.raises(PublishError) as refused:
        cover.pdf_pages(b"%PDF-1.7 not the real thing", "broken.pdf")
    [problem] = refused.value.problems()
    assert problem.file == "broken.pdf"
    assert problem.message.startswith("expected a PDF that opens, found one that does not")
