"""Parsing of /proc figures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from report.bench import procfs
from report.bench.sampler import Sample, foreign_cpu

STAT = """cpu  100 5 50 1000 20 3 2 7 0 0
cpu0 50 2 25 500 10 1 1 3 0 0
intr 12345
"""


def test_proc_stat_busy_idle_steal() -> None:
    t = procfs.parse_proc_stat(STAT)
    assert (t.busy, t.idle, t.steal) == (100 + 5 + 50 + 3 + 2, 1000 + 20, 7)
    assert t.total == 160 + 1020 + 7


def test_proc_stat_without_cpu_line() -> None:
    with pytest.raises(ValueError):
        procfs.parse_proc_stat("intr 1\n")


def test_pid_stat_with_spaces_and_parens_in_comm() -> None:
    # Fields after comm: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    text = "4242 (we ird) (name)) S 17 4242 4242 0 -1 4194560 100 0 0 0 31 12 0 0 20 0 1 0 5 0 0"
    assert procfs.parse_pid_stat(text) == (17, 43)


def test_status_kb() -> None:
    status = "Name:\tgo\nVmPeak:\t  9000 kB\nVmRSS:\t    4608 kB\n"
    assert procfs.parse_status_kb(status, "VmRSS") == 4608
    assert procfs.parse_status_kb(status, "VmSwap") == 0
    assert procfs.parse_status_kb("Rss:  10 kB\nPss:  7 kB\n", "Pss") == 7


def test_own_tree_and_memory() -> None:
    tree = procfs.process_tree(os.getpid())
    assert tree[0] == os.getpid()
    mem = procfs.tree_memory(os.getpid())
    assert mem.rss_mb > 1 and 0 < mem.pss_mb <= mem.rss_mb + 0.01


def test_tree_of_missing_pid_is_empty() -> None:
    assert procfs.process_tree(999_999_999, {1: 0}) == []


def test_tree_follows_children() -> None:
    parents = {1: 0, 10: 1, 11: 10, 12: 11, 20: 1}
    assert sorted(procfs.process_tree(10, parents)) == [10, 11, 12]


def test_foreign_cpu_subtracts_our_ticks_and_ignores_exited() -> None:
    first = Sample(0.0, procfs.CpuTimes(busy=1000, idle=1000, steal=0), {1: 100, 2: 50, 3: 10}, 1, 1)
    # 200 ticks of capacity passed; machine was busy 150, our pids 1 and 2 used 120; pid 3 exited.
    last = Sample(1.0, procfs.CpuTimes(busy=1150, idle=1050, steal=0), {1: 190, 2: 80}, 1, 1)
    v = foreign_cpu(first, last)
    assert v.foreign_pct == pytest.approx(100 * 30 / 200)
    assert v.window_s == 1.0


def test_memory_gib_is_in_gibibytes_as_the_report_labels_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # /proc/meminfo's "kB" are KiB: 24,641,536 KiB is 23.5 GiB (25.2 GB); the report prints "23.5 GiB"
    (tmp_path / "meminfo").write_text("MemTotal:       24641536 kB\nMemFree: 1 kB\n", encoding="utf-8")
    monkeypatch.setattr(procfs, "PROC", tmp_path)
    assert procfs.memory_gib() == 23.5
