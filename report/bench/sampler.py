"""A background sampler of memory and CPU use while wrk runs, and the foreign-CPU verdict drawn from it."""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from report.bench import procfs


@dataclass
class Sample:
    """One reading: wall time, machine CPU ticks, our processes' ticks by pid, and the server's memory."""

    t: float
    machine: procfs.CpuTimes
    ours: dict[int, int]
    rss_mb: float
    pss_mb: float


@dataclass
class CpuVerdict:
    """Foreign CPU use over a window: busy machine time not spent by our processes."""

    foreign_pct: float  # of the whole machine's capacity
    steal_pct: float
    window_s: float


def foreign_cpu(first: Sample, last: Sample) -> CpuVerdict:
    """Foreign CPU between two samples, counting only pids present in both (exited ones drop out)."""
    d_total = last.machine.total - first.machine.total
    if d_total <= 0:
        return CpuVerdict(0.0, 0.0, last.t - first.t)
    d_busy = last.machine.busy - first.machine.busy
    d_ours = sum(last.ours[p] - first.ours[p] for p in first.ours if p in last.ours)
    foreign = max(0, d_busy - d_ours)
    steal = last.machine.steal - first.machine.steal
    return CpuVerdict(100.0 * foreign / d_total, 100.0 * steal / d_total, last.t - first.t)


@dataclass
class Sampler:
    """Samples every `interval_s` until stopped (at most `max_samples`); `our_pids` is re-read each time."""

    server_pid: int
    our_pids: Callable[[], list[int]]
    interval_s: float = 0.1
    max_samples: int = 36_000
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def take(self) -> Sample:
        """Take one sample now."""
        parents = procfs.all_parents()
        tree = procfs.process_tree(self.server_pid, parents)
        # Everything the harness started is ours, not only the server, the load generator and the receiver: the
        # /db phases' PostgreSQL (postmaster and backends) works on the load core and is part of the measurement.
        harness = procfs.process_tree(os.getpid(), parents)
        pids = set(tree) | set(self.our_pids()) | set(harness)
        ours = {p: procfs.cpu_ticks([p]) for p in pids if p in parents}
        mem = procfs.tree_memory(self.server_pid)
        return Sample(time.monotonic(), procfs.machine_cpu(), ours, mem.rss_mb, mem.pss_mb)

    def _loop(self) -> None:
        while not self._stop.is_set() and len(self.samples) < self.max_samples:
            self.samples.append(self.take())
            self._stop.wait(self.interval_s)

    def start(self) -> None:
        """Start sampling in a daemon thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="bench-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def verdict(self, load_pid: int) -> CpuVerdict:
        """Foreign CPU over the window in which the load generator was alive."""
        alive = [s for s in self.samples if load_pid in s.ours]
        if len(alive) < 2:
            return CpuVerdict(0.0, 0.0, 0.0)
        return foreign_cpu(alive[0], alive[-1])

    def cpu_pct(self, pid: int) -> float:
        """CPU time of `pid` (utime + stime) as a share of one core over the window in which it was alive."""
        alive = [s for s in self.samples if pid in s.ours]
        if len(alive) < 2 or alive[-1].t <= alive[0].t:
            return 0.0
        seconds = (alive[-1].ours[pid] - alive[0].ours[pid]) / os.sysconf("SC_CLK_TCK")
        return 100.0 * seconds / (alive[-1].t - alive[0].t)

    def peak_rss(self) -> float:
        """Highest RSS seen."""
        return max((s.rss_mb for s in self.samples), default=0.0)

    def median_rss(self) -> float:
        """Median RSS over all samples."""
        return statistics.median([s.rss_mb for s in self.samples]) if self.samples else 0.0
