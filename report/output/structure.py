"""Fixes to the PDF's structure tree that WeasyPrint does not make itself, applied before the PDF is written.

WeasyPrint calls `finish` with its laid-out document and the pydyf PDF it is about to serialise (the `finisher`
hook of `write_pdf`), so the fixes cost no re-parse and the bytes stay deterministic: nothing here depends on
time, randomness or the order of a dict that is not already fixed.

- Table headers get `/Scope /Column` or `/Row` from the HTML's `scope` attribute (ISO 32000-1 14.8.5.7, Matterhorn
  15-003): without it a screen reader cannot tie a number to its column or row header.
- Link annotations get the link's own text as `/Contents` (PDF/UA-1 7.18.5), not WeasyPrint's default, the
  bare target (`#startup`, a URL).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pydyf

from report.errors import BuildError

ROW_SCOPES = {"row", "rowgroup"}
COLUMN_SCOPES = {"col", "colgroup"}


def finish(document: Any, pdf: pydyf.PDF) -> None:
    """WeasyPrint's finisher: complete the structure tree; raise BuildError if a fix could not be made."""
    boxes = [box for page in document.pages for box in _walk(page._page_box, in_head=False)]
    scoped = _scope_headers(boxes)
    _describe_links([box for box, _ in boxes])
    unscoped = sum(1 for obj in pdf.objects if _is_header(obj) and "Scope" not in obj.get("A", {}))
    if unscoped:
        # a WeasyPrint upgrade that stops exposing the cells' structure elements must not ship a PDF without scopes
        raise BuildError(
            f"{unscoped} table header cells have no /Scope in the PDF ({scoped} were given one); "
            "the installed WeasyPrint no longer matches report/output/structure.py"
        )


def _walk(box: Any, in_head: bool) -> Iterator[tuple[Any, bool]]:
    """Every laid-out box under `box` (absolutely positioned ones included), and whether it is in a thead."""
    box = getattr(box, "_box", box)  # an absolute or fixed box sits in the tree behind a placeholder
    in_head = in_head or getattr(box, "element_tag", None) == "thead"
    yield box, in_head
    for child in getattr(box, "children", ()):
        yield from _walk(child, in_head)


def _is_header(obj: object) -> bool:
    return isinstance(obj, pydyf.Dictionary) and obj.get("S") == "/TH"


def _scope_headers(boxes: list[tuple[Any, bool]]) -> int:
    """/Scope on every TH structure element from its cell's HTML; returns how many were set."""
    count = 0
    for box, in_head in boxes:
        element = getattr(box, "mark", None)  # WeasyPrint keeps each cell's structure element on its box
        if getattr(box, "element_tag", None) != "th" or not isinstance(element, pydyf.Dictionary):
            continue
        element["A"]["Scope"] = "/" + header_scope(box.element.get("scope"), in_head)
        count += 1
    return count


def header_scope(scope: str | None, in_head: bool) -> str:
    """The PDF scope of an HTML header cell: its `scope` attribute; without one, Column in thead, Row elsewhere."""
    value = (scope or "").strip().lower()
    if value in ROW_SCOPES:
        return "Row"
    if value in COLUMN_SCOPES:
        return "Column"
    return "Column" if in_head else "Row"


def _describe_links(boxes: list[Any]) -> None:
    """A link's /Contents says what a reader would click on: its text, and where an outside link goes."""
    for box in boxes:
        annotation = getattr(box, "link_annotation", None)
        if annotation is None or box.element is None:
            continue
        text = "".join(box.element.itertext())
        if text.strip():
            annotation["Contents"] = pydyf.String(link_description(text, str(box.element.get("href") or "")))


def link_description(text: str, href: str) -> str:
    """`text`, plus the site for an outside link whose text does not already name it."""
    text = re.sub(r"\s+", " ", text).strip()
    parts = urlsplit(href)
    if parts.scheme in ("http", "https") and parts.netloc and parts.netloc.lower() not in text.lower():
        return f"{text} ({parts.netloc})"
    if parts.scheme == "mailto" and parts.path and parts.path.lower() not in text.lower():
        return f"{text} ({parts.path})"
    return text
