"""The calibration probe's record: rounded readings by checkpoint, and no drift from a single reading."""

from __future__ import annotations

from report.bench.calibration import WORKLOAD, Probe, reference_workload


def test_readings_are_recorded_rounded_with_their_checkpoint() -> None:
    probe = Probe(timer=lambda: 123.456789)
    probe.record("before startup")
    assert probe.document() == {"workload": WORKLOAD, "readings": [{"at": "before startup", "ms": 123.46}]}
    assert probe.drift_flag() is None  # one reading cannot show a change


def test_the_workload_is_deterministic() -> None:
    assert reference_workload() == reference_workload()
