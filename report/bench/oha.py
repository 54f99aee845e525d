"""oha, the open-loop load generator: its command line, its JSON report, and what its process cost.

oha (https://github.com/hatoo/oha, a Rust crate) is installed pinned by bench/install-deps.sh. With -q and
--latency-correction it sends at a constant arrival rate and times each request from when it was due, so a slow
server cannot hide its queueing delay (no coordinated omission). Its CPU time and its threads' run-queue wait are
read from /proc while it runs, so the harness can tell when the load side, not the service, set a figure.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from report.bench.errors import BenchError

OHA_VERSION = "1.16.0"  # pinned in bench/install-deps.sh
CONNECTIONS = 100  # keep-alive connections; a request due while all are busy waits, timed from when it was due
TIMEOUT_S = 5  # like wrk's --timeout 5s; a timed-out request counts as an error
SAMPLE_S = 0.05  # how often oha's threads' run-queue wait is read while it runs


def oha_command(binary: Path, url: str, rate: int, duration_s: float, threads: int = 1) -> list[str]:
    """argv of one constant-rate run: JSON on stdout, no TUI, in-flight requests awaited at the deadline."""
    return [
        str(binary),
        "--no-tui",
        "--output-format",
        "json",
        "-c",
        str(CONNECTIONS),
        "-q",
        str(rate),
        "-z",
        f"{duration_s:g}s",
        "--latency-correction",
        "-w",
        "-t",
        f"{TIMEOUT_S}s",
        "--worker-threads",
        str(max(1, threads)),
        url,
    ]


@dataclass(frozen=True)
class OhaResult:
    """What one oha run reports, in the harness's terms."""

    requests: int
    ok: int
    errors: int
    timeouts: int
    run_s: float
    achieved_rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float


def _num(doc: dict[str, object], key: str, where: str, problems: list[str]) -> float | None:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.append(f"{where}.{key}: expected a number, found {value!r}")
        return None
    return float(value)


def parse_oha(text: str) -> OhaResult:
    """oha's JSON report (--output-format json), checked for the fields the harness uses.

    ok = 2xx responses; errors = other responses + every entry of errorDistribution (timeouts, refused and
    reset connections); achieved = ok / summary.total (oha's run time, to the last response). Percentiles
    are over answered requests (any status); when none was answered they are the timeout, so such a run
    can never pass for fast.
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BenchError(f"oha printed no JSON report ({exc}): {text[:200]!r}") from exc
    problems: list[str] = []
    if not isinstance(doc, dict):
        raise BenchError(f"oha report: expected a JSON object, found {text[:200]!r}")
    summary, pct = doc.get("summary"), doc.get("latencyPercentiles")
    codes, errs = doc.get("statusCodeDistribution"), doc.get("errorDistribution")
    for name, part in (
        ("summary", summary),
        ("latencyPercentiles", pct),
        ("statusCodeDistribution", codes),
        ("errorDistribution", errs),
    ):
        if not isinstance(part, dict):
            problems.append(f"{name}: expected an object, found {part!r}")
    if problems:
        raise BenchError("oha report: " + "; ".join(problems))
    assert isinstance(summary, dict) and isinstance(pct, dict) and isinstance(codes, dict) and isinstance(errs, dict)
    total = _num(summary, "total", "summary", problems)
    if total is None or total <= 0:
        problems.append(f"summary.total: expected a positive run time in seconds, found {summary.get('total')!r}")
    counts: dict[str, int] = {}
    for where, table in (("statusCodeDistribution", codes), ("errorDistribution", errs)):
        for key, n in table.items():
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                problems.append(f"{where}.{key}: expected a count, found {n!r}")
            else:
                counts[f"{where}:{key}"] = n
    answered = sum(n for k, n in counts.items() if k.startswith("statusCodeDistribution:"))
    values = [_num(pct, k, "latencyPercentiles", problems) for k in ("p50", "p90", "p99", "p99.9")]
    if answered and any(v is None for v in values):
        problems.append("latencyPercentiles: expected p50, p90, p99 and p99.9 for the answered requests")
    if problems:
        raise BenchError("oha report: " + "; ".join(problems))
    ok = sum(n for k, n in counts.items() if k.startswith("statusCodeDistribution:2"))
    failed = sum(n for k, n in counts.items() if k.startswith("errorDistribution:"))
    timeouts = sum(n for k, n in counts.items() if k.startswith("errorDistribution:") and "timeout" in k.lower())
    ms = [1000.0 * v if v is not None and answered else 1000.0 * TIMEOUT_S for v in values]
    run_s = float(total or 0.0)
    return OhaResult(
        requests=answered + failed,
        ok=ok,
        errors=answered - ok + failed,
        timeouts=timeouts,
        run_s=run_s,
        achieved_rps=ok / run_s,
        p50_ms=ms[0],
        p90_ms=ms[1],
        p99_ms=ms[2],
        p999_ms=ms[3],
    )


@dataclass(frozen=True)
class ProcCost:
    """What oha cost while it ran: CPU seconds, wall seconds, run-queue wait seconds (over its threads)."""

    cpu_s: float
    wall_s: float
    runqueue_s: float


def _runqueue_ns(pid: int) -> dict[int, int]:
    """tid -> nanoseconds spent runnable but waiting for a CPU (/proc/PID/task/*/schedstat, second field)."""
    out: dict[int, int] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                out[int(tid)] = int(f.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the thread exited between listing and reading
    return out


def _cpu_ticks(pid: int) -> int | None:
    """utime + stime of the whole process (exited threads included) from /proc/PID/stat."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return int(rest[11]) + int(rest[12])
    except (OSError, IndexError, ValueError):
        return None


def watch(proc: subprocess.Popen[bytes], deadline_s: float) -> ProcCost:
    """Wait for `proc` to exit, sampling its threads' run-queue wait; read its CPU time before reaping it.

    waitid(WNOWAIT) leaves the exited process a zombie whose /proc/PID/stat still holds its final CPU time.
    Run-queue wait is per thread, so it is the last sample of each thread (at most SAMPLE_S short).
    """
    start = time.monotonic()
    waits: dict[int, int] = {}
    ticks: int | None = None
    flags = os.WEXITED | os.WNOWAIT | os.WNOHANG
    while True:
        waits.update(_runqueue_ns(proc.pid))
        ticks = _cpu_ticks(proc.pid) or ticks
        try:
            if os.waitid(os.P_PID, proc.pid, flags) is not None:
                break
        except ChildProcessError:
            break  # reaped elsewhere (Popen.poll): the last sample stands
        if time.monotonic() - start > deadline_s:
            raise subprocess.TimeoutExpired([str(proc.args)], deadline_s)
        time.sleep(SAMPLE_S)
    wall = time.monotonic() - start
    ticks = _cpu_ticks(proc.pid) or ticks
    hz = os.sysconf("SC_CLK_TCK")
    return ProcCost(cpu_s=(ticks or 0) / hz, wall_s=wall, runqueue_s=sum(waits.values()) / 1e9)


def oha_binary(work: Path) -> Path:
    """The oha install-deps installed, or a clear error."""
    binary = work / "oha" / "bin" / "oha"
    if not os.access(binary, os.X_OK):
        raise BenchError(f"{binary} not found: run `make bench-deps` (it installs oha {OHA_VERSION} with cargo)")
    return binary


def oha_version(binary: Path) -> str:
    """`oha X.Y.Z` as the binary reports it."""
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise BenchError(f"{binary} --version failed: {exc}") from exc
    return out.stdout.strip() or "oha (unknown version)"
