"""PDF writing with WeasyPrint, through a URL fetcher that only serves the project's own assets."""

from __future__ import annotations

import logging
import mimetypes
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.pdf import fonts as weasyprint_fonts
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from report.errors import BuildError
from report.output.structure import finish

ASSET_TYPES = {
    ".svg": "image/svg+xml",
    ".ttf": "font/ttf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".css": "text/css",
}


# Without HarfBuzz's subsetter WeasyPrint quietly subsets the embedded fonts with fontTools instead: other bytes, and
# each font's head.modified set to the clock, so no two builds would match. Only a Debian package apart
# (libharfbuzz-subset0 is not a dependency of Pango; a fresh machine often lacks it): refuse instead of varying.
SUBSETTER_MISSING = (
    "the PDF needs HarfBuzz's font subsetter, libharfbuzz-subset.so.0 4.1 or later (Debian and Ubuntu: "
    "apt-get install libharfbuzz-subset0): without it WeasyPrint subsets the fonts with fontTools, which writes "
    "the time of the build into every embedded font, so no two builds would have the same bytes"
)


def require_font_subsetter() -> None:
    """Raise BuildError unless WeasyPrint will subset the fonts with HarfBuzz, the one subsetter that is repeatable."""
    if weasyprint_fonts.harfbuzz_subset is None or not weasyprint_fonts.harfbuzz.hb_version_atleast(4, 1, 0):
        raise BuildError(SUBSETTER_MISSING)


class RefusedURL(ValueError):
    """A resource outside the allowed folders, or on another scheme, was asked for."""


class SafeFetcher(URLFetcher):  # type: ignore[misc]
    """Serves in-memory charts and files under the allowed folders; refuses everything else."""

    def __init__(self, roots: Iterable[Path], memory: Mapping[str, bytes] | None = None) -> None:
        super().__init__(allowed_protocols={"file"}, allow_redirects=False)
        self.roots = tuple(r.resolve() for r in roots)
        self.memory = dict(memory or {})
        self.refused: list[str] = []
        self.served: list[str] = []

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        """Return the resource, or raise RefusedURL (WeasyPrint then skips it with a warning)."""
        if url in self.memory:
            self.served.append(url)
            return URLFetcherResponse(url, body=self.memory[url], headers={"Content-Type": _type_of(url)})
        parts = urlsplit(url)
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(unquote(parts.path)).resolve()
            if any(path.is_relative_to(root) for root in self.roots) and path.is_file() and path.suffix in ASSET_TYPES:
                self.served.append(url)
                return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": _type_of(url)})
        self.refused.append(url)
        raise RefusedURL(f"refused to fetch {url!r}: only the project's template and data assets are allowed")


def _type_of(url: str) -> str:
    suffix = Path(urlsplit(url).path).suffix.lower()
    return ASSET_TYPES.get(suffix) or mimetypes.guess_type(url)[0] or "application/octet-stream"


def write_pdf(html: str, base_url: str, fetcher: SafeFetcher, options: Mapping[str, Any] | None = None) -> bytes:
    """Lay out and export the PDF bytes."""
    require_font_subsetter()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    # WeasyPrint copies every @font-face file into a temporary folder that it removes only when the
    # FontConfiguration is garbage-collected, which never happens at interpreter exit: own it and clean up.
    font_config = FontConfiguration()
    try:
        document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
            font_config=font_config, **dict(options or {})
        )
        # structure-tree fixes WeasyPrint does not make (header scopes, link descriptions): see report.output.structure
        finisher = finish if dict(options or {}).get("pdf_tags") else None
        data = document.write_pdf(finisher=finisher, **dict(options or {}))
    except Exception as exc:  # WeasyPrint raises many types; the user needs one clear line
        raise BuildError(f"the PDF could not be written: {type(exc).__name__}: {exc}") from exc
    finally:
        folder = getattr(font_config, "_folder", None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
            font_config._folder = None
    if not isinstance(data, bytes):
        raise BuildError("the PDF renderer returned no data")
    return data
