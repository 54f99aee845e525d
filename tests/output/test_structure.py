"""The structure tree a screen reader walks, read back from the built PDFs: header scopes, link texts, headings."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pydyf
import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from report.errors import BuildError
from report.output.structure import finish, header_scope, link_description
from tests.conftest import CASES, SECTIONS
from tests.pdf_text import Char, Element, Page, read_pages


def _elements(node: Any, parents: tuple[str, ...] = ()) -> Iterator[tuple[Any, tuple[str, ...]]]:
    """Every structure element in reading order, with the types of the elements enclosing it."""
    node = node.get_object()
    if isinstance(node, DictionaryObject):
        kind = str(node.get("/S", ""))
        if kind:
            yield node, parents
        kids = node.get("/K")
        if kids is not None:
            yield from _elements(kids, (*parents, kind) if kind else parents)
    elif isinstance(node, ArrayObject):
        for child in node:
            yield from _elements(child, parents)


def _tree(pdf: Path) -> list[tuple[Any, tuple[str, ...]]]:
    root: Any = PdfReader(pdf).trailer["/Root"]
    return list(_elements(root["/StructTreeRoot"]))


@pytest.mark.parametrize("case", CASES)
def test_every_table_header_cell_has_the_scope_of_its_html(built: dict[str, Path], case: str) -> None:
    headers = [(e, parents) for e, parents in _tree(built[case]) if e.get("/S") == "/TH"]
    assert len(headers) > 20
    scopes = {(("/THead" in parents), str(e["/A"].get("/Scope"))) for e, parents in headers}
    # the template's thead cells say scope="col"/"colgroup", its tbody cells scope="row"
    assert scopes == {(True, "/Column"), (False, "/Row")}, scopes
    # the cells that head a row are the ones the data cells name first in /Headers
    ids = {str(e["/ID"]): str(e["/A"]["/Scope"]) for e, _ in headers}
    for cell, _ in _tree(built[case])[:400]:
        if cell.get("/S") == "/TD" and "/Headers" in cell["/A"] and len(cell["/A"]["/Headers"]) == 2:
            row, column = (ids[str(h)] for h in cell["/A"]["/Headers"])
            assert (row, column) == ("/Row", "/Column")


@pytest.mark.parametrize("case", ["default-a4", "twelve-letter"])
def test_links_describe_themselves_with_their_text(built: dict[str, Path], case: str) -> None:
    reader = PdfReader(built[case])
    links = [
        annotation.get_object()
        for page in reader.pages
        for annotation in page.get("/Annots") or []
        if annotation.get_object().get("/Subtype") == "/Link"
    ]
    contents = [str(link["/Contents"]) for link in links]
    assert contents and all(c.strip() for c in contents)
    # WeasyPrint's default was the bare target: an anchor name or the URL
    targets = {str(link.get("/Dest") or link["/A"]["/URI"]) for link in links}
    assert not targets & set(contents), targets & set(contents)
    # the contents page links say the section's title, not its anchor
    toc = [str(a.get_object()["/Contents"]) for a in reader.pages[1].get("/Annots") or []]
    assert list(dict.fromkeys(toc)) == SECTIONS[1:]


@pytest.mark.parametrize("case", ["default-a4", "twelve-a4"])
def test_headings_start_at_h1_and_never_skip_a_level(built: dict[str, Path], case: str) -> None:
    levels = [int(str(e["/S"])[2:]) for e, _ in _tree(built[case]) if str(e["/S"]) in {f"/H{n}" for n in range(1, 7)}]
    assert levels[0] == 1
    skips = [(a, b) for a, b in itertools.pairwise(levels) if b > a + 1]
    assert not skips, levels
    assert max(levels) >= 3  # the criteria and the copy's subheads are really there


def test_header_scope_follows_the_attribute_then_the_position() -> None:
    assert header_scope("row", in_head=True) == "Row"
    assert header_scope("colgroup", in_head=False) == "Column"
    assert header_scope(" Col ", in_head=False) == "Column"
    assert header_scope(None, in_head=True) == "Column"
    assert header_scope("", in_head=False) == "Row"


def test_link_description_names_the_site_unless_the_text_does() -> None:
    assert link_description("Read the series", "https://backends-on-aws.example/x") == (
        "Read the series (backends-on-aws.example)"
    )
    assert link_description("backends-on-aws.example", "https://backends-on-aws.example/") == "backends-on-aws.example"
    assert link_description("  At a\nglance ", "#at-a-glance") == "At a glance"
    assert link_description("Write to us", "mailto:team@example.com") == "Write to us (team@example.com)"


def test_a_header_cell_left_without_scope_stops_the_build() -> None:
    pdf = pydyf.PDF()
    pdf.add_object(pydyf.Dictionary({"Type": "/StructElem", "S": "/TH", "A": pydyf.Dictionary({"O": "/Table"})}))
    with pytest.raises(BuildError, match="1 table header cells have no /Scope"):
        finish(SimpleNamespace(pages=[]), pdf)


def _reading_orders(pdf: Path) -> list[tuple[list[str], list[Char]]]:
    """Each page's text in the order of its structure tree (what a screen reader reads), one entry per element,
    and the page's watermark characters (text larger than 40 pt)."""
    return [(_reading_order(page), [c for c in page.chars if c.size > 40]) for page in read_pages(pdf)]


def _reading_order(page: Page) -> list[str]:
    text: dict[int, str] = {}
    for char in page.chars:
        if char.mcid is not None:
            text[char.mcid] = text.get(char.mcid, "") + char.text

    def walk(element: Element) -> Iterator[str]:
        if element.alt_text:  # a figure is read as its alternate text, not its drawn labels
            yield f"[{element.alt_text}]"
            return
        own = "".join(text.get(m, "") for m in element.mcids)
        if own.strip():
            yield own.strip()
        for child in element.children:
            yield from walk(child)

    return [t for element in page.structure for t in walk(element)]


def test_the_cover_and_the_callouts_read_in_order_without_the_watermark(built: dict[str, Path]) -> None:
    pdf = built["default-a4"]  # sample data: the SAMPLE DATA watermark is on every page
    pages = _reading_orders(pdf)  # page 1 first
    orders = [read for read, _mark in pages]
    cover = " | ".join(orders[0])
    order = [
        "works-on-my.cloud",
        "EDITION",
        "Backend Language",
        "Go",
        "Go vs Bun vs FastAPI:",
        "Sample data.",
        "Go starts fastest",
    ]
    positions = [cover.find(part) for part in order]
    assert -1 not in positions and positions == sorted(positions), cover
    for _read, mark in pages:
        # drawn, but as an artifact: outside the structure tree, so never read between two paragraphs
        assert mark and all(c.tag == "Artifact" and c.mcid is None for c in mark)
    for read in orders:
        assert "SAMPLE" not in " ".join(read)
    # each results chapter: its title, then the finding in the shaded callout, then the chart
    startup = next(read for read in orders[2:-1] if read[0] == "Startup time")
    assert startup[1].startswith("Go starts fastest") and startup[2].startswith("[Startup time, best first:"), startup[
        :3
    ]
