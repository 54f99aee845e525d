"""`lead-magnet bench`: build the reference services, measure them, write data/benchmarks/."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import re
import shutil
import statistics
import sys
import uuid
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from report import drift
from report.bench import procfs
from report.bench.calibration import Probe
from report.bench.errors import BenchError
from report.bench.evidence import MEASURES, static_evidence
from report.bench.measure import DELIVERED_MIN_PCT, Bench, Pinning, Plan, Results, ThroughputRow, choose_pinning
from report.bench.notes_openloop import LATENCY_COLUMNS, db_evidence, open_loop_notes
from report.bench.oha import oha_binary, oha_version
from report.bench.openloop import FULL_LADDER, QUICK_LADDER, LadderPlan
from report.bench.output import FILES, csv_text, write_all, yaml_text
from report.bench.processes import ProcessRegistry, managed
from report.bench.progress import Progress
from report.bench.stacks import BSP_DEFAULTS, STACK_IDS, Paths, build, repo_root, tool_version, versions

RUN_ID_ENV = "LEAD_MAGNET_BENCH_RUN"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `lead-magnet bench`."""
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: about a second per measurement, 1 round, concurrency 10",
    )
    parser.add_argument(
        "--stacks",
        default=",".join(STACK_IDS),
        help="comma-separated stacks to measure (default: go,bun,fastapi)",
    )
    parser.add_argument("--out", default="data/benchmarks", help="directory for the five files")
    parser.add_argument("--rounds", type=int, help="interleaved load rounds (default 3; --quick 1)")
    parser.add_argument("--duration", type=int, help="seconds per measured wrk run (default 10; --quick 1)")
    parser.add_argument(
        "--startup-runs",
        type=int,
        help="startup runs per stack incl. the discarded first (default 21; --quick 3)",
    )
    parser.add_argument("--concurrency", help="comma-separated wrk connection counts (default 10,50,100)")
    parser.add_argument(
        "--ladder", help="open-loop offered rates as %% of each stack's wrk peak (default 25,50,75,90,100,110)"
    )
    parser.add_argument("--ladder-runs", type=int, help="open-loop runs per offered rate (default 5; --quick 1)")
    parser.add_argument("--ladder-duration", type=int, help="seconds per offered rate (default 4; --quick 1)")
    parser.add_argument("--db-concurrency", help="comma-separated wrk connection counts on /db (default 50)")
    parser.add_argument("--no-db", action="store_true", help="skip the /db endpoint and PostgreSQL")


def make_plan(args: argparse.Namespace, stacks: list[str], load_cores: int) -> Plan:
    """Method parameters from the options."""
    quick = bool(args.quick)
    conc = args.concurrency or ("10" if quick else "10,50,100")
    try:
        concurrency = [int(c) for c in conc.split(",") if c.strip()]
    except ValueError as exc:
        raise BenchError(f"--concurrency: expected comma-separated integers, got {conc!r}") from exc
    base = QUICK_LADDER if quick else FULL_LADDER
    try:
        pct = tuple(float(c) for c in args.ladder.split(",") if c.strip()) if args.ladder else base.ladder_pct
        db_conc = tuple(int(c) for c in (args.db_concurrency or ("10" if quick else "50")).split(",") if c.strip())
    except ValueError as exc:
        raise BenchError("--ladder and --db-concurrency: expected comma-separated numbers") from exc
    ladder = LadderPlan(
        pct, args.ladder_runs or base.runs, base.warmup_s, args.ladder_duration or base.duration_s, base.variants
    )
    if not pct or min(pct) <= 0 or ladder.runs < 1 or ladder.runs > 20 or not 1 <= ladder.duration_s <= 600:
        raise BenchError("bad ladder: need positive percentages, 1-20 runs, 1-600 s per rate")
    if not db_conc or min(db_conc) < 1:
        raise BenchError("--db-concurrency: expected positive integers")
    plan = Plan(
        stacks=stacks,
        startup_runs=args.startup_runs or (3 if quick else 21),
        rounds=args.rounds or (1 if quick else 3),
        concurrency=concurrency,
        warmup_s=1 if quick else 2,
        duration_s=args.duration or (1 if quick else 10),
        idle_settle_s=0.2 if quick else 1.0,
        probe_requests=20 if quick else 200,
        contention_pct=10.0,
        max_retries=1 if quick else 3,
        quiet_wait_s=5.0 if quick else 20.0,
        retry_budget=3 if quick else 40,
        wrk_threads=max(1, load_cores),
        ladder=ladder,
        db_concurrency=db_conc,
        db=not getattr(args, "no_db", False),
    )
    if (
        plan.startup_runs < 2
        or plan.rounds < 1
        or plan.duration_s < 1
        or not concurrency
        or min(concurrency) < 1
        or plan.rounds > 20
        or plan.duration_s > 600
        or plan.startup_runs > 500
    ):
        raise BenchError(
            "bad method parameters: need 2-500 startup runs, 1-20 rounds, 1-600 s duration, positive concurrency"
        )
    return plan


def parse_stacks(text: str) -> list[str]:
    """Validated stack ids, in the canonical order."""
    asked = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in asked if s not in STACK_IDS]
    if bad or not asked:
        raise BenchError(f"--stacks: unknown {', '.join(bad) or '(none)'}; expected some of {', '.join(STACK_IDS)}")
    return [s for s in STACK_IDS if s in asked]


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def _wrk_version() -> str:
    match = re.search(r"wrk (\S+)", tool_version(["wrk", "-v"]))
    return f"wrk {match.group(1)}" if match else "wrk"


def _tool_versions(oha: str) -> str:
    tools = [
        _wrk_version(),
        oha,
        f"Python {platform.python_version()} (harness)",
        "node " + tool_version(["node", "--version"]),
        "npm " + tool_version(["npm", "--version"]),
    ]
    return "Tool versions: " + "; ".join(tools)


def _dist_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def derived_evidence(res: Results, stacks: list[str]) -> list[tuple[str, str, float, str]]:
    """Evidence drawn from the measurements: memory extras, OTel cost, span probes."""
    rows: list[tuple[str, str, float, str]] = db_evidence(res, stacks)
    res = replace(res, throughput=[r for r in res.throughput if r.endpoint == "json"])
    for stack in stacks:

        def mem(variant: str, what: str, stack: str = stack) -> float:
            return _median([v for s, var, w, _, v in res.extra_memory if s == stack and var == variant and w == what])

        rows += [
            (stack, "pss_idle_mb", mem("baseline", "pss_idle"), "MiB"),
            (stack, "rss_load_median_mb", mem("baseline", "rss_load_median"), "MiB"),
            (stack, "otel_rss_idle_mb", mem("otel", "rss_idle"), "MiB"),
            (stack, "otel_rss_load_peak_mb", mem("otel", "rss_load_peak"), "MiB"),
        ]
        ratios = []
        for conc in sorted({r.concurrency for r in res.throughput}):
            base = _median(
                [
                    r.requests_per_sec
                    for r in res.throughput
                    if r.stack == stack and r.variant == "baseline" and r.concurrency == conc
                ]
            )
            # Cost of tracing only from traced runs that delivered ≥ 99 % of their spans.
            otel = _median(
                [
                    r.requests_per_sec
                    for r in res.throughput
                    if r.stack == stack and r.variant == "otel" and r.concurrency == conc and _delivered(r)
                ]
            )
            if base > 0 and otel > 0:
                ratios.append(otel / base)
        if ratios:
            rows.append((stack, "otel_throughput_ratio", _median(ratios), "ratio"))
        delivered = [r.delivered_pct for r in res.throughput if r.stack == stack and r.delivered_pct is not None]
        if delivered:
            rows.append((stack, "otel_spans_delivered_pct", min(delivered), "%"))
        rows.append(
            (
                stack,
                "otel_bsp_max_queue_size",
                res.queue_size.get(stack, BSP_DEFAULTS["OTEL_BSP_MAX_QUEUE_SIZE"]),
                "spans",
            )
        )
        for measure, value in sorted(res.spans.get(stack, {}).items()):
            rows.append((stack, measure, value, MEASURES[measure][0]))
    return rows


def _delivered(row: ThroughputRow) -> bool:
    return row.delivered_pct is None or row.delivered_pct >= DELIVERED_MIN_PCT


def notes(plan: Plan, res: Results, pinning: Pinning, span_figures: dict[str, dict[str, float]]) -> list[str]:
    """Method notes and limitations for the methodology page."""
    foreign = [r.foreign_cpu_pct for r in res.throughput]
    out = [
        " ".join(
            [
                "wrk is a closed-loop load generator: each connection waits for its response before sending",
                "the next request, so a slow server is offered less load and queueing delay is under-reported",
                "(coordinated omission); latency percentiles are those of completed requests.",
            ]
        ),
        " ".join(
            [
                "Request counts and latency percentiles come from a wrk Lua done() hook (services/wrk/report.lua)",
                "that writes JSON, not from wrk's text output.",
            ]
        ),
        " ".join(
            [
                f"{plan.rounds} interleaved rounds: each round starts a fresh server per stack and variant, and",
                "the stack order rotates each round so drift hits every stack alike. At each concurrency level",
                f"a {plan.warmup_s} s warm-up is discarded before the {plan.duration_s} s measurement.",
            ]
        ),
        " ".join(
            [
                "Startup is exec to the first HTTP 200 on /health, polled every 0.5 ms;",
                f"{plan.startup_runs} starts per stack, the first discarded, the order rotated between stacks.",
            ]
        ),
        " ".join(
            [
                "Memory is RSS (and PSS) summed over the service's whole process tree from /proc: idle is the",
                "median of readings after one request; load is the peak of readings every 100 ms during the",
                "measured wrk runs.",
            ]
        ),
        " ".join(
            [
                "Noise: the machine is shared. In every measured load run, foreign CPU (machine busy time from",
                "/proc/stat minus the time of our own processes) was measured; above",
                f"{plan.contention_pct:.0f}% of the machine the run was retried, up to {plan.max_retries} times",
                f"and {plan.retry_budget} times per harness run, each retry first waiting up to",
                f"{plan.quiet_wait_s:.0f} s for the machine to calm down. In the kept runs foreign CPU was",
                f"{_median(foreign):.1f}% median and {max(foreign, default=0.0):.1f}% max; {res.retries}",
                f"retries; {res.contended_runs} of {len(res.throughput)} runs were still contended and kept.",
            ]
        ),
        f"Pinning: {pinning.describe()}.",
        " ".join(
            [
                "Tracing, like for like: every traced variant exports OTLP/HTTP protobuf to one local receiver",
                "(report/bench/receiver.py, on the load core, decoding with opentelemetry-proto) through a batch",
                "span processor with the same settings: queue {q}, batch {b}, delay {d} ms. Go's and Python's".format(
                    q=BSP_DEFAULTS["OTEL_BSP_MAX_QUEUE_SIZE"],
                    b=BSP_DEFAULTS["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"],
                    d=BSP_DEFAULTS["OTEL_BSP_SCHEDULE_DELAY"],
                ),
                "SDKs read them from OTEL_BSP_*; the JavaScript SDK 3.x no longer does, so the Bun service",
                "passes the same variables to its BatchSpanProcessor.",
            ]
        ),
        " ".join(
            [
                "Every traced load run counts the spans delivered against the spans expected (requests times",
                "spans per request). A run under 99 % is re-run with a four times larger queue, and the",
                "cost-of-tracing figures come only from runs that delivered at least 99 % of their spans.",
            ]
        ),
    ]
    out += [f"Queue re-run: {line}." for line in res.queue_reruns]
    bun = span_figures.get("bun")
    if bun is not None:
        out.append(
            " ".join(
                [
                    "Bun candidates, server spans per request and share named after the route: Bun.serve with a",
                    f"hand-started span {bun.get('bun_bunserve_server_spans', 0.0):.2f}",
                    f"({bun.get('bun_bunserve_named_route', 0.0):.2f}), Hono with @hono/otel",
                    f"{bun.get('bun_hono_server_spans', 0.0):.2f}",
                    f"({bun.get('bun_hono_named_route', 0.0):.2f}), Elysia with",
                    f"@elysiajs/opentelemetry {bun.get('bun_elysia_server_spans', 0.0):.2f}",
                    f"({bun.get('bun_elysia_named_route', 0.0):.2f}). The Bun variant uses Hono:",
                    "correct server spans from a library middleware, no hand-written span code.",
                ]
            )
        )
    fa = span_figures.get("fastapi")
    if fa is not None:
        out.append(
            " ".join(
                [
                    f"FastAPI's automatic instrumentation emits {fa.get('otel_spans_per_req', 0.0):.1f} spans per",
                    "request: the server span, named after the route, plus internal ASGI send spans.",
                ]
            )
        )
    return out


def drift_flags(res: Results, probe: Probe) -> list[str]:
    """The calibration probe's movement and a changepoint test on every series long enough for one."""
    out = [flag] if (flag := probe.drift_flag()) else []
    startup: dict[str, list[float]] = {}
    for stack, _run, ms in sorted(res.startup, key=lambda r: r[1]):
        startup.setdefault(stack, []).append(ms)
    out += drift.flags(startup, "startup time", "ms")
    rps: dict[str, list[float]] = {}
    for r in sorted(res.throughput, key=lambda r: r.run):
        rps.setdefault(f"{r.stack} ({r.variant}, {r.concurrency} connections)", []).append(r.requests_per_sec)
    out += drift.flags(rps, "requests per second", "req/s")  # needs 8 or more rounds to say anything
    return out


def run(args: argparse.Namespace) -> int:
    """Run the benchmark; 0 on success, 1 on an expected failure (printed without a traceback)."""
    try:
        return _run(args)
    except BenchError as exc:
        print(f"lead-magnet bench: error: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    paths = Paths(repo_root())
    stacks = parse_stacks(args.stacks)
    if shutil.which("wrk") is None:
        raise BenchError("wrk not found (apt: wrk). Run `make bench-deps` first.")
    oha = oha_version(oha_binary(paths.work))  # checked before any measurement
    pinning = choose_pinning()
    plan = make_plan(args, stacks, len(pinning.load) if pinning.load else 1)
    out_dir = Path(args.out)
    print(f"lead-magnet bench: building reference services in {paths.work}", file=sys.stderr)
    build(paths, stacks)
    stack_versions = versions(paths, stacks)
    log_dir = paths.work / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("*.log"):
        old.unlink()

    registry = ProcessRegistry({RUN_ID_ENV: os.environ.get(RUN_ID_ENV) or uuid.uuid4().hex})
    old_affinity = os.sched_getaffinity(0)
    bench: Bench | None = None
    probe = Probe()
    try:
        if pinning.load:
            # The harness samples /proc and polls; keep that off the server's core.
            os.sched_setaffinity(0, pinning.load)
        with managed(registry):
            progress = Progress(0.0)
            bench = Bench(paths, plan, registry, pinning, progress, log_dir)
            progress.planned_s = bench.planned_seconds()
            bench.on_checkpoint = probe.record
            ladder_s = plan.ladder.seconds(len(stacks) * len(plan.ladder.variants) * (1 + plan.db))
            print(
                f"lead-magnet bench: planned {progress.planned_s / 60:.1f} min of measurement "
                f"(open-loop ladder {ladder_s / 60:.1f} min); "
                "progress below counts it down",
                file=sys.stderr,
            )
            results = bench.run()
            progress.finish()
    finally:
        os.sched_setaffinity(0, old_affinity)

    evidence = static_evidence(paths, stacks) + derived_evidence(results, stacks)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    env_doc: dict[str, Any] = {
        "measured_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sample": False,
        "measured_by": "lead-magnet bench (report/bench)" + (" --quick smoke run" if args.quick else ", full run"),
        "machine": {
            "cpu": procfs.cpu_model(),
            "cores": os.cpu_count() or 1,
            "memory_gb": procfs.memory_gb(),
            "os": _os_name(),
            "kernel": platform.release(),
        },
        "load_tool": (
            f"{_wrk_version()} (closed loop, {plan.wrk_threads} thread(s), Lua done() hook); "
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
            },
        },
        "versions": stack_versions,
        "tracing": {
            "exporter": "OTLP/HTTP protobuf to one local span receiver",
            "receiver_decoder": "opentelemetry-proto " + _dist_version("opentelemetry-proto"),
            "max_queue_size": BSP_DEFAULTS["OTEL_BSP_MAX_QUEUE_SIZE"],
            "max_export_batch_size": BSP_DEFAULTS["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"],
            "schedule_delay_ms": BSP_DEFAULTS["OTEL_BSP_SCHEDULE_DELAY"],
            "export_timeout_ms": BSP_DEFAULTS["OTEL_BSP_EXPORT_TIMEOUT"],
            "delivered_min_pct": DELIVERED_MIN_PCT,
            "queue_size_used": {s: results.queue_size.get(s, BSP_DEFAULTS["OTEL_BSP_MAX_QUEUE_SIZE"]) for s in stacks},
            "queue_reruns": results.queue_reruns,
        },
        "pinning": pinning.describe(),
        "notes": [
            *notes(plan, results, pinning, results.spans),
            *open_loop_notes(plan, results, pinning, oha),
            _tool_versions(oha),
        ],
    }
    drifted = drift_flags(results, probe)
    if probe.readings:
        env_doc["calibration"] = probe.document()
    if drifted:
        env_doc["drift"] = drifted
        env_doc["notes"] = [*env_doc["notes"], *drifted]
    texts = {
        "environment.yaml": yaml_text(env_doc),
        "startup.csv": csv_text(["stack", "run", "startup_ms"], results.startup),
        "memory.csv": csv_text(["stack", "phase", "run", "rss_mb"], results.memory),
        "throughput.csv": csv_text(
            [
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
            ],
            [
                (
                    r.stack,
                    r.concurrency,
                    r.run,
                    r.requests_per_sec,
                    r.latency_p50_ms,
                    r.latency_p90_ms,
                    r.latency_p99_ms,
                    r.errors,
                    r.variant,
                    r.endpoint,
                )
                for r in results.throughput
                if _delivered(r)
            ],
        ),
        "evidence.csv": csv_text(
            ["stack", "measure", "value", "unit"], [(s, m, round(v, 4), u) for s, m, v, u in evidence]
        ),
    }
    texts["latency.csv"] = csv_text(
        list(LATENCY_COLUMNS), [tuple(getattr(r, c) for c in LATENCY_COLUMNS) for r in results.latency]
    )
    assert set(texts) == set(FILES)
    write_all(out_dir, texts)
    # The full record, with per-run foreign CPU and retries, for anyone checking the numbers.
    (paths.work / "last-run.json").write_text(
        json.dumps(
            {
                "plan": asdict(plan),
                "throughput": [asdict(r) for r in results.throughput],
                "latency": [asdict(r) for r in results.latency],
                "spans": results.spans,
                "retries": results.retries,
                "contended_runs": results.contended_runs,
                "queue_reruns": results.queue_reruns,
                "under_delivered": [asdict(r) for r in results.under_delivered],
            },
            indent=1,
        )
    )
    print(f"lead-magnet bench: wrote {', '.join(FILES)} to {out_dir}", file=sys.stderr)
    _summary(results, stacks)
    return 0


def _summary(res: Results, stacks: list[str]) -> None:
    for stack in stacks:
        st = _median([ms for s, _, ms in res.startup if s == stack])
        idle = _median([v for s, ph, _, v in res.memory if s == stack and ph == "idle"])
        line = [f"{stack:8} startup {st:8.2f} ms  idle RSS {idle:6.1f} MB"]
        for variant in ("baseline", "otel"):
            rps = [
                r.requests_per_sec
                for r in res.throughput
                if r.stack == stack and r.variant == variant and r.endpoint == "json"
            ]
            line.append(f"{variant} {_median(rps):10.0f} req/s")
        print("  ".join(line))


def main(argv: list[str] | None = None) -> int:
    """Run as `python -m report.bench.cli`."""
    parser = argparse.ArgumentParser(prog="lead-magnet bench", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
