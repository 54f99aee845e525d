"""`lead-magnet preview`: a local web server that rebuilds the report when data/ or templates/ change.

One long-lived process keeps WeasyPrint and matplotlib imported and keeps the charts it drew, so an edit
to a sentence re-renders in well under a second. The browser page polls a version endpoint and reloads
itself; when the input is invalid, the page lists the same problems `lead-magnet check` prints.
"""

from __future__ import annotations

import hashlib
import http.server
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2

from report import pipeline
from report.errors import BuildError, InputError, Problem, ReportError, display_path
from report.inputs.options import DEFAULT_PORT, BuildOptions
from report.inputs.paths import TEMPLATES
from report.output.manifest import PDF_NAME
from report.view.fonts import FACES
from report.view.html import jinja_env, template_problem

HOST = "127.0.0.1"  # never reachable from other machines
SNIPPET = "preview.html.j2"
ERROR_PAGE = "preview-error.html.j2"
PAGES_PAGE = "preview-pages.html.j2"
PAGES_PATH = "/pages"
PAGE_IMAGE_PREFIX = "/__preview/page/"
PAGE_IMAGE_WIDTH = 900  # pixels; sharp enough to read 7.5 pt running heads on a laptop screen
VERSION_PATH = "/__preview/version"
ASSET_PREFIX = "/__preview/asset/"
TEMPLATE_IMAGES = ("sample-mark.svg",)  # images templates/style.css refers to by a relative url()
PDF_PATH = "/" + PDF_NAME

Log = Callable[[str], None]


@dataclass(frozen=True)
class PreviewOptions:
    """What `lead-magnet preview` was asked to do."""

    data_dir: Path
    port: int = DEFAULT_PORT
    page_size: str = "a4"
    templates: Path = TEMPLATES


@dataclass(frozen=True)
class Page:
    """One rebuild's result: the page to show, the charts it links to, and whether the input was valid."""

    version: str
    html: bytes
    charts: dict[str, bytes] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the page is the report, not the error list."""
        return not self.problems


class ChartCache(MutableMapping[str, bytes]):
    """SVGs by hash of their inputs; after each rebuild, charts that were not used again are dropped."""

    def __init__(self) -> None:
        self._items: dict[str, bytes] = {}
        self._used: set[str] = set()
        self.drawn = 0

    def __getitem__(self, key: str) -> bytes:
        self._used.add(key)
        return self._items[key]

    def __setitem__(self, key: str, value: bytes) -> None:
        self._used.add(key)
        self.drawn += 1
        self._items[key] = value

    def __delitem__(self, key: str) -> None:
        del self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def start(self) -> None:
        """Begin a rebuild."""
        self._used = set()
        self.drawn = 0

    def prune(self) -> None:
        """Forget the charts the last rebuild did not use, so memory stays flat over a long session."""
        self._items = {k: v for k, v in self._items.items() if k in self._used}


class Preview:
    """Holds the current page and rebuilds it; safe to read from the server's threads while rebuilding."""

    def __init__(self, options: PreviewOptions) -> None:
        self.options = options
        self.cache = ChartCache()
        self._own = jinja_env(TEMPLATES)  # the preview's own pages, not the user's templates
        self._lock = threading.Lock()  # guards `page`, which the server's threads read
        # One render at a time: matplotlib's rc settings and WeasyPrint are process-wide, so a PDF requested
        # while a save is being rebuilt waits for it instead of drawing charts alongside it.
        self._work = threading.Lock()
        self._pdf: tuple[str, bytes] | None = None
        self._images: tuple[bytes, list[bytes]] | None = None  # (the PDF they came from, one PNG per page)
        # Fonts and the logo are file:// URLs in the report; the browser gets them from the server instead.
        self.assets: dict[str, Path] = {}
        self.page = Page("", b"")

    def rebuild(self) -> Page:
        """Validate and render the report (or the error list) and make it the current page."""
        problems: list[str] = []
        html = ""
        charts: dict[str, bytes] = {}
        try:
            with self._work:
                self.cache.start()
                inputs = pipeline.load(self.options.data_dir)
                html, drawn = pipeline.render(inputs, self.options.page_size, self.options.templates, self.cache)
                self.cache.prune()
            charts = {chart.file: svg for svg, chart in drawn.values()}
            html = self._serve_assets(html, inputs.data_dir / inputs.config.brand.logo)
        except ReportError as exc:
            problems = [str(p) for p in exc.problems()]
        except jinja2.TemplateError as exc:  # someone is editing templates/: say where, like an input problem
            problems = [str(template_problem(exc, self.options.templates))]
        except Exception as exc:  # a bug: keep serving and say so on the page
            traceback.print_exc()
            problems = [f"lead-magnet: internal error: {type(exc).__name__}: {exc}"]
        page_html = self._page(html, problems)
        version = hashlib.sha256(page_html.encode("utf-8")).hexdigest()[:16]
        page = Page(version, self._with_snippet(page_html, version), charts, tuple(problems))
        with self._lock:
            self.page = page
        return page

    def current(self) -> Page:
        """The page to serve now."""
        with self._lock:
            return self.page

    def pdf(self) -> bytes:
        """The PDF of the current input, built once per version, in a private temporary folder."""
        with self._work:
            version = self.current().version
            if self._pdf is None or self._pdf[0] != version:
                with tempfile.TemporaryDirectory(prefix="lead-magnet-preview-") as tmp:
                    result = pipeline.build(
                        BuildOptions(
                            data_dir=self.options.data_dir,
                            out_dir=Path(tmp),
                            page_size=self.options.page_size,
                            templates=self.options.templates,
                        )
                    )
                    self._pdf = (version, result.pdf.read_bytes())
            return self._pdf[1]

    def page_images(self) -> list[bytes]:
        """The current PDF's pages as PNG images, exactly as printed; rendered once per PDF."""
        pdf = self.pdf()
        with self._work:  # PDFium is not thread-safe
            if self._images is None or self._images[0] != pdf:
                self._images = (pdf, _render_pages(pdf, PAGE_IMAGE_WIDTH))
            return self._images[1]

    def pages_page(self) -> Page:
        """The "exact pages" view: every page of the PDF as an image, reloading itself like the report."""
        page = self.current()
        if not page.ok:
            return page
        count = len(self.page_images())
        html = self._own.get_template(PAGES_PAGE).render(
            count=count, version=page.version, prefix=PAGE_IMAGE_PREFIX, width=PAGE_IMAGE_WIDTH
        )
        return Page(page.version, self._with_snippet(html, page.version, sheet=False))

    def _serve_assets(self, html: str, logo: Path) -> str:
        for path in [*FACES.values(), logo]:
            resolved = path.resolve()
            key = hashlib.sha256(str(resolved).encode()).hexdigest()[:12] + "/" + resolved.name
            self.assets[key] = resolved
            html = html.replace(resolved.as_uri(), ASSET_PREFIX + key)
        # The stylesheet names template images relatively (WeasyPrint resolves them against templates/); a browser
        # would ask the preview's root for them, so they are served as assets too.
        for name in TEMPLATE_IMAGES:
            self.assets[name] = TEMPLATES / name
            html = html.replace(f'url("{name}")', f'url("{ASSET_PREFIX}{name}")')
        return html

    def _page(self, html: str, problems: list[str]) -> str:
        if not problems:
            return html
        return self._own.get_template(ERROR_PAGE).render(
            problems=problems, data_dir=display_path(self.options.data_dir), count=len(problems)
        )

    def _with_snippet(self, html: str, version: str, *, sheet: bool = True) -> bytes:
        snippet = self._own.get_template(SNIPPET).render(
            version=version,
            version_url=VERSION_PATH,
            pdf_url=PDF_PATH,
            pages_url=PAGES_PATH,
            page_size=self.options.page_size,
            sheet=sheet,
        )
        head, sep, tail = html.rpartition("</body>")
        return (head + snippet + sep + tail if sep else html + snippet).encode("utf-8")


class _Handler(http.server.BaseHTTPRequestHandler):
    preview: Preview  # set on the subclass serve() makes

    def do_GET(self) -> None:
        host = self.headers.get("Host", "")
        if host.rsplit(":", 1)[0] not in ("127.0.0.1", "localhost"):
            # Another site's page that resolved its own name to 127.0.0.1 (DNS rebinding) gets nothing.
            self._send(403, "text/plain; charset=utf-8", b"the preview answers only to 127.0.0.1 and localhost")
            return
        path = unquote(urlsplit(self.path).path)
        page = self.preview.current()
        if path in ("/", "/index.html"):
            self._send(200 if page.ok else 422, "text/html; charset=utf-8", page.html)
        elif path == VERSION_PATH:
            self._send(200, "text/plain; charset=utf-8", page.version.encode())
        elif path.startswith("/charts/") and path.removeprefix("/charts/") in page.charts:
            self._send(200, "image/svg+xml", page.charts[path.removeprefix("/charts/")])
        elif path.startswith(ASSET_PREFIX) and path.removeprefix(ASSET_PREFIX) in self.preview.assets:
            asset = self.preview.assets[path.removeprefix(ASSET_PREFIX)]
            kind = {".svg": "image/svg+xml", ".ttf": "font/ttf", ".png": "image/png"}.get(asset.suffix, "")
            self._send(200, kind or "application/octet-stream", asset.read_bytes())
        elif path == PDF_PATH:
            self._send_pdf(page)
        elif path == PAGES_PATH:
            self._send_built(lambda: self.preview.pages_page().html, "text/html; charset=utf-8")
        elif path.startswith(PAGE_IMAGE_PREFIX) and path.endswith(".png"):
            self._send_page_image(path.removeprefix(PAGE_IMAGE_PREFIX).removesuffix(".png"))
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found")

    def _send_pdf(self, page: Page) -> None:
        if not page.ok:
            self._send(422, "text/html; charset=utf-8", page.html)
            return
        self._send_built(self.preview.pdf, "application/pdf")

    def _send_page_image(self, number: str) -> None:
        if not number.isdigit():
            self._send(404, "text/plain; charset=utf-8", b"not found")
            return

        def image() -> bytes:
            images = self.preview.page_images()
            return images[int(number) - 1] if 1 <= int(number) <= len(images) else b""

        self._send_built(image, "image/png")

    def _send_built(self, build: Callable[[], bytes], kind: str) -> None:
        try:
            body = build()
        except ReportError:  # the input changed under us; the rebuild will show why
            self._send(422, "text/html; charset=utf-8", self.preview.current().html)
            return
        if not body:
            self._send(404, "text/plain; charset=utf-8", b"not found")
        elif kind.startswith("text/html") and not self.preview.current().ok:
            self._send(422, kind, body)
        else:
            self._send(200, kind, body)

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would drown the rebuild messages


def serve(options: PreviewOptions, log: Log, ready: Callable[[str], None] | None = None) -> None:
    """Build, serve on 127.0.0.1 and rebuild on every change until interrupted (Ctrl+C)."""
    import watchfiles

    from report.output import pdf  # noqa: F401  # imported once here so rebuilds don't pay for it

    if not options.data_dir.is_dir():
        raise InputError([Problem(display_path(options.data_dir), None, "", "data folder not found")])
    preview = Preview(options)
    handler = type("Handler", (_Handler,), {"preview": preview})
    try:
        server = http.server.ThreadingHTTPServer((HOST, options.port), handler)
    except OSError as exc:
        raise BuildError(
            f"cannot listen on {HOST}:{options.port} ({exc.strerror}); another preview may be running there. "
            f"Stop it, or pick another port: lead-magnet preview --port {options.port + 1}"
        ) from exc
    server.daemon_threads = True
    url = f"http://{HOST}:{server.server_address[1]}/"
    started = time.perf_counter()
    _report(preview, preview.rebuild(), started, log, "built")
    thread = threading.Thread(target=server.serve_forever, name="preview-server", daemon=True)
    thread.start()
    watched = [options.data_dir, options.templates]
    log(f"Previewing {display_path(options.data_dir)} at {url}")
    log(f"  the PDF: {url}{PDF_NAME}")
    log(f"  watching {' and '.join(display_path(p) + '/' for p in watched)}; the page reloads itself after each save.")
    log("  Press Ctrl+C to stop.")
    if ready is not None:
        ready(url)
    stop = threading.Event()
    try:
        for changes in watchfiles.watch(*watched, stop_event=stop, debounce=400, step=50, yield_on_timeout=False):
            started = time.perf_counter()
            page = preview.rebuild()
            _report(preview, page, started, log, f"rebuilt after {_names(c[1] for c in changes)} changed")
    except KeyboardInterrupt:
        log("preview stopped.")
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def _report(preview: Preview, page: Page, started: float, log: Log, what: str) -> None:
    took = time.perf_counter() - started
    if page.ok:
        redrawn = preview.cache.drawn
        log(f"{what} in {took:.1f} s ({redrawn} chart{'s' if redrawn != 1 else ''} redrawn).")
        return
    count = len(page.problems)
    log(f"{what}: {count} problem{'s' if count != 1 else ''} found; the page lists them until they are fixed:")
    for problem in page.problems:
        log(f"error: {problem}")


def _render_pages(pdf: bytes, width: int) -> list[bytes]:
    import io

    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        images = []
        for index in range(len(document)):
            page = document[index]
            bitmap = page.render(scale=width / page.get_size()[0], may_draw_forms=False)
            buffer = io.BytesIO()
            bitmap.to_pil().save(buffer, "PNG", compress_level=1)  # a local preview: speed over size
            images.append(buffer.getvalue())
            page.close()
        return images
    finally:
        document.close()


def _names(paths: Iterable[str]) -> str:
    existing = {p for p in paths if Path(p).exists()}  # editors' temporary files come and go in one batch
    names = sorted({display_path(Path(p)) for p in existing or paths})
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
