"""The data contract's files: CSV cells without float noise, under-delivered traced runs left out, atomic writes."""

from __future__ import annotations

from pathlib import Path

from report.bench.output import FILES, csv_text, file_texts, write_all
from report.bench.results import Results, ThroughputRow


def test_csv_cells() -> None:
    assert csv_text(["a", "b", "c"], [(1, 2.0, 0.123456789), ("x", 1.5, 3)]) == "a,b,c\n1,2.0,0.1235\nx,1.5,3\n"


def test_every_file_and_only_traced_runs_that_delivered_their_spans() -> None:
    kept = ThroughputRow("go", "otel", 10, 1, 100.0, 1, 2, 3, 0, 0.0, 0.0, 1, False, 99.5)
    lost = ThroughputRow("go", "otel", 50, 1, 50.0, 1, 2, 3, 0, 0.0, 0.0, 1, False, 80.0)
    texts = file_texts({"sample": False}, Results(throughput=[kept, lost]), [("go", "m", 1.23456, "ms")])
    assert tuple(texts) == FILES
    assert texts["throughput.csv"].splitlines() == [
        "stack,concurrency,run,requests_per_sec,latency_p50_ms,latency_p90_ms,latency_p99_ms,errors,variant,endpoint,"
        "generator_cpu_pct,load_core_busy_pct",
        "go,10,1,100.0,1,2,3,0,otel,json,0.0,0.0",
    ]
    assert texts["evidence.csv"].splitlines()[1] == "go,m,1.2346,ms"
    assert texts["environment.yaml"].startswith("# Written by `lead-magnet bench`")
    assert texts["latency.csv"].startswith("stack,variant,endpoint,offered_rps,")


def test_write_all_replaces_the_files_and_leaves_no_temporary_directory(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks"
    out.mkdir()
    (out / "startup.csv").write_text("old")
    write_all(out, {"startup.csv": "new", "memory.csv": "m"})
    assert (out / "startup.csv").read_text() == "new" and (out / "memory.csv").read_text() == "m"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["benchmarks"]
