"""Foreign CPU: machine busy time not spent by our processes; a process that exited drops out of both ends."""

from __future__ import annotations

import pytest

from report.bench.procfs import CpuTimes
from report.bench.sampler import Sample, foreign_cpu


def _sample(t: float, busy: int, idle: int, steal: int, ours: dict[int, int]) -> Sample:
    return Sample(t, CpuTimes(busy, idle, steal), ours, 0.0, 0.0)


def test_our_processes_time_is_not_foreign() -> None:
    first = _sample(0.0, 100, 100, 0, {1: 10, 2: 10, 3: 5})
    last = _sample(1.0, 200, 180, 20, {1: 40, 2: 30})  # pid 3 exited: it counts neither way
    verdict = foreign_cpu(first, last)
    assert verdict.foreign_pct == pytest.approx(100 * (100 - 50) / 200)
    assert verdict.steal_pct == pytest.approx(10.0) and verdict.window_s == 1.0


def test_no_ticks_no_verdict() -> None:
    same = _sample(0.0, 1, 1, 0, {})
    assert foreign_cpu(same, same).foreign_pct == 0.0


def test_every_process_the_harness_started_is_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL's backends, grandchildren of the harness under its postmaster, are ours; other processes are not."""
    import os

    from report.bench import procfs
    from report.bench.sampler import Sampler

    me = os.getpid()
    server, postmaster, backend, stranger = 1001, 1002, 1003, 2001
    parents = {me: 1, server: me, postmaster: me, backend: postmaster, stranger: 1, 1: 0}
    monkeypatch.setattr(procfs, "all_parents", lambda: parents)
    monkeypatch.setattr(procfs, "cpu_ticks", lambda pids: 7 * len(pids))
    monkeypatch.setattr(procfs, "machine_cpu", lambda: CpuTimes(0, 0, 0))
    monkeypatch.setattr(procfs, "tree_memory", lambda root: procfs.Memory(0.0, 0.0))
    ours = Sampler(server, list).take().ours
    assert {server, postmaster, backend, me} <= set(ours)
    assert stranger not in ours and 1 not in ours
