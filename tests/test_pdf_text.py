"""The PDFium character reader the layout and reading-order tests rely on, checked on facts known of the sample
report: its sizes in points, its boxes measured from the page's top, its fonts, marks and structure tree."""

from __future__ import annotations

from pathlib import Path

from tests.pdf_text import Element, read_pages


def test_the_reader_reports_what_the_sample_report_draws(built: dict[str, Path]) -> None:
    pages = read_pages(built["default-a4"])
    cover, glance = pages[0], pages[2]
    assert (round(cover.width), round(cover.height)) == (595, 842)  # A4 in points
    # the cover's title is 36 pt bold (48 px scaled by 0.75); the watermark 54 pt, an artifact outside the tree
    title = [c for c in cover.chars if c.fontname.endswith("Fira-Sans-Bold") and round(c.size) == 36]
    assert "".join(c.text for c in title).startswith("Backend")
    mark = [c for c in cover.chars if c.size > 40]
    assert "".join(c.text for c in mark).replace(" ", "") == "SAMPLEDATA"
    assert all(c.tag == "Artifact" and c.mcid is None for c in mark)
    # the first heading sits at the top of its page, in semibold, its box one font size tall
    heads = [c for c in glance.chars if "Semi-Bold" in c.fontname and c.size >= 10.4 and c.text.strip()]
    heading = heads[: len("Ataglance")]
    assert "".join(c.text for c in heading) == "Ataglance"
    assert all(0 < c.top < c.bottom < glance.height / 4 and c.x0 < c.x1 for c in heading)
    assert abs((heading[0].bottom - heading[0].top) - heading[0].size) < 0.01
    assert all(c.mcid is not None and c.tag != "Artifact" for c in heading)

    # the structure tree ties marked content to elements, and figures carry their alternate text
    def walk(elements: list[Element]) -> list[Element]:
        return [e for element in elements for e in [element, *walk(element.children)]]

    elements = [e for page in pages for e in walk(page.structure)]
    assert any(e.mcids for e in elements)
    assert any(e.alt_text.startswith("Startup time") for e in elements)
