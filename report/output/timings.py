"""Per-stage wall-clock timings of a build, for `lead-magnet build --timings`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


def since_process_start() -> float | None:
    """Seconds since this process started (Linux /proc), covering the interpreter and imports."""
    try:
        start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        import os

        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class Timings:
    """Stage name -> seconds, in the order stages first ran."""

    stages: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the enclosed block and add it to the stage."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = self.stages.get(name, 0.0) + time.perf_counter() - start

    def table(self) -> str:
        """A small aligned table for people."""
        total = sum(self.stages.values())
        width = max((len(n) for n in self.stages), default=5)
        lines = [f"{'stage':<{width}}  seconds  share"]
        for name, seconds in self.stages.items():
            note = f"  {self.notes[name]}" if name in self.notes else ""
            lines.append(f"{name:<{width}}  {seconds:7.3f}  {seconds / total:5.0%}{note}" if total else name)
        lines.append(f"{'total':<{width}}  {total:7.3f}")
        return "\n".join(lines)
