"""`lead-magnet preview`: rebuilds in process, reuses charts, shows errors, and reloads a real browser by itself."""

from __future__ import annotations

import io
import json
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from report import pipeline
from report.inputs.paths import TEMPLATES
from report.output.manifest import PDF_NAME
from report.preview import SNIPPET, ChartCache, Preview, PreviewOptions
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, DATA, ROOT, CliResult, edit

NEW_SENTENCE = "Marketing rewrote this sentence while the preview was open."
BAD_COLOR_LINE = "error: data/report.yaml:10: brand.primary_color: expected a colour like #1A2B3C, found 'blue'"


# --- in process: the rebuild, the chart cache and the error page ---------------------------------------------


@pytest.fixture
def preview(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Preview:
    monkeypatch.chdir(data_dir.parent)
    return Preview(PreviewOptions(data_dir=Path("data")))


def test_first_build_draws_every_chart_and_a_copy_edit_redraws_none(preview: Preview, data_dir: Path) -> None:
    first = preview.rebuild()
    assert first.ok
    assert preview.cache.drawn == len(first.charts) >= 7
    edit(data_dir / "copy" / "summary.md", "The rest of this", f"{NEW_SENTENCE} The rest of this")
    second = preview.rebuild()
    assert NEW_SENTENCE in second.html.decode()
    assert preview.cache.drawn == 0
    assert second.charts == first.charts
    assert second.version != first.version


def test_a_colour_change_redraws_only_the_charts_that_use_it(preview: Preview, data_dir: Path) -> None:
    preview.rebuild()
    edit(data_dir / "report.yaml", 'color: "#E69F00"', 'color: "#CC79A7"')
    page = preview.rebuild()
    assert page.ok
    assert 0 < preview.cache.drawn <= len(page.charts)
    assert len(preview.cache) == len(page.charts)  # the old drawings were dropped, not kept forever


def test_cached_charts_are_the_bytes_a_fresh_build_draws(preview: Preview) -> None:
    preview.rebuild()
    inputs = pipeline.load(Path("data"))
    _html, fresh = pipeline.render(inputs, "a4")
    assert preview.rebuild().charts == {chart.file: svg for svg, chart in fresh.values()}


def test_nothing_changed_means_the_same_version(preview: Preview) -> None:
    assert preview.rebuild().version == preview.rebuild().version


def test_the_reload_script_is_only_in_the_preview_never_in_the_pdf_html(preview: Preview) -> None:
    page = preview.rebuild().html.decode()
    assert "lm-preview-bar" in page and "/__preview/version" in page
    html, _drawn = pipeline.render(pipeline.load(Path("data")), "a4")
    assert "lm-preview" not in html and "__preview" not in html
    assert SNIPPET not in html


def test_the_browser_gets_fonts_and_logo_from_the_server_not_from_file_urls(preview: Preview) -> None:
    page = preview.rebuild().html.decode()
    assert "file://" not in page
    assert any(path.name == "logo.svg" for path in preview.assets.values())
    # the SAMPLE DATA watermark is a stylesheet url(): served by the preview, not asked of the site's root
    assert 'url("/__preview/asset/sample-mark.svg")' in page and 'url("sample-mark.svg")' not in page
    assert preview.assets["sample-mark.svg"].read_bytes().startswith(b"<svg")


def test_invalid_input_shows_every_problem_as_the_cli_prints_it(preview: Preview, data_dir: Path) -> None:
    edit(data_dir / "report.yaml", 'primary_color: "#14213D"', 'primary_color: "blue"')
    edit(data_dir / "rubric.yaml", "weight:", "wieght:", count=1)
    page = preview.rebuild()
    assert not page.ok
    assert len(page.problems) >= 2
    text = page.html.decode()
    assert f"problem{'s' if len(page.problems) != 1 else ''} to fix" in text
    for problem in page.problems:
        assert f"<li>error: {_escape(problem)}</li>" in text
    assert "lm-preview-bar" in text  # the error page reloads itself too, so the fix shows up


def test_the_error_page_recovers_when_the_file_is_fixed(preview: Preview, data_dir: Path) -> None:
    edit(data_dir / "report.yaml", 'primary_color: "#14213D"', 'primary_color: "blue"')
    assert not preview.rebuild().ok
    edit(data_dir / "report.yaml", 'primary_color: "blue"', 'primary_color: "#14213D"')
    page = preview.rebuild()
    assert page.ok and "Backend Language Comparison" in page.html.decode()


def test_a_broken_template_shows_where_instead_of_crashing(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(data_dir.parent)
    templates = data_dir.parent / "templates"
    shutil.copytree(TEMPLATES, templates)
    edit(templates / "report.html.j2", "<body", "{% if %}\n<body")
    line = (templates / "report.html.j2").read_text(encoding="utf-8").splitlines().index("{% if %}") + 1
    page = Preview(PreviewOptions(data_dir=Path("data"), templates=Path("templates"))).rebuild()
    assert page.problems == (
        f"templates/report.html.j2:{line}: template error: Expected an expression, got 'end of statement block'",
    )


def test_preview_refuses_a_missing_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., CliResult]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli("preview", "--data", "nope", "--port", "0")
    assert (result.code, result.out) == (1, "")
    assert result.err == "error: nope: data folder not found\nlead-magnet: 1 problem found; nothing was written.\n"


def test_a_port_in_use_says_what_to_do(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., CliResult]
) -> None:
    monkeypatch.chdir(data_dir.parent)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("preview", "--data", "data", "--port", str(port))
    assert result.code == 1
    assert result.err == (
        f"error: lead-magnet: cannot listen on 127.0.0.1:{port} (Address already in use); another preview may be "
        f"running there. Stop it, or pick another port: lead-magnet preview --port {port + 1}\n"
        "lead-magnet: 1 problem found; nothing was written.\n"
    )


@pytest.mark.slow
def test_exact_pages_are_the_pdf_pages_as_images(preview: Preview) -> None:
    from pypdf import PdfReader

    preview.rebuild()
    pages = len(PdfReader(io.BytesIO(preview.pdf())).pages)
    images = preview.page_images()
    assert len(images) == pages
    assert all(image.startswith(b"\x89PNG\r\n\x1a\n") for image in images)
    view = preview.pages_page().html.decode()
    assert view.count('<img src="/__preview/page/') == pages
    assert f'alt="Page {pages} of {pages}"' in view
    assert "lm-preview-bar" in view  # it reloads itself like the report view
    assert preview.page_images() is images  # rendered once per PDF


def test_chart_cache_forgets_what_a_rebuild_did_not_use() -> None:
    cache = ChartCache()
    cache.start()
    cache["a"], cache["b"] = b"1", b"2"
    cache.prune()
    cache.start()
    assert "a" in cache and cache["a"] == b"1"
    cache.prune()
    assert list(cache) == ["a"]


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;").replace('"', "&#34;")
    )


# --- end to end: the real command, a real browser -------------------------------------------------------------


class Server:
    """`lead-magnet preview` as a child process; collects what it prints."""

    def __init__(self, cwd: Path) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "report", "preview", "--data", "data", "--port", "0"],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**_clean_env(), "PYTHONPATH": str(ROOT)},
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, prefix: str, timeout: float = 60) -> str:
        """The first printed line starting with `prefix`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if line.startswith(prefix):
                return line
        raise AssertionError(f"preview never printed {prefix!r}; it printed:\n" + "\n".join(self.seen))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Browser:
    """Headless Chromium driven over the DevTools protocol (a websocket); no browser download needed."""

    def __init__(self, url: str, profile: Path) -> None:
        import websocket  # websocket-client

        assert CHROMIUM is not None
        profile.mkdir()
        self.process = subprocess.Popen(
            [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", url],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        _until(lambda: port_file.exists() and len(port_file.read_text().splitlines()) >= 2, 30, "Chromium to start")
        port = port_file.read_text().splitlines()[0]
        targets: list[dict[str, Any]] = []

        def page_target() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as response:
                targets[:] = [t for t in json.load(response) if t.get("type") == "page"]
            return bool(targets)

        _until(page_target, 30, "Chromium to open the page")
        self.socket = websocket.create_connection(targets[0]["webSocketDebuggerUrl"], timeout=10, suppress_origin=True)
        self.next_id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result, skipping the events sent meanwhile."""
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise AssertionError(f"{method} failed: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the open page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def text(self) -> str:
        """What a reader sees on the page."""
        value = self.evaluate("document.body ? document.body.innerText : ''")
        return str(value or "")

    def close(self) -> None:
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _until(ready: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}" + (f" ({last})" if last else ""))


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    shutil.copytree(DATA, tmp_path / "data")
    server = Server(tmp_path)
    try:
        line = server.wait_for("Previewing ")
        yield server, line.rsplit(" at ", 1)[1]
    finally:
        server.stop()


@pytest.fixture
def browser_for(tmp_path: Path) -> Iterator[Callable[[str], Browser]]:
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: run `make system-deps` (Debian packages chromium, chromium-driver)")
    opened: list[Browser] = []

    def open_(url: str) -> Browser:
        opened.append(Browser(url, tmp_path / "chromium-profile"))
        return opened[-1]

    yield open_
    for browser in opened:
        browser.close()


def _page_shows(browser: Browser, text: str, timeout: float = 30) -> None:
    _until(lambda: text in browser.text(), timeout, f"the page to show {text!r}")


@pytest.mark.slow
def test_browser_shows_a_copy_edit_and_an_error_without_a_manual_reload(
    running: tuple[Server, str], browser_for: Callable[[str], Browser], tmp_path: Path
) -> None:
    server, url = running
    browser = browser_for(url)
    _page_shows(browser, "Backend Language Comparison")
    assert NEW_SENTENCE not in browser.text()

    # A copy edit: the open page updates by itself (the test never asks the browser to reload),
    # and the reader stays where they were on the page.
    _until(lambda: browser.evaluate("document.readyState") == "complete", 30, "the page to load")
    browser.evaluate("window.scrollTo(0, 1500)")
    edit(tmp_path / "data" / "copy" / "summary.md", "The rest of this", f"{NEW_SENTENCE} The rest of this")
    _page_shows(browser, NEW_SENTENCE)
    _until(lambda: browser.evaluate("window.scrollY") == 1500, 10, "the page to keep its scroll position")
    assert "0 charts redrawn" in server.wait_for("rebuilt after data/copy/summary.md")

    # An invalid edit: the page lists the problem exactly as `lead-magnet check` prints it.
    report_yaml = tmp_path / "data" / "report.yaml"
    edit(report_yaml, 'primary_color: "#14213D"', 'primary_color: "blue"')
    _page_shows(browser, BAD_COLOR_LINE)
    check = subprocess.run(
        [sys.executable, "-m", "report", "check", "--data", "data"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**_clean_env(), "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert check.returncode == 1
    assert BAD_COLOR_LINE in check.stderr.splitlines()
    assert NEW_SENTENCE not in browser.text()  # no stale report under the error

    # Fixed: the report comes back, with the edit still in it.
    edit(report_yaml, 'primary_color: "blue"', 'primary_color: "#14213D"')
    _page_shows(browser, NEW_SENTENCE)
    assert BAD_COLOR_LINE not in browser.text()

    # The PDF of what is on screen is served next to it.
    with urllib.request.urlopen(url + PDF_NAME, timeout=60) as response:
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.read(5) == b"%PDF-"


@pytest.mark.slow
def test_the_server_listens_on_loopback_only(running: tuple[Server, str]) -> None:
    _server, url = running
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url + "__preview/version", timeout=10) as response:
        assert len(response.read().strip()) == 16
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(url + "../../etc/passwd", timeout=10)
    assert missing.value.code == 404
    # A page from another site whose name was made to point at 127.0.0.1 (DNS rebinding) is refused.
    rebound = urllib.request.Request(url, headers={"Host": "attacker.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(rebound, timeout=10)
    assert refused.value.code == 403
