"""Synthetic data folders with any number of stacks, for scaling and layout tests (always sample data)."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PALETTE = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#332288",
    "#117733",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
]
NAMES = [
    "Go",
    "Bun",
    "FastAPI",
    "Node.js with Fastify and a long name",
    "Rust (Axum)",
    "Java Spring Boot 3 on JVM",
    "Elixir Phoenix",
    "Ruby on Rails with Puma",
    "ASP.NET Core minimal APIs",
    "Deno with Oak framework",
    "Kotlin Ktor",
    "PHP Laravel Octane with Swoole",
]


def write_synthetic(target: Path, n: int, runs: int) -> Path:
    """Copy the bundled data and replace its stacks, benchmarks and scores with N synthetic stacks."""
    shutil.copytree(ROOT / "tests" / "fixtures" / "sample-data", target)
    ids = [f"s{i:02d}" for i in range(n)]
    report = yaml.safe_load((target / "report.yaml").read_text(encoding="utf-8"))
    report["stacks"] = [
        {"id": sid, "name": NAMES[i % len(NAMES)], "framework": f"framework {i}", "color": PALETTE[i % len(PALETTE)]}
        for i, sid in enumerate(ids)
    ]
    report["published"] = str(report["published"])
    (target / "report.yaml").write_text(yaml.safe_dump(report, sort_keys=False), encoding="utf-8")

    bench = target / "benchmarks"
    env = yaml.safe_load((bench / "environment.yaml").read_text(encoding="utf-8"))
    env["sample"] = True
    env["versions"] = {sid: f"synthetic {sid}" for sid in ids}
    env["method"]["concurrency"] = [10, 50, 100]
    env["measured_at"] = "2026-11-21T00:00:00Z"
    (bench / "environment.yaml").write_text(yaml.safe_dump(env, sort_keys=False), encoding="utf-8")
    (bench / "evidence.csv").unlink(missing_ok=True)
    startup = ["stack,run,startup_ms"]
    memory = ["stack,phase,run,rss_mb"]
    throughput = ["stack,concurrency,run,requests_per_sec,latency_p50_ms,latency_p90_ms,latency_p99_ms,errors,variant"]
    for i, sid in enumerate(ids):
        for run in range(1, runs + 1):
            wobble = 1 + ((run * 37 + i * 11) % 17 - 8) / 100
            startup.append(f"{sid},{run},{(3 + i * 19) * wobble:.2f}")
            memory.append(f"{sid},idle,{run},{(6 + i * 4) * wobble:.1f}")
            memory.append(f"{sid},load,{run},{(12 + i * 5) * wobble:.1f}")
            for level in (10, 50, 100):
                rps = (150000 - i * 11000) * wobble * (1 + level / 500)
                p50 = level / rps * 1000
                for variant, factor in (("baseline", 1.0), ("otel", 0.6)):
                    throughput.append(
                        f"{sid},{level},{run},{rps * factor:.1f},{p50 / factor:.3f},{p50 * 2 / factor:.3f},"
                        f"{p50 * 5 / factor:.3f},0,{variant}"
                    )
    (bench / "startup.csv").write_text("\n".join(startup) + "\n", encoding="utf-8")
    (bench / "memory.csv").write_text("\n".join(memory) + "\n", encoding="utf-8")
    (bench / "throughput.csv").write_text("\n".join(throughput) + "\n", encoding="utf-8")

    rubric = yaml.safe_load((target / "rubric.yaml").read_text(encoding="utf-8"))
    for category in rubric["categories"]:
        for k, criterion in enumerate(category["criteria"]):
            criterion.pop("measures", None)
            criterion["scores"] = {
                sid: {"score": 1 + (i + k) % 5, "evidence": f"Synthetic evidence for {sid} on {criterion['id']}."}
                for i, sid in enumerate(ids)
            }
    (target / "rubric.yaml").write_text(yaml.safe_dump(rubric, sort_keys=False, allow_unicode=True), encoding="utf-8")
    # copy with stack-specific placeholders would not resolve for synthetic ids; keep it generic
    otel = target / "copy" / "otel.md"
    otel.write_text("Synthetic stacks: the OpenTelemetry score is {otel.best}'s to lose.\n", encoding="utf-8")
    return target
