"""Work done off the build's main line: a forked child that answers with one pickle, and a disk cache of results.

Both the chart drawer (report/view/figures.py) and the PDF worker (report/output/pdf_worker.py) fork a child on the
second core and read back one pickled answer, `("ok", value)` or `("error", text)`; the rules a child must keep (never
return into the parent's code, leave with os._exit) live here once. The chart cache keeps finished SVGs on disk
between builds. This module imports nothing heavy.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import traceback
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any, NoReturn

from report.errors import BuildError

Answer = tuple[str, Any]  # ("ok", value) or ("error", text)


def reply(write_fd: int, answer: Answer, code: int = 0) -> NoReturn:
    """Child side: send the pickled answer and leave without running the parent's cleanup."""
    try:
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(pickle.dumps(answer, protocol=5))
    except BaseException:  # nobody to tell: the parent sees an empty answer
        code = 1
    finally:
        os._exit(code)


def read_answer(read_fd: int) -> Answer | None:
    """Parent side: the child's whole answer, or None when it wrote nothing (it died first)."""
    with os.fdopen(read_fd, "rb") as pipe:
        payload = pipe.read()  # read before waiting: the child blocks until its output is taken
    if not payload:
        return None
    answer: Answer = pickle.loads(payload)  # our own child's output
    return answer


class Child:
    """A forked child computing `work()`; `result()` waits for it and returns its value."""

    def __init__(self, work: Callable[[], object], what: str) -> None:
        self.what = what
        self._read_fd, write_fd = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: compute, answer, and never fall back into the parent's code
            os.close(self._read_fd)
            try:
                answer: Answer = ("ok", work())
                code = 0
            except BaseException:  # the parent reports it
                answer, code = ("error", traceback.format_exc()), 1
            reply(write_fd, answer, code)
        os.close(write_fd)

    def result(self) -> Any:
        """The child's value; BuildError naming `what` when it failed or died."""
        answer = read_answer(self._read_fd)
        _, status = os.waitpid(self.pid, 0)
        if answer is None:
            raise BuildError(f"{self.what} failed: the child process ended with status {status}")
        kind, value = answer
        if kind != "ok":
            raise BuildError(f"{self.what} failed:\n{value}")
        return value


class DiskCache(MutableMapping[str, bytes]):
    """Chart SVGs on disk, one file per key; every failure to read or write is only a miss."""

    MAX_FILES = 400

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __getitem__(self, key: str) -> bytes:
        try:
            return (self.folder / f"{key}.svg").read_bytes()
        except OSError:
            raise KeyError(key) from None

    def __setitem__(self, key: str, value: bytes) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=self.folder)
            with os.fdopen(fd, "wb") as handle:
                handle.write(value)
            os.replace(tmp, self.folder / f"{key}.svg")
            self._prune()
        except OSError:
            pass

    def __delitem__(self, key: str) -> None:
        (self.folder / f"{key}.svg").unlink(missing_ok=True)

    def __iter__(self) -> Iterator[str]:
        return (p.stem for p in self.folder.glob("*.svg"))

    def __len__(self) -> int:
        return sum(1 for _ in self.folder.glob("*.svg"))

    def _prune(self) -> None:
        files = sorted(self.folder.glob("*.svg"), key=lambda p: p.stat().st_mtime)
        for path in files[: max(0, len(files) - self.MAX_FILES)]:
            path.unlink(missing_ok=True)


def cache_get(cache: MutableMapping[str, bytes] | None, key: str) -> bytes | None:
    """The cached value, or None (no cache, or a miss)."""
    if cache is None:
        return None
    try:
        return cache[key]
    except KeyError:
        return None


def cache_set(cache: MutableMapping[str, bytes] | None, key: str, value: bytes) -> None:
    """Remember a value when there is a cache."""
    if cache is not None:
        cache[key] = value


def default_cache() -> DiskCache | None:
    """The per-user chart cache, or None when LEAD_MAGNET_CHART_CACHE=off."""
    setting = os.environ.get("LEAD_MAGNET_CHART_CACHE", "")
    if setting.lower() in {"off", "0", "no", "false"}:
        return None
    if setting:
        return DiskCache(Path(setting))
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return DiskCache(Path(base) / "lead-magnet" / "charts")
