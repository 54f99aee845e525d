"""Running wrk with the Lua done() hook and reading what the hook wrote."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from report.bench.errors import BenchError


@dataclass(frozen=True)
class WrkResult:
    """One wrk run as reported by services/wrk/report.lua."""

    requests: int
    duration_s: float
    requests_per_sec: float
    latency_p50_ms: float
    latency_p90_ms: float
    latency_p99_ms: float
    errors: int
    non_2xx: int


def _num(obj: dict[str, Any], key: str, where: str) -> float:
    val = obj.get(key)
    if isinstance(val, bool) or not isinstance(val, (int, float)):
        raise BenchError(f"{where}: {key}: expected a number, got {val!r}")
    return float(val)


def parse_hook_output(text: str, where: str = "wrk report") -> WrkResult:
    """Parse the JSON line written by the done() hook (a `WRK_REPORT ` prefix is allowed)."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    if line.startswith("WRK_REPORT "):
        line = line[len("WRK_REPORT ") :]
    try:
        doc = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BenchError(f"{where}: not the hook's JSON ({exc.msg}): {line[:80]!r}") from exc
    if not isinstance(doc, dict):
        raise BenchError(f"{where}: expected a JSON object")
    errors = doc.get("errors")
    latency = doc.get("latency_us")
    if not isinstance(errors, dict) or not isinstance(latency, dict):
        raise BenchError(f"{where}: missing 'errors' or 'latency_us'")
    requests = int(_num(doc, "requests", where))
    duration_s = _num(doc, "duration_us", where) / 1e6
    if duration_s <= 0:
        raise BenchError(f"{where}: duration_us: expected a positive number")
    err_total = sum(int(_num(errors, k, where)) for k in ("connect", "read", "write", "status", "timeout"))
    return WrkResult(
        requests=requests,
        duration_s=duration_s,
        requests_per_sec=requests / duration_s,
        latency_p50_ms=_num(latency, "p50", where) / 1000,
        latency_p90_ms=_num(latency, "p90", where) / 1000,
        latency_p99_ms=_num(latency, "p99", where) / 1000,
        errors=err_total,
        non_2xx=int(_num(errors, "status", where)),
    )


def wrk_command(wrk: str, script: Path, url: str, connections: int, duration_s: float, threads: int) -> list[str]:
    """The wrk argv for one run; at least one connection per thread."""
    threads = max(1, min(threads, connections))
    return [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration_s))}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        url,
    ]


def read_report(path: Path) -> WrkResult:
    """Read and parse the hook's output file."""
    try:
        text = path.read_text()
    except FileNotFoundError as exc:
        raise BenchError(f"{path}: wrk wrote no report (did it crash?)") from exc
    return parse_hook_output(text, str(path))
