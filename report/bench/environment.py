"""environment.yaml: the machine, the tools, the method parameters, tracing settings, notes and drift flags."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import re
from pathlib import Path
from typing import Any

from report.bench import procfs
from report.bench.calibration import Probe
from report.bench.errors import BenchError
from report.bench.notes import method_notes, tool_versions_note, toolchains_notes
from report.bench.phases import load_generator
from report.bench.plan import Pinning, Plan
from report.bench.postgres import bindir
from report.bench.results import DELIVERED_MIN_PCT, Results
from report.bench.stacks import BSP_DEFAULTS, Paths, repo_root, tool_version
from report.bench.wording import templates
from report.inputs.config import DEFAULT_SLO_MS
from report.results import drift


def os_name() -> str:
    """The distribution's pretty name, else the system's."""
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def wrk_version() -> str:
    """`wrk 4.2.0`, or just `wrk` when it does not say."""
    match = re.search(r"wrk (\S+)", tool_version(["wrk", "-v"]))
    return f"wrk {match.group(1)}" if match else "wrk"


def js_tool(name: str) -> str:
    """The `node` or `npm` that installed the JavaScript packages: bench-deps' own under services/.work/node/bin
    (Node.js and npm from the npm registry), else the machine's on PATH."""
    own = Paths(repo_root()).work / "node" / "bin" / name
    return str(own) if own.exists() else name


def node_version() -> str:
    """`v26.12.1`: the Node.js that ran npm."""
    return tool_version([js_tool("node"), "--version"])


def tool_versions(oha: str) -> list[str]:
    """The load tools', the harness's and the JavaScript tool chain's versions."""
    # npm is a script run by the `node` first on PATH: put the project's own first, as bench-deps does
    own = Path(js_tool("node")).parent
    env_path = f"{own}{os.pathsep}{os.environ.get('PATH', '')}" if own != Path() else None
    return [
        wrk_version(),
        oha,
        f"Python {platform.python_version()} (harness)",
        "node " + node_version(),
        "npm " + tool_version([js_tool("npm"), "--version"], path=env_path),
        postgres_version(),
    ]


def postgres_version() -> str:
    """`PostgreSQL 15.18 (Debian 15.18-0+deb12u1)`: the server the /db runs used, or "PostgreSQL not found"."""
    try:
        postgres = str(bindir() / "postgres")
    except BenchError:
        return "PostgreSQL not found"
    match = re.search(r"\(PostgreSQL\) (\S+)(.*)", tool_version([postgres, "--version"]))
    return f"PostgreSQL {match.group(1)}{match.group(2)}" if match else "PostgreSQL not found"


def toolchain_notes(stack_versions: dict[str, str]) -> list[str]:
    """The toolchains' support status, from the CPython version read back from the FastAPI venv (when measured)."""
    match = re.search(r"CPython (\S+?)(?: \(([^)]*)\))?[;,]", stack_versions.get("fastapi", ""))
    if match is None:
        return []
    go = re.match(r"(go\d+\.\d+(?:\.\d+)?)\b", stack_versions.get("go", ""))
    return toolchains_notes(match.group(1), node_version(), go.group(1) if go else None, match.group(2) or "")


def dist_version(name: str) -> str:
    """An installed Python distribution's version, or "unknown"."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def drift_flags(res: Results, probe: Probe) -> list[str]:
    """The calibration probe's movement and a changepoint test on every series long enough for one."""
    out = [flag] if (flag := probe.drift_flag()) else []
    startup: dict[str, list[float]] = {}
    for stack, _run, ms in sorted(res.startup, key=lambda r: r[1]):
        startup.setdefault(stack, []).append(ms)
    out += drift.flags(startup, templates()["drift_startup"])
    rps: dict[str, list[float]] = {}
    for r in sorted(res.throughput, key=lambda r: r.run):
        rps.setdefault(f"{r.stack} ({r.variant}, {r.concurrency} connections)", []).append(r.requests_per_sec)
    out += drift.flags(rps, templates()["drift_rps"])  # needs 8 or more rounds to say anything
    return out


def environment_document(
    plan: Plan,
    results: Results,
    pinning: Pinning,
    *,
    quick: bool,
    oha: str,
    lua_hook: str,
    stack_versions: dict[str, str],
    probe: Probe,
    now: dt.datetime,
    predicted_s: float,
) -> dict[str, Any]:
    """environment.yaml's content, in the order it is written."""
    stacks = plan.stacks
    env_doc: dict[str, Any] = {
        "measured_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sample": False,
        "measured_by": "lead-magnet bench (report/bench)" + (" --quick smoke run" if quick else ", full run"),
        "machine": {
            "cpu": procfs.cpu_model(),
            "cores": os.cpu_count() or 1,
            "memory_gib": procfs.memory_gib(),
            "os": os_name(),
            "kernel": platform.release(),
        },
        "load_tool": (
            f"{wrk_version()} (closed loop, {plan.wrk_threads} thread{'' if plan.wrk_threads == 1 else 's'}, "
            "Lua done() hook); "
            f"{oha} (open loop: constant arrival rate, --latency-correction)"
        ),
        "method": {
            "runs": plan.rounds,
            "warmup_s": plan.warmup_s,
            "duration_s": plan.duration_s,
            "concurrency": plan.concurrency,
            "rounds": plan.rounds,
            "startup_runs": plan.startup_runs - 1,
            "contended_retries": results.retries,
            "open_loop": {
                "ladder_pct": list(plan.ladder.ladder_pct),
                "runs": plan.ladder.runs,
                "warmup_s": plan.ladder.warmup_s,
                "duration_s": plan.ladder.duration_s,
                "knee_runs": plan.ladder.knee_runs,
                "knee_duration_s": plan.ladder.knee_duration_s,
                "knee_step_pct": plan.ladder.knee_step_pct,
                "common_runs": plan.ladder.common_runs,
                "slo_ms": {str(k): v for k, v in DEFAULT_SLO_MS.items()},
            },
            "predicted_min": round(predicted_s / 60, 1),
            "db_placement": plan.db_placement,
        },
        "versions": stack_versions,
        "tracing": {
            "exporter": "OTLP/HTTP protobuf to one local span receiver",
            "receiver_decoder": "opentelemetry-proto " + dist_version("opentelemetry-proto"),
            "max_queue_size": BSP_DEFAULTS["OTEL_BSP_MAX_QUEUE_SIZE"],
            "max_export_batch_size": BSP_DEFAULTS["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"],
            "schedule_delay_ms": plan.bsp_schedule_delay_ms,
            "export_timeout_ms": BSP_DEFAULTS["OTEL_BSP_EXPORT_TIMEOUT"],
            "delivered_min_pct": DELIVERED_MIN_PCT,
            "queue_size_used": {s: results.queue_size.get(s, BSP_DEFAULTS["OTEL_BSP_MAX_QUEUE_SIZE"]) for s in stacks},
            "queue_reruns": results.queue_reruns,
        },
        "pinning": pinning.describe(),
        "notes": [
            *method_notes(plan, results, pinning, oha, lua_hook),
            *toolchain_notes(stack_versions),
            tool_versions_note(tool_versions(oha)),
        ],
    }
    drifted = drift_flags(results, probe)
    if probe.readings:
        env_doc["calibration"] = probe.document()
    generator = load_generator(results.latency, [r.generator_cpu_pct for r in results.throughput])
    if generator:
        env_doc["load_generator"] = generator
    if drifted:  # listed once, under `drift`: the report prints them as their own list, not among the notes
        env_doc["drift"] = drifted
    return env_doc
