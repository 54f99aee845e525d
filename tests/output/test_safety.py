"""Untrusted input: no file outside the project's assets and no network request reaches the PDF."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from report.output.pdf import RefusedURL, SafeFetcher, write_pdf
from tests.conftest import CliResult, edit


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    """A server on 127.0.0.1 that records every request it gets."""
    _Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetcher_refuses_files_outside_the_allowed_folders(tmp_path: Path) -> None:
    allowed = tmp_path / "assets"
    allowed.mkdir()
    (allowed / "ok.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    fetcher = SafeFetcher([allowed])
    assert fetcher.fetch((allowed / "ok.svg").as_uri()).read().startswith(b"<svg")
    for url in [
        "file:///etc/passwd",
        (allowed / ".." / "x.svg").as_uri(),
        "http://127.0.0.1:9/",
        "https://example.com/x.png",
        "ftp://127.0.0.1/x",
        (allowed / "missing.svg").as_uri(),
    ]:
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 6


def test_symlink_out_of_an_allowed_folder_is_refused(tmp_path: Path) -> None:
    allowed = tmp_path / "assets"
    allowed.mkdir()
    (allowed / "evil.svg").symlink_to("/etc/passwd")
    with pytest.raises(RefusedURL):
        SafeFetcher([allowed]).fetch((allowed / "evil.svg").as_uri())


def test_css_urls_are_neither_fetched_nor_embedded(tmp_path: Path, local_server: str) -> None:
    html = f"""<html><head><style>
      body {{ background: url("file:///etc/passwd"); }}
      p {{ background-image: url("{local_server}/css.png"); }}
      @import url("{local_server}/style.css");
    </style></head><body><p>hello</p><img src="file:///etc/passwd"><img src="{local_server}/img.png"></body></html>"""
    fetcher = SafeFetcher([tmp_path])
    pdf = write_pdf(html, tmp_path.as_uri() + "/", fetcher)
    assert _Recorder.hits == []
    assert b"root:x:0:0" not in pdf
    assert "file:///etc/passwd" in fetcher.refused
    assert any(url.startswith(local_server) for url in fetcher.refused)


def test_copy_cannot_pull_in_local_files_or_network(
    data_dir: Path, tmp_path: Path, local_server: str, run_cli: Callable[..., CliResult]
) -> None:
    with (data_dir / "copy" / "about.md").open("a", encoding="utf-8") as handle:
        handle.write(f"\n![x]({local_server}/copy.png) ![y](file:///etc/passwd)\n")
    out = tmp_path / "out"
    result = run_cli("build", "--data", data_dir, "--out", out)
    assert result.code == 1
    assert "image: expected an image path inside the data folder" in result.err
    assert _Recorder.hits == []
    assert not out.exists()


def test_raw_html_in_copy_is_refused_before_anything_is_fetched_or_written(
    data_dir: Path, tmp_path: Path, local_server: str, run_cli: Callable[..., CliResult]
) -> None:
    with (data_dir / "copy" / "about.md").open("a", encoding="utf-8") as handle:
        handle.write(f'\n<img src="{local_server}/raw.png"> <iframe src="file:///etc/passwd"></iframe> <b>bold</b>\n')
    out = tmp_path / "out"
    result = run_cli("build", "--data", data_dir, "--out", out, "--html")
    assert result.code == 1
    problems = [line for line in result.err.splitlines() if line.startswith("error: ")]
    assert len(problems) == 3 and all("about.md:" in line and "html: raw HTML (" in line for line in problems)
    text = "\n".join(problems)
    assert (
        "(<img>)" in text
        and "(<iframe>)" in text
        and "(<b>) would print as typed, not be applied; write **bold**" in text
    )
    assert _Recorder.hits == []
    assert not out.exists()


def test_logo_outside_data_is_refused(data_dir: Path, run_cli: Callable[..., CliResult]) -> None:
    edit(data_dir / "report.yaml", "logo: brand/logo.svg", "logo: file:///etc/passwd")
    result = run_cli("check", "--data", data_dir)
    assert result.code == 1
    assert "brand.logo: expected a path inside the data folder such as brand/logo.svg, found 'file:///etc/passwd'" in (
        result.err
    )


@pytest.mark.slow  # renders its own PDF
def test_markup_in_data_is_escaped(data_dir: Path, tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    edit(data_dir / "report.yaml", "name: Bun", 'name: "Bun <script>alert(1)</script>"')
    out = tmp_path / "out"
    result = run_cli("build", "--data", data_dir, "--out", out, "--html")
    assert result.code == 0, result.err
    html = (out / "backend-language-comparison.html").read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "Bun &lt;script&gt;" in html


def test_yaml_tags_that_build_objects_are_refused(data_dir: Path, run_cli: Callable[..., CliResult]) -> None:
    edit(
        data_dir / "report.yaml",
        'author: "works-on-my.cloud"',
        "author: !!python/object/apply:os.system ['touch /tmp/pwned']",
    )
    result = run_cli("check", "--data", data_dir)
    assert result.code == 1
    assert "report.yaml" in result.err and "not valid YAML" in result.err
    assert "Traceback" not in result.err
