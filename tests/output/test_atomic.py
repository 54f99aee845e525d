"""Atomic writes: a reader sees the old file or the new one, never half; leftovers of killed writers are removed."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from report.errors import BuildError
from report.output import atomic


def test_atomic_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_bytes(b"old")
    assert atomic.atomic_write(target, b"new") == target
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    assert oct(target.stat().st_mode & 0o777) == "0o644"


def test_file_sha256_reads_the_whole_file(tmp_path: Path) -> None:
    data = os.urandom(3 << 20)  # more than one chunk
    (tmp_path / "big").write_bytes(data)
    assert atomic.file_sha256(tmp_path / "big") == hashlib.sha256(data).hexdigest()


def test_commit_renames_in_order_and_can_skip_identical_files(tmp_path: Path) -> None:
    atomic.commit(tmp_path / "out", [("a.txt", b"a"), ("charts/b.svg", b"b"), ("manifest.json", b"{}")])
    out = tmp_path / "out"
    assert (out / "a.txt").read_bytes() == b"a" and (out / "charts" / "b.svg").read_bytes() == b"b"
    before = (out / "a.txt").stat().st_mtime_ns
    atomic.commit(out, [("a.txt", b"a"), ("manifest.json", b"{}")], skip_identical=True)
    assert (out / "a.txt").stat().st_mtime_ns == before
    assert atomic.stale_temps(out) == []


def test_commit_refuses_a_file_in_place_of_the_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(BuildError, match="expected a folder"):
        atomic.commit(blocker, [("a.txt", b"a")])
    assert blocker.read_text(encoding="utf-8") == "x"


def test_leftovers_of_a_dead_writer_go_and_a_live_writers_stay(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead_pid = int(dead.stdout)  # that process has exited and been reaped
    live = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        gone = tmp_path / f".a.pdf.{dead_pid}.0a1b2c3d{atomic.TMP_SUFFIX}"
        kept = tmp_path / f".b.pdf.{live.pid}.0a1b2c3d{atomic.TMP_SUFFIX}"
        other = tmp_path / ".hidden"
        for path in (gone, kept, other):
            path.write_bytes(b"x")
        assert atomic.stale_temps(tmp_path) == sorted([gone, kept])
        assert atomic.remove_stale_temps(tmp_path) == [gone]
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([kept.name, other.name])
    finally:
        live.communicate(b"")


def test_a_kill_checkpoint_kills_only_at_its_own_step(tmp_path: Path) -> None:
    probe = "from report.output.atomic import checkpoint; checkpoint('other'); print('alive'); checkpoint('here')"
    env = {**os.environ, atomic.KILL_AT_ENV: "here"}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False)
    assert done.stdout == "alive\n"
    assert done.returncode == -9
