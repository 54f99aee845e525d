"""Drift through a run: two clusters of runs are flagged, one cluster is not; the calibration probe records speed."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from report import pipeline
from report.bench.calibration import Probe
from report.bench.wording import templates
from report.inputs.phrases import phrases
from report.results.drift import changepoint, figures, flags, halves
from report.results.findings import calibration_text


def two_clusters() -> list[float]:
    # the bundled run's startup: runs 1–8 around 12.4 ms, runs 9–20 around 6.75 ms
    rng = random.Random(1)
    return [12.4 + rng.uniform(-1, 1) for _ in range(8)] + [6.75 + rng.uniform(-0.3, 0.3) for _ in range(12)]


def test_two_clusters_are_flagged_at_the_split() -> None:
    found = changepoint(two_clusters())
    assert found is not None
    assert found.runs() == ("1–8", "9–20")
    assert found.early_median > 11 and found.late_median < 7.5


def test_one_cluster_is_not_flagged() -> None:
    rng = random.Random(2)
    for _ in range(50):
        assert changepoint([10 + rng.uniform(-1, 1) for _ in range(20)]) is None


def test_an_outlier_does_not_hide_drift_or_make_it() -> None:
    values = two_clusters()
    values[18] = 15.6  # one slow late run, as Bun's run 19
    assert changepoint(values) is not None
    rng = random.Random(3)
    flat = [10 + rng.uniform(-0.5, 0.5) for _ in range(20)]
    flat[5] = 16.0
    assert changepoint(flat) is None


def test_too_few_runs_say_nothing() -> None:
    assert changepoint([12.0, 12.1, 6.0, 6.1]) is None


def test_flags_name_the_runs_and_medians() -> None:
    series = {"Go": two_clusters(), "FastAPI": [300.0 + i % 3 for i in range(20)]}
    sentences = flags(series, phrases().text["drift_startup"])
    assert len(sentences) == 1
    assert sentences[0].startswith("Drift in startup time of Go: runs 1–8 have a median of ")
    assert "runs 9–20" in sentences[0]
    # the wording is the caller's: the harness says the same test in notes.yaml's words
    harness = flags(series, templates()["drift_rps"])
    assert len(harness) == 1 and harness[0].startswith("Drift in requests per second of Go: runs 1–8 ")
    found = changepoint(series["Go"])
    assert found is not None
    assert flags(series, "{label} {early}/{late} {shift}") == [f"Go 1–8/9–20 {figures('Go', found)['shift']}"]


def test_halves() -> None:
    assert halves([1, 1, 9, 2, 2]) == (1, 2)


def fake_timer(values: list[float]) -> Callable[[], float]:
    it = iter(values)
    return lambda: next(it)


def test_calibration_probe_records_and_flags_a_machine_that_slowed() -> None:
    probe = Probe(timer=fake_timer([100.0, 101.0, 180.0]))
    for at in ("before startup", "after startup", "after load round 1"):
        probe.record(at)
    doc = probe.document()
    assert [r["at"] for r in doc["readings"]] == ["before startup", "after startup", "after load round 1"]
    flag = probe.drift_flag()
    assert flag is not None and "100 ms before startup" in flag and "180 ms after load round 1" in flag


def test_calibration_probe_is_quiet_when_the_machine_held_its_speed() -> None:
    probe = Probe(timer=fake_timer([100.0, 103.0, 98.0]))
    for at in ("a", "b", "c"):
        probe.record(at)
    assert probe.drift_flag() is None


def test_environment_takes_optional_calibration_and_drift_and_the_report_prints_them(data_dir: Path) -> None:
    env_file = data_dir / "benchmarks" / "environment.yaml"
    env_file.write_text(
        env_file.read_text(encoding="utf-8")
        + "calibration:\n  workload: fixed work\n  readings:\n  - {at: before startup, ms: 75.7}\n"
        "  - {at: after load round 1, ms: 70.3}\n  - {at: after the span probes, ms: 74.0}\n"
        "drift:\n- 'Drift in requests per second of go: the harness says so.'\n",
        encoding="utf-8",
    )
    results = pipeline.check(data_dir)
    assert calibration_text(results.environment) == "reference workload 74.0 ms, 7% range through the run"
    html, _ = pipeline.render(pipeline.load(data_dir), "a4")
    assert "reference workload 74.0 ms, 7% range through the run" in html
    assert "Drift in requests per second of go: the harness says so." in html


def test_old_environment_files_stay_valid(data_dir: Path) -> None:
    assert pipeline.check(data_dir).environment.calibration is None
