"""Content-addressed copies: a client that follows the manifest's names never gets a mismatched pair.

Four real builds (the sample data with four subtitles; the first is the run's shared build) go into one folder,
one after another, as a reader's server would see them over four editions of the day; the tests then prune, publish
and serve them over HTTP.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from report.cli import main
from report.output import immutable, publish
from report.output.manifest import COVER_NAME, MANIFEST_NAME, PDF_NAME, RESULTS_NAME, STEM
from tests.conftest import DATA, SharedBuilds, edit, snapshot

pytestmark = pytest.mark.slow  # four builds, then publishes under load over HTTP

BUILDS = 4


def _manifest(folder: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    return loaded


def _addressed(folder: Path) -> set[str]:
    return {p.name for paths in immutable.copies(folder, STEM).values() for p in paths}


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory, shared: SharedBuilds) -> tuple[Path, list[Path]]:
    """The shared build folder after four builds, and a snapshot of the folder after each build.

    The first build is the run's shared sample build (its original subtitle); three more follow in the same
    folder, each with its own subtitle."""
    root = tmp_path_factory.mktemp("immutable")
    data = root / "data"
    shutil.copytree(DATA, data)
    out = root / "output"
    shutil.copytree(shared.out("default-a4"), out)
    states = [root / "state-0"]
    shutil.copytree(out, states[0])
    subtitle = "subtitle: "
    for i in range(1, BUILDS):
        text = (data / "report.yaml").read_text(encoding="utf-8")
        line = next(line for line in text.splitlines() if line.startswith(subtitle))
        edit(data / "report.yaml", line, f'{subtitle}"Build {i}: startup, memory and throughput side by side"')
        assert main(["build", "--data", str(data), "--out", str(out)]) == 0
        state = root / f"state-{i}"
        shutil.copytree(out, state)
        states.append(state)
    return out, states


def test_build_keeps_the_copies_of_the_last_three_builds(builds: tuple[Path, list[Path]]) -> None:
    out, states = builds
    names = [_manifest(s)["content_addressed"] for s in states]
    assert len({n["pdf"] for n in names}) == BUILDS  # four different PDFs
    assert _addressed(out) == {n[k] for n in names[-immutable.KEEP_BUILDS :] for k in ("pdf", "cover")}
    assert publish.verify(out)["content_addressed"] == names[-1]
    for name in (PDF_NAME, COVER_NAME, RESULTS_NAME, MANIFEST_NAME):
        assert (out / name).is_file()  # the stable names stay


def test_publish_prunes_the_oldest_and_keeps_a_republished_build(
    builds: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    _out, states = builds
    dest = tmp_path / "downloads"
    names = [_manifest(s)["content_addressed"] for s in states]
    for state in states[1:]:
        publish.publish(state, dest)
    before = snapshot(dest)
    publish.publish(states[-1], dest)
    assert snapshot(dest) == before  # republishing the same set touches nothing
    publish.publish(states[1], dest)  # build 1 again: its copies become the newest, so build 2's go first
    publish.publish(states[0], dest)
    assert _addressed(dest) == {n[k] for i in (0, 1, 3) for k in ("pdf", "cover") for n in [names[i]]}
    assert publish.verify(dest)["content_addressed"] == names[0]


def test_an_edition_named_like_a_hash_is_never_pruned(builds: tuple[Path, list[Path]], tmp_path: Path) -> None:
    _out, states = builds
    dest = tmp_path / "downloads"
    lookalike = dest / "backend-language-comparison-202611211200.pdf"  # an edition of twelve digits
    dest.mkdir()
    lookalike.write_bytes(b"%PDF-1.7 an older edition")
    for state in states:
        publish.publish(state, dest)
    assert lookalike.read_bytes() == b"%PDF-1.7 an older edition"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as exc:
        if exc.code == 404:  # pruned after this client read an old manifest: start again from the manifest
            return None
        raise


def test_clients_following_the_manifest_never_get_a_mismatched_pair(
    builds: tuple[Path, list[Path]], server: tuple[str, Path]
) -> None:
    """Two publishers rotate four builds into a folder served over HTTP while clients fetch manifest, PDF, cover."""
    _out, states = builds
    base, root = server
    publish.publish(states[0], root)
    wanted_pairs, least_publishes = 150, 24
    pairs, mismatches, retries, published = [0], [0], [0], [1]
    lock = threading.Lock()
    errors: list[BaseException] = []

    def publisher(offset: int) -> None:  # two of them, publishing at the same time (they take turns on the lock)
        try:
            i = offset
            while (published[0] < least_publishes or pairs[0] < wanted_pairs) and not errors and i < 5000:
                publish.publish(states[i % BUILDS], root)
                i += 1
                with lock:
                    published[0] += 1
        except BaseException as exc:
            errors.append(exc)

    def client() -> None:
        try:
            while (published[0] < least_publishes or pairs[0] < wanted_pairs) and not errors:
                raw = _get(f"{base}/{MANIFEST_NAME}")
                assert raw is not None, "the manifest is replaced atomically, never missing"
                manifest = json.loads(raw)
                names = manifest["content_addressed"]
                pdf, cover = _get(f"{base}/{names['pdf']}"), _get(f"{base}/{names['cover']}")
                with lock:
                    if pdf is None or cover is None:
                        retries[0] += 1
                        continue
                    pairs[0] += 1
                    if (
                        hashlib.sha256(pdf).hexdigest() != manifest["sha256"]
                        or hashlib.sha256(cover).hexdigest() != manifest["cover"]["sha256"]
                    ):
                        mismatches[0] += 1
        except BaseException as exc:
            errors.append(exc)

    threads = [
        *(threading.Thread(target=publisher, args=(offset,)) for offset in (1, 2)),
        *(threading.Thread(target=client) for _ in range(3)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert pairs[0] >= wanted_pairs and published[0] >= least_publishes
    assert mismatches[0] == 0, f"{mismatches[0]} mismatched of {pairs[0]} pairs ({retries[0]} retries)"
