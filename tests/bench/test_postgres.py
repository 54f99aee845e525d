"""The throwaway PostgreSQL cluster: created, seeded, stopped; nothing left running after an interrupt or a crash."""

from __future__ import annotations

import glob
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from report.bench import postgres
from report.bench.errors import BenchError
from report.bench.processes import ProcessRegistry, managed

ROOT = Path(__file__).resolve().parents[2]
MARK = "LEAD_MAGNET_BENCH_RUN"

pytestmark = pytest.mark.skipif(
    not glob.glob("/usr/lib/postgresql/*/bin/initdb"), reason="PostgreSQL server not installed (make bench-deps)"
)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _left(pids: list[int], timeout_s: float = 15.0) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _psql(cluster: postgres.Cluster, sql: str) -> str:
    psql = postgres.bindir() / "psql"
    out = subprocess.run([str(psql), cluster.url, "-XAtc", sql], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_cluster_is_created_seeded_and_stopped(tmp_path: Path) -> None:
    reg = ProcessRegistry({MARK: uuid.uuid4().hex})
    with managed(reg), postgres.cluster(reg, tmp_path / "work", tmp_path) as db:
        assert db.url == f"postgresql://bench@127.0.0.1:{db.port}/bench"
        assert _psql(db, "SELECT count(*), min(id), max(id) FROM world") == "10000|1|10000"
        assert _psql(db, "SELECT count(*) FROM world WHERE randomnumber BETWEEN 1 AND 10000") == "10000"
        # the same seed gives the same table every run
        assert _psql(db, "SELECT randomnumber FROM world WHERE id = 1") != ""
        assert _psql(db, "SELECT current_setting('listen_addresses')") == "127.0.0.1"
        pids = [db.proc.pid, *postgres.children(db.proc.pid)]
        assert len(pids) >= 3  # postmaster, checkpointer, background writer, ...
        port, root = db.port, db.root
    assert _left(pids) == []
    assert not _listening(port)
    assert not root.exists()
    assert reg.pids == []


def test_a_crashed_service_still_leaves_nothing_running(tmp_path: Path) -> None:
    reg = ProcessRegistry({MARK: uuid.uuid4().hex})
    pids: list[int] = []
    with (
        pytest.raises(BenchError, match="crashed under load"),
        managed(reg),
        postgres.cluster(reg, tmp_path / "work", tmp_path) as db,
    ):
        # a "service" holding a pool connection in the middle of a query, then killed outright
        client = reg.start([str(postgres.bindir() / "psql"), db.url, "-Xc", "SELECT pg_sleep(300)"])
        deadline = time.monotonic() + 20
        while _psql(db, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'") != "1":
            assert time.monotonic() < deadline, "the client never connected"
            time.sleep(0.05)
        pids = [db.proc.pid, *postgres.children(db.proc.pid)]
        os.kill(client.pid, signal.SIGKILL)
        client.wait(timeout=10)
        raise BenchError("go (baseline) crashed under load (exit -9)")
    assert len(pids) >= 4  # the backend serving the crashed client is among them
    assert _left(pids) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_the_harness_stops_the_cluster(tmp_path: Path, sig: signal.Signals) -> None:
    script = tmp_path / "harness.py"
    script.write_text(
        textwrap.dedent(f"""
        import json, sys, time
        from pathlib import Path
        from report.bench import postgres
        from report.bench.processes import Interrupted, ProcessRegistry, managed
        reg = ProcessRegistry({{"{MARK}": "{uuid.uuid4().hex}"}})
        work = Path({str(tmp_path / "work")!r})
        try:
            with managed(reg), postgres.cluster(reg, work, work.parent) as db:
                pids = [db.proc.pid, *postgres.children(db.proc.pid)]
                print(json.dumps({{"pids": pids, "port": db.port}}), flush=True)
                time.sleep(120)
        except Interrupted as exc:
            print(exc, file=sys.stderr)
            sys.exit(1)
        """)
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    started = json.loads(proc.stdout.readline())
    assert _listening(started["port"])
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert f"interrupted by {sig.name}".encode() in err
    assert _left(started["pids"]) == []
    assert not _listening(started["port"])
    assert not (tmp_path / "work" / "postgres").exists()


def test_a_cluster_left_by_a_killed_harness_is_stopped_before_a_new_one_starts(tmp_path: Path) -> None:
    reg = ProcessRegistry()
    old = postgres.start(reg, tmp_path / "work", tmp_path)
    old_pids = [old.proc.pid, *postgres.children(old.proc.pid)]
    # the harness died without clean-up: the registry forgets the postmaster, which keeps running
    reg._procs.clear()
    try:
        with postgres.cluster(reg, tmp_path / "work", tmp_path) as db:
            assert _left(old_pids) == []
            assert _psql(db, "SELECT count(*) FROM world") == "10000"
            assert db.root == old.root or not old.root.exists()  # the old cluster's files went with it
    finally:
        for pid in old_pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
