"""The calibration probe's fixed reference workload (report/bench/calibration.py), with nothing but the standard
library: the harness times it here, and its agent (report/bench/agent.py) on every host of a --hosts run."""

from __future__ import annotations

import hashlib
import time

WORKLOAD = "sha256 of 16 MiB plus a 1,000,000-step integer loop in Python, best of 3"
_BLOCK = bytes(range(256)) * 4096  # 1 MiB


def reference_workload() -> int:
    """The fixed work: hashing and an interpreter loop, so both native and interpreted speed count."""
    digest = hashlib.sha256()
    for _ in range(16):
        digest.update(_BLOCK)
    acc = 0
    for i in range(1_000_000):
        acc = (acc + i * i) % 1_000_003
    return acc ^ digest.digest()[0]


def time_workload(repeats: int = 3) -> float:
    """Milliseconds of the fastest of `repeats` runs (the least disturbed one)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        reference_workload()
        best = min(best, time.perf_counter() - start)
    return best * 1000
