"""A one-line progress display: what runs now, how far along, and the estimated time left."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Counts planned seconds of work done; a TTY gets one rewritten line, a log gets one line per step."""

    def __init__(self, planned_s: float, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.planned_s = max(planned_s, 1e-9)
        self.done_s = 0.0
        self._pending_s = 0.0
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty()
        self.t0 = time.monotonic()

    def step(self, what: str, cost_s: float = 0.0) -> None:
        """Announce the step about to run, which is planned to take `cost_s`."""
        self.done_s += self._pending_s
        self._pending_s = cost_s
        if self.quiet:
            return
        pct = 100.0 * min(self.done_s / self.planned_s, 1.0)
        elapsed = time.monotonic() - self.t0
        # Scale the plan by how fast the run has gone so far, which includes start-up and retry overheads.
        # Never faster than planned: the planned wrk durations are a floor.
        rate = max(1.0, elapsed / self.done_s) if self.done_s > 0 else 1.0
        left = max(0.0, (self.planned_s - self.done_s) * rate)
        line = f"[{pct:5.1f}% | {_fmt(elapsed)} elapsed | ~{_fmt(left)} left] {what}"
        if self.tty:
            self.stream.write("\r\033[K" + line[:200])
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def note(self, message: str) -> None:
        """A message that stays on screen (retries, warnings)."""
        if self.quiet:
            return
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(message + "\n")
        self.stream.flush()

    def finish(self) -> None:
        """End the progress line."""
        if not self.quiet and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _fmt(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60}m{s % 60:02d}s"
