"""environment.yaml's method notes: the figures of one run, filled into the wording of report/bench/notes.yaml."""

from __future__ import annotations

import re
import statistics
from typing import Any

from report.bench.oha import CONNECTIONS, TIMEOUT_S
from report.bench.phases import DB_POOL_SIZE, ladder_notes
from report.bench.plan import Pinning, Plan
from report.bench.postgres import ROWS
from report.bench.results import Results
from report.bench.stacks import BSP_DEFAULTS
from report.bench.wording import fields, sentence, templates
from report.results.sustained import COMPLETED_SHARE, MAX_OVER, MIN_RUNS, TAIL_SAMPLES


def note(name: str, **figures: Any) -> str:
    """One note with its figures filled in."""
    return sentence(name, **figures)


def _probe_note(name: str, figures: dict[str, float]) -> str:
    """A note over span-probe figures; one the probe did not produce reads 0."""
    return note(name, **{field: figures.get(field, 0.0) for field in fields(name)})


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def method_notes(plan: Plan, res: Results, pinning: Pinning, tool: str, lua_hook: str) -> list[str]:
    """The method notes and limitations for the methodology page, in the order they are written.

    `tool` is oha's version line; `lua_hook` the wrk done() hook's path relative to the checkout."""
    return closed_loop_notes(plan, res, pinning, lua_hook) + open_loop_notes(plan, res, pinning, tool)


def closed_loop_notes(plan: Plan, res: Results, pinning: Pinning, lua_hook: str) -> list[str]:
    """wrk, rounds, startup, memory, noise, pinning and tracing."""
    foreign = [r.foreign_cpu_pct for r in res.throughput]
    out = [  # the closed-loop caveat is not a note: the report's Limitations list says it, and more precisely
        note("wrk_hook", lua_hook=lua_hook),
        note("rounds", rounds=plan.rounds, warmup_s=plan.warmup_s, duration_s=plan.duration_s),
        note("startup", startup_runs=plan.startup_runs),
        note("memory"),
        note(
            "noise" if plan.max_retries else "noise_no_retries",
            contention_pct=plan.contention_pct,
            max_retries=plan.max_retries,
            retry_budget=plan.retry_budget,
            quiet_wait_s=plan.quiet_wait_s,
            foreign_median=_median(foreign),
            foreign_max=max(foreign, default=0.0),
            retries=res.retries,
            contended_runs=res.contended_runs,
            runs=len(res.throughput),
        ),
        note("pinning", pinning=pinning.describe()),
        note(
            "tracing",
            queue=BSP_DEFAULTS["OTEL_BSP_MAX_QUEUE_SIZE"],
            batch=BSP_DEFAULTS["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"],
            delay=plan.bsp_schedule_delay_ms,
        ),
        note("delivery"),
    ]
    out += [note("queue_rerun", line=line) for line in res.queue_reruns]
    if (bun := res.spans.get("bun")) is not None:
        out.append(_probe_note("bun_candidates", bun))
    if (fastapi := res.spans.get("fastapi")) is not None:
        out.append(_probe_note("fastapi_spans", fastapi))
    return out


def open_loop_notes(plan: Plan, res: Results, pinning: Pinning, tool: str = "oha") -> list[str]:
    """The ladder, its cost on the load core, PostgreSQL."""
    lp = plan.ladder
    out = [
        note(
            "open_loop",
            tool=tool,
            connections=CONNECTIONS,
            ladder_pct=", ".join(f"{p:g}" for p in lp.ladder_pct),
            duration_s=lp.duration_s,
            warmup_s=lp.warmup_s,
            runs=lp.runs,
        ),
        note("latency_correction", timeout_s=TIMEOUT_S),
    ]
    if lp.knee_runs:
        out.append(
            note(
                "knee",
                knee_step_pct=lp.knee_step_pct,
                knee_runs=lp.knee_runs,
                knee_duration_s=lp.knee_duration_s,
                knee_max_duration_s=lp.knee_max_duration_s,
                knee_warmup_s=lp.knee_warmup_s,
                knee_budget_s=lp.knee_budget_s,
            )
        )
    if lp.common_runs and "baseline" in lp.variants:
        out.append(
            note(
                "common_rate",
                common_runs=lp.common_runs,
                common_min_s=lp.common_min_s,
                common_max_s=lp.common_max_s,
                knee_warmup_s=lp.knee_warmup_s,
            )
        )
    completed = round(100 * COMPLETED_SHARE)
    out.append(note("sustainable", min_runs=MIN_RUNS, tail=TAIL_SAMPLES, max_over=MAX_OVER, completed=completed))
    if cost := ladder_notes(res.latency):
        out.append(note("generator_cost", **cost, ladder_retries=res.ladder_retries))
        out.append(note("load_limited", **cost))
    if plan.db:
        load_side = (
            note("load_side_unpinned")
            if pinning.load is None
            else note("load_side_cores", cores=",".join(str(c) for c in sorted(pinning.load)))
        )
        out.append(note("db_table_host" if plan.db_placement == "host" else "db_table", rows=ROWS))
        db_figures = {"pool_size": DB_POOL_SIZE, "db_concurrency": ", ".join(str(c) for c in plan.db_concurrency)}
        if plan.db_placement == "load":
            out.append(note("db_placement", load_side=load_side, **db_figures))
        else:
            out.append(note(f"db_placement_{plan.db_placement}", **db_figures))
    return out


def release_line(version: str, parts: int) -> str:
    """`3.13` from `3.13.0` (parts=2), `20` from `v20.20.2` (parts=1); empty when unreadable."""
    match = re.match(r"v?(\d+(?:\.\d+)*)", version.strip())
    return ".".join(match.group(1).split(".")[:parts]) if match else ""


def support_status(tool: str, version: str) -> str:
    """The support status of `tool`'s release line (notes.yaml's support_<tool>_<line>), or that it is not on file."""
    line = release_line(version, 1 if tool == "node" else 2)
    return templates().get(f"support_{tool}_{line}", templates()["support_unknown"])


def toolchains_notes(python: str, node: str, go: str | None = None, build: str = "") -> list[str]:
    """What CPython the FastAPI services ran on (`build`: how it was optimised, "PGO+LTO" as the version line reads
    it back from the interpreter's configure options), what Node ran npm and (when measured) what Go built the Go
    services, each with its release's support status."""
    built = templates()["python_build_optimised" if build == "PGO+LTO" else "python_build_plain"]
    out = [
        note("toolchain_python", python=python, build=built, python_status=support_status("python", python)),
        note("toolchain_node", node=node.lstrip("v"), node_status=support_status("node", node)),
    ]
    if go:
        out.append(note("toolchain_go", go=go, go_status=support_status("go", go.removeprefix("go"))))
    return out


def tool_versions_note(tools: list[str]) -> str:
    """The last note: the load tools' and the harness's versions."""
    return note("tool_versions", tools="; ".join(tools))
