"""The PDF as publishing sees it: its page count, and page 1 as the cover PNG (deterministic bytes).

PDFium is imported inside the functions, so importing this module stays light.
"""

from __future__ import annotations

from collections.abc import Sequence

from report.errors import BuildError, Problem, PublishError

COVER_WIDTH = 1200
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def pdf_pages(pdf: bytes, shown: str) -> int:
    """Open the PDF with PDFium and count its pages."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise PublishError(
            [Problem(shown, None, "", f"expected a PDF that opens, found one that does not ({exc})")]
        ) from None
    try:
        return len(document)
    finally:
        document.close()


def cover_png(pdf: bytes, width: int = COVER_WIDTH) -> tuple[bytes, int, int]:
    """Page 1 as a PNG exactly `width` pixels wide; the same PDF gives the same bytes."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        page_width, _page_height = page.get_size()
        # PDFium rounds the bitmap size up, so aim half a pixel low to land on exactly `width`
        bitmap = page.render(scale=(width - 0.5) / page_width, may_draw_forms=False, rev_byteorder=True)
        if bitmap.mode != "RGB" or bitmap.width != width:
            raise BuildError(f"the cover render came out {bitmap.width} px {bitmap.mode}, expected {width} px RGB")
        stride, height = bitmap.stride, bitmap.height
        raw = bytes(memoryview(bitmap.buffer))  # one copy: slicing the ctypes array row by row took 0.1 s
        rows = [raw[y * stride : y * stride + width * 3] for y in range(height)]
        page.close()
    finally:
        document.close()
    return png_rgb(rows, width), width, height


def png_rgb(rows: Sequence[bytes], width: int) -> bytes:
    """Encode 8-bit RGB rows as a PNG with no metadata.

    Deliberately not Pillow: its bundled zlib-ng may compress differently on another CPU, while the standard
    library's zlib is the same one that already compresses the PDF's streams.
    """
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, len(rows), 8, 2, 0, 0, 0)  # 8-bit truecolour, no interlace
    # filter 0 on each row; zlib's default level: level 9 took twice as long for a few KiB on a flat cover
    data = zlib.compress(b"".join(b"\x00" + row for row in rows), 6)
    return PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def png_size(head: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's first 24 bytes, or None when they are not a PNG's."""
    if head[:8] != PNG_SIGNATURE or len(head) < 24:
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
