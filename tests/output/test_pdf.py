"""report/output/pdf.py on small documents: options reach WeasyPrint, charts come from memory, failures are one line."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from report.errors import BuildError
from report.inputs.options import OutputOptions
from report.output.pdf import SafeFetcher, write_pdf

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10"/></svg>'


def _html(body: str) -> str:
    head = '<head><meta charset="utf-8"><title>T</title></head>'
    return f'<!DOCTYPE html><html lang="en">{head}<body>{body}</body></html>'


def _write(tmp_path: Path, body: str, options: dict[str, object]) -> PdfReader:
    base = tmp_path.as_uri() + "/"
    fetcher = SafeFetcher([tmp_path], {f"{base}charts/a.svg": SVG})
    return PdfReader(io.BytesIO(write_pdf(_html(body), base, fetcher, options)))


def test_default_options_give_a_tagged_pdf_ua_document(tmp_path: Path) -> None:
    body = '<h1>Title</h1><figure><img src="charts/a.svg" alt="a black bar"></figure>'
    reader = _write(tmp_path, body, OutputOptions().pdf_options())
    root: Any = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
    assert root["/Lang"] == "en"
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8", "replace")
    assert 'pdfuaid:part="1"' in xmp


def test_charts_are_served_from_memory_and_nothing_else_is_fetched(tmp_path: Path) -> None:
    base = tmp_path.as_uri() + "/"
    fetcher = SafeFetcher([tmp_path], {f"{base}charts/a.svg": SVG})
    write_pdf(_html('<img src="charts/a.svg" alt="a"><img src="/etc/hostname" alt="b">'), base, fetcher, {})
    assert fetcher.served == [f"{base}charts/a.svg"]
    assert fetcher.refused == ["file:///etc/hostname"]


def test_an_unknown_variant_is_one_clear_build_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="the PDF could not be written"):
        _write(tmp_path, "<p>x</p>", {"pdf_variant": "pdf/none"})


def test_without_harfbuzz_subset_the_pdf_is_refused_not_varied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # WeasyPrint's fallback, fontTools, stamps the clock into every embedded font: two builds a second apart differed
    import weasyprint.pdf.fonts

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    with pytest.raises(BuildError) as raised:
        _write(tmp_path, "<p>x</p>", {})
    assert str(raised.value) == (
        "the PDF needs HarfBuzz's font subsetter, libharfbuzz-subset.so.0 4.1 or later (Debian and Ubuntu: "
        "apt-get install libharfbuzz-subset0): without it WeasyPrint subsets the fonts with fontTools, which writes "
        "the time of the build into every embedded font, so no two builds would have the same bytes"
    )
