"""Readings from /proc: machine CPU time, per-process CPU time, RSS and PSS of a process tree."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class CpuTimes:
    """Machine-wide CPU time in clock ticks, from the first line of /proc/stat."""

    busy: int
    idle: int
    steal: int

    @property
    def total(self) -> int:
        """All ticks, busy or not."""
        return self.busy + self.idle + self.steal


def parse_proc_stat(text: str) -> CpuTimes:
    """Parse /proc/stat's aggregate `cpu` line."""
    for line in text.splitlines():
        if line.startswith("cpu "):
            v = [int(x) for x in line.split()[1:]]
            v += [0] * (8 - len(v))
            user, nice, system, idle, iowait, irq, softirq, steal = v[:8]
            # guest time is already included in user/nice, so it is not added again.
            return CpuTimes(busy=user + nice + system + irq + softirq, idle=idle + iowait, steal=steal)
    raise ValueError("no aggregate cpu line in /proc/stat")


def parse_pid_stat(text: str) -> tuple[int, int]:
    """Parse /proc/PID/stat into (ppid, utime + stime ticks)."""
    # comm may contain spaces and parentheses, so split after the last ')'.
    rest = text[text.rindex(")") + 2 :].split()
    ppid = int(rest[1])
    return ppid, int(rest[11]) + int(rest[12])


def parse_status_kb(text: str, key: str) -> int:
    """A `Key:   123 kB` figure from /proc/PID/status or smaps_rollup, in kB (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None  # the process exited between listing and reading


def machine_cpu() -> CpuTimes:
    """Machine-wide CPU ticks now."""
    return parse_proc_stat((PROC / "stat").read_text())


def core_ticks(cores: set[int] | None) -> tuple[int, int]:
    """(busy, total) clock ticks of the given cores from /proc/stat (all cores when None)."""
    busy = total = 0
    for line in (PROC / "stat").read_text().splitlines():
        name, *fields = line.split()
        if not name.startswith("cpu") or name == "cpu":
            continue
        if cores is not None and int(name[3:]) not in cores:
            continue
        v = [int(x) for x in fields[:8]] + [0] * (8 - len(fields[:8]))
        busy += sum(v) - v[3] - v[4]
        total += sum(v)
    return busy, total


def busy_pct(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The busy share of the cores between two core_ticks readings, in percent."""
    ticks = after[1] - before[1]
    return 100.0 * (after[0] - before[0]) / ticks if ticks > 0 else 0.0


def all_parents() -> dict[int, int]:
    """Map every live pid to its parent pid."""
    out: dict[int, int] = {}
    for entry in os.listdir(PROC):
        if entry.isdigit():
            text = _read(PROC / entry / "stat")
            if text:
                out[int(entry)] = parse_pid_stat(text)[0]
    return out


def process_tree(root: int, parents: dict[int, int] | None = None) -> list[int]:
    """`root` and all its live descendants."""
    parents = all_parents() if parents is None else parents
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    if root not in parents:
        return []
    out: list[int] = []
    stack = [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(children.get(pid, []))
    return out


def cpu_ticks(pids: list[int]) -> int:
    """Sum of utime + stime of the given processes."""
    total = 0
    for pid in pids:
        text = _read(PROC / str(pid) / "stat")
        if text:
            total += parse_pid_stat(text)[1]
    return total


@dataclass(frozen=True)
class Memory:
    """Resident memory of a process tree in MiB."""

    rss_mb: float
    pss_mb: float


def tree_memory(root: int) -> Memory:
    """RSS and PSS summed over `root` and its descendants."""
    rss = pss = 0
    for pid in process_tree(root):
        status = _read(PROC / str(pid) / "status")
        if status:
            rss += parse_status_kb(status, "VmRSS")
        rollup = _read(PROC / str(pid) / "smaps_rollup")
        if rollup:
            pss += parse_status_kb(rollup, "Pss")
    return Memory(rss_mb=rss / 1024, pss_mb=pss / 1024)


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, plus the hypervisor when there is one."""
    text = _read(PROC / "cpuinfo") or ""
    model = next((ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.startswith("model name")), "unknown")
    if " hypervisor" in text or "\thypervisor" in text or "hypervisor " in text:
        model += " (virtual machine)"
    return model


def memory_gib() -> float:
    """Total memory in GiB (binary: /proc/meminfo's kB are KiB), as the report labels it."""
    return round(parse_status_kb(_read(PROC / "meminfo") or "", "MemTotal") / 1024 / 1024, 1)
