"""evidence.csv rows drawn from the measurements: the cost of tracing counts only runs that delivered their spans."""

from __future__ import annotations

import pytest

from report.bench.derived import db_evidence, delivered_enough, derived_evidence
from report.bench.results import Results, ThroughputRow


def _row(variant: str, rps: float, delivered: float | None = None, conc: int = 10) -> ThroughputRow:
    return ThroughputRow("go", variant, conc, 1, rps, 1, 2, 3, 0, 0.0, 0.0, 1, False, delivered)


def _by_measure(rows: list[tuple[str, str, float, str]]) -> dict[str, float]:
    return {m: v for s, m, v, _ in rows if s == "go"}


def test_the_cost_of_tracing_leaves_out_runs_that_lost_spans() -> None:
    res = Results(
        throughput=[
            _row("baseline", 1000.0),
            _row("otel", 800.0, 100.0),
            _row("otel", 100.0, 50.0),  # lost half its spans: not a fair cost figure
            _row("baseline", 1200.0),
            _row("baseline", 800.0),
        ],
        spans={"go": {"otel_spans_per_req": 1.0}},
        queue_size={"go": 8192},
    )
    got = _by_measure(derived_evidence(res, ["go"]))
    assert got["otel_throughput_ratio"] == pytest.approx(0.8)
    assert got["otel_spans_delivered_pct"] == 50.0  # the worst run is still reported
    assert got["otel_bsp_max_queue_size"] == 8192
    assert got["otel_spans_per_req"] == 1.0


def test_db_endpoint_runs_do_not_enter_the_json_cost() -> None:
    db = _row("otel", 10.0, 100.0)
    db.endpoint = "db"
    res = Results(throughput=[_row("baseline", 1000.0), _row("otel", 500.0, 100.0), db])
    assert _by_measure(derived_evidence(res, ["go"]))["otel_throughput_ratio"] == pytest.approx(0.5)


def test_delivered_enough() -> None:
    assert delivered_enough(_row("baseline", 1.0))
    assert delivered_enough(_row("otel", 1.0, 99.0))
    assert not delivered_enough(_row("otel", 1.0, 98.9))


def test_db_memory_is_the_median_over_rounds_per_variant() -> None:
    res = Results(
        extra_memory=[
            ("go", "baseline", "db_rss_load_peak", 1, 10.0),
            ("go", "baseline", "db_rss_load_peak", 2, 30.0),
            ("go", "baseline", "db_rss_load_peak", 3, 20.0),
            ("go", "otel", "rss_idle", 1, 99.0),
        ]
    )
    assert db_evidence(res, ["go", "bun"]) == [("go", "db_rss_load_peak_mb", 20.0, "MiB")]


def test_the_cost_of_tracing_is_the_report_s_statistic_at_the_highest_concurrency_level() -> None:
    # at 10 connections tracing keeps 90 %, at 100 connections 40 %: the report prints the latter, so does the data
    res = Results(
        throughput=[
            _row("baseline", 1000.0),
            _row("otel", 900.0, 100.0),
            _row("baseline", 2000.0, conc=100),
            _row("otel", 800.0, 100.0, conc=100),
        ],
    )
    assert _by_measure(derived_evidence(res, ["go"]))["otel_throughput_ratio"] == pytest.approx(0.4)
