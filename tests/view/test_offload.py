"""The forked child and the chart disk cache: a value comes back, a failure is a BuildError, a cache miss is None."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from report.errors import BuildError
from report.view.offload import Child, DiskCache, cache_get, cache_set, default_cache

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def test_the_child_computes_in_another_process_and_returns_the_value() -> None:
    child = Child(lambda: {"pid": os.getpid(), "data": b"\x00" * 200_000}, "computing")
    value = child.result()
    assert value["pid"] != os.getpid()
    assert value["data"] == b"\x00" * 200_000  # larger than a pipe's buffer: read before waiting


def test_a_failing_child_is_a_build_error_with_its_traceback() -> None:
    def fail() -> None:
        raise ValueError("no such chart")

    with pytest.raises(BuildError, match=r"drawing failed:\n(.|\n)*ValueError: no such chart"):
        Child(fail, "drawing").result()


def test_a_child_that_dies_without_answering_is_a_build_error() -> None:
    with pytest.raises(BuildError, match="drawing failed: the child process ended with status"):
        Child(lambda: os._exit(3), "drawing").result()


def test_the_disk_cache_round_trips_and_a_miss_is_a_key_error(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "charts")
    assert cache_get(cache, "abc") is None
    cache_set(cache, "abc", b"<svg/>")
    assert cache["abc"] == b"<svg/>"
    assert list(cache) == ["abc"] and len(cache) == 1
    del cache["abc"]
    with pytest.raises(KeyError):
        cache["abc"]
    assert cache_get(None, "abc") is None
    cache_set(None, "abc", b"ignored")  # no cache: nothing to do, nothing raised


def test_the_disk_cache_keeps_at_most_its_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DiskCache, "MAX_FILES", 3)
    cache = DiskCache(tmp_path)
    for i in range(5):
        cache[f"k{i}"] = b"x"
        os.utime(tmp_path / f"k{i}.svg", (i, i))  # distinct ages, oldest first
    assert sorted(cache) == ["k2", "k3", "k4"]  # the oldest went first


def test_an_unwritable_cache_is_only_a_miss(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    cache = DiskCache(blocker / "charts")
    cache["abc"] = b"<svg/>"  # cannot create the folder: silently not cached
    assert cache_get(cache, "abc") is None


def test_the_default_cache_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAD_MAGNET_CHART_CACHE", "off")
    assert default_cache() is None
    monkeypatch.setenv("LEAD_MAGNET_CHART_CACHE", str(tmp_path))
    assert isinstance(cache := default_cache(), DiskCache) and cache.folder == tmp_path
    monkeypatch.delenv("LEAD_MAGNET_CHART_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert isinstance(cache := default_cache(), DiskCache)
    assert cache.folder == tmp_path / "xdg" / "lead-magnet" / "charts"
