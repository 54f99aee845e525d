"""Writing the data contract's five files: all into a temporary directory first, then renamed into place."""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from report.bench.capture import traces_text
from report.bench.derived import delivered_enough
from report.bench.results import Results

FILES = (
    "environment.yaml",
    "startup.csv",
    "memory.csv",
    "throughput.csv",
    "evidence.csv",
    "latency.csv",
    "traces.json",
)
THROUGHPUT_COLUMNS = (
    "stack",
    "concurrency",
    "run",
    "requests_per_sec",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p99_ms",
    "errors",
    "variant",
    "endpoint",
    "generator_cpu_pct",
    "load_core_busy_pct",
)
LATENCY_COLUMNS = (
    "stack",
    "variant",
    "endpoint",
    "offered_rps",
    "run",
    "achieved_rps",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p99_ms",
    "latency_p999_ms",
    "errors",
    "load_limited",
    "requests",
    "duration_s",
    "generator_cpu_pct",
    "runqueue_wait_pct",
    "phase",
    "load_core_busy_pct",
    "generator_cpu_us_per_request",
)


def file_texts(
    env_doc: dict[str, Any], results: Results, evidence: list[tuple[str, str, float, str]]
) -> dict[str, str]:
    """Every file's text; traced runs that delivered too few spans are left out of throughput.csv."""
    texts = {
        "environment.yaml": yaml_text(env_doc),
        "startup.csv": csv_text(["stack", "run", "startup_ms"], results.startup),
        "memory.csv": csv_text(["stack", "phase", "run", "rss_mb"], results.memory),
        "throughput.csv": csv_text(
            list(THROUGHPUT_COLUMNS),
            [tuple(getattr(r, c) for c in THROUGHPUT_COLUMNS) for r in results.throughput if delivered_enough(r)],
        ),
        "evidence.csv": csv_text(
            ["stack", "measure", "value", "unit"], [(s, m, round(v, 4), u) for s, m, v, u in evidence]
        ),
        "latency.csv": csv_text(
            list(LATENCY_COLUMNS), [tuple(getattr(r, c) for c in LATENCY_COLUMNS) for r in results.latency]
        ),
        "traces.json": traces_text(results.traces),
    }
    assert set(texts) == set(FILES)
    return texts


def csv_text(header: list[str], rows: list[tuple[Any, ...]]) -> str:
    """CSV with a header row and Unix line endings."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([_cell(v) for v in row])
    return buf.getvalue()


def _cell(v: Any) -> Any:
    if isinstance(v, float):
        # Enough precision for every figure here without float noise in the files.
        return f"{v:.4f}".rstrip("0").rstrip(".") if v != int(v) else f"{v:.1f}"
    return v


def write_all(out_dir: Path, texts: dict[str, str]) -> None:
    """Write every file to a sibling temporary directory, then move each into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".bench-", dir=out_dir.parent))
    try:
        for name, text in texts.items():
            (tmp / name).write_text(text)
        for name in texts:
            os.replace(tmp / name, out_dir / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def yaml_text(doc: dict[str, Any]) -> str:
    """YAML in the key order given, with a header comment."""
    head = "# Written by `lead-magnet bench` (report/bench); do not edit by hand.\n"
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110)
