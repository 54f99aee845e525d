"""The calibration probe: a fixed CPU-bound reference workload, timed between measurement blocks.

A shared virtual machine's speed can change between days and within a run, and nothing inside the guest shows
it (a fresh run a week later measured every stack 2–2.5× slower while the ratios between stacks held). Timing
the same workload between blocks records the machine's speed through the run in environment.yaml, so absolute
times and rates can be read as "this machine on that day", and a run whose speed moved is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from report.bench.wording import sentence
from report.bench.workload import WORKLOAD, reference_workload, time_workload
from report.results.drift import swing

DRIFT_LIMIT = 0.10  # the probe moving by more than this share of its median through a run is drift

__all__ = ["DRIFT_LIMIT", "WORKLOAD", "Probe", "reference_workload", "time_workload"]


@dataclass
class Probe:
    """Readings taken at named checkpoints of a harness run."""

    readings: list[tuple[str, float]] = field(default_factory=list)
    timer: Any = time_workload

    def record(self, at: str) -> None:
        """Time the workload now, labelled with where in the run this is."""
        self.readings.append((at, round(float(self.timer()), 2)))

    def document(self) -> dict[str, Any]:
        """The optional `calibration` key of environment.yaml."""
        return {"workload": WORKLOAD, "readings": [{"at": at, "ms": ms} for at, ms in self.readings]}

    def drift_flag(self) -> str | None:
        """A sentence (notes.yaml's drift_calibration) when the machine's speed moved through the run, else None."""
        values = [ms for _, ms in self.readings]
        if len(values) < 2 or swing(values) <= DRIFT_LIMIT:
            return None
        fastest = min(self.readings, key=lambda r: r[1])
        slowest = max(self.readings, key=lambda r: r[1])
        return sentence(
            "drift_calibration",
            fastest_ms=fastest[1],
            fastest_at=fastest[0],
            slowest_ms=slowest[1],
            slowest_at=slowest[0],
            swing_pct=swing(values) * 100,
        )
