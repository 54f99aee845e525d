"""Every character of a PDF with its box, font and marked content, and each page's structure tree, read by PDFium
(C, fast) for the layout and reading-order tests. Boxes are measured like pdfplumber's: `top` and `bottom` from
the page's top edge, the box spanning the font's ascent and descent (PDFium's "loose" box), not the glyph's ink."""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c


@dataclass(frozen=True)
class Char:
    """One character the content stream draws (PDFium's generated spaces and line breaks left out)."""

    text: str
    x0: float
    x1: float
    top: float  # from the page's top edge, like bottom
    bottom: float
    fontname: str
    size: float
    mcid: int | None  # the marked-content id that ties it to a structure element, None when it has none
    tag: str | None  # the innermost marked-content tag ("P", "Artifact", …)


@dataclass(frozen=True)
class Element:
    """A structure element as it shows on one page: its own marked-content ids, alternate text and children."""

    mcids: list[int]
    alt_text: str
    children: list[Element] = field(default_factory=list)


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    chars: list[Char]
    structure: list[Element]


def _utf16(call: Any, *args: Any) -> str:
    """A PDFium string getter's answer (UTF-16LE into a buffer it sizes first)."""
    size = call(*args, None, 0)
    if size <= 2:
        return ""
    buffer = ctypes.create_string_buffer(size)
    call(*args, buffer, size)
    return buffer.raw[: size - 2].decode("utf-16-le")


def _font_name(textpage: Any, index: int) -> str:
    size = pdfium_c.FPDFText_GetFontInfo(textpage, index, None, 0, None)
    buffer = ctypes.create_string_buffer(size)
    pdfium_c.FPDFText_GetFontInfo(textpage, index, buffer, size, None)
    return buffer.value.decode("utf-8", "replace")


def _marks(item: Any) -> tuple[int | None, str | None]:
    """A page object's own marked-content id and innermost tag (None, None when it is not marked)."""
    count = pdfium_c.FPDFPageObj_CountMarks(item)
    if count <= 0:
        return None, None
    mark = pdfium_c.FPDFPageObj_GetMark(item, count - 1)
    size = ctypes.c_ulong()
    pdfium_c.FPDFPageObjMark_GetName(mark, None, 0, ctypes.byref(size))
    buffer = (ctypes.c_ushort * (size.value // 2))()
    pdfium_c.FPDFPageObjMark_GetName(mark, buffer, size.value, ctypes.byref(size))
    mcid = pdfium_c.FPDFPageObj_GetMarkedContentID(item)
    return (None if mcid < 0 else mcid), bytes(buffer)[: size.value - 2].decode("utf-16-le")


def _text_marks(page: Any) -> dict[int | None, tuple[int | None, str | None]]:
    """Each text object's marked-content id and tag, by its address. Text drawn inside a form XObject inherits
    the marks around the form's `Do` (PDFium reports only the marks inside the form; pdfminer both)."""
    found: dict[int | None, tuple[int | None, str | None]] = {}

    def walk(count: int, get: Any, parent: Any, outer: tuple[int | None, str | None]) -> None:
        for index in range(count):
            item = get(parent, index)
            mcid, tag = _marks(item)
            own = (mcid if mcid is not None else outer[0], tag or outer[1])
            kind = pdfium_c.FPDFPageObj_GetType(item)
            if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
                found[ctypes.cast(item, ctypes.c_void_p).value] = own
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                walk(pdfium_c.FPDFFormObj_CountObjects(item), pdfium_c.FPDFFormObj_GetObject, item, own)

    walk(pdfium_c.FPDFPage_CountObjects(page), pdfium_c.FPDFPage_GetObject, page, (None, None))
    return found


def _chars(page: Any, textpage: Any, height: float) -> Iterator[Char]:
    marks = _text_marks(page)
    box, matrix = pdfium_c.FS_RECTF(), pdfium_c.FS_MATRIX()
    for index in range(pdfium_c.FPDFText_CountChars(textpage)):
        if pdfium_c.FPDFText_IsGenerated(textpage, index) == 1:
            continue
        item = pdfium_c.FPDFText_GetTextObject(textpage, index)
        mcid, tag = marks.get(ctypes.cast(item, ctypes.c_void_p).value, (None, None))
        pdfium_c.FPDFText_GetLooseCharBox(textpage, index, box)
        pdfium_c.FPDFText_GetMatrix(textpage, index, matrix)  # the font size is in text space: scale it to points
        size = pdfium_c.FPDFText_GetFontSize(textpage, index) * abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5
        code = pdfium_c.FPDFText_GetUnicode(textpage, index)
        upright = matrix.b == 0 and matrix.c == 0
        yield Char(
            text="-" if code == 2 else chr(code),  # PDFium marks a hyphen that ends a line as U+0002
            x0=box.left,
            x1=box.right,
            # pdfminer's box spans from the descent up one font size; PDFium's up to the font's ascent
            top=height - box.bottom - size if upright else height - box.top,
            bottom=height - box.bottom,
            fontname=_font_name(textpage, index),
            size=size,
            mcid=mcid,
            tag=tag,
        )


def _element(handle: Any) -> Element:
    get = pdfium_c.FPDF_StructElement_GetMarkedContentIdAtIndex
    mcids = [get(handle, i) for i in range(pdfium_c.FPDF_StructElement_GetMarkedContentIdCount(handle))]
    children = []
    for i in range(pdfium_c.FPDF_StructElement_CountChildren(handle)):
        child = pdfium_c.FPDF_StructElement_GetChildAtIndex(handle, i)
        if child:  # marked-content kids are no elements
            children.append(_element(child))
    return Element([m for m in mcids if m >= 0], _utf16(pdfium_c.FPDF_StructElement_GetAltText, handle), children)


def _structure(page: Any) -> list[Element]:
    tree = pdfium_c.FPDF_StructTree_GetForPage(page.raw)
    try:
        count = pdfium_c.FPDF_StructTree_CountChildren(tree)
        return [_element(pdfium_c.FPDF_StructTree_GetChildAtIndex(tree, i)) for i in range(count)]
    finally:
        pdfium_c.FPDF_StructTree_Close(tree)


def read_pages(pdf: Path) -> list[Page]:
    """Every page's size, characters and structure tree."""
    document = pdfium.PdfDocument(pdf)
    try:
        pages = []
        for page in document:
            width, height = page.get_size()
            textpage = page.get_textpage()
            pages.append(Page(width, height, list(_chars(page.raw, textpage.raw, height)), _structure(page)))
            textpage.close()
            page.close()
        return pages
    finally:
        document.close()
