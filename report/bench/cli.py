"""`lead-magnet bench`: build the reference services, measure them, write data/benchmarks/."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from report.bench.acrosshosts import RemoteBench, placement
from report.bench.calibration import Probe
from report.bench.capture import traces_text
from report.bench.derived import derived_evidence
from report.bench.environment import environment_document
from report.bench.errors import BenchError
from report.bench.evidence import static_evidence
from report.bench.hostagent import deploy_bundle, make_bundle
from report.bench.hosts import ROLES, Hosts, load_hosts
from report.bench.measure import Bench
from report.bench.multihost import check_all, deploy_artefacts, hosts_environment, locked, machine, service_artefacts
from report.bench.oha import oha_binary, oha_version
from report.bench.options import add_arguments, make_plan, parse_stacks
from report.bench.output import FILES, file_texts, write_all
from report.bench.plan import Pinning, Plan, choose_pinning
from report.bench.processes import ProcessRegistry, managed
from report.bench.progress import Progress
from report.bench.results import Results
from report.bench.stacks import Paths, build, repo_root, versions
from report.bench.wording import sentence

RUN_ID_ENV = "LEAD_MAGNET_BENCH_RUN"

__all__ = ["add_arguments", "main", "run"]


LOCK_NAME = "bench.lock"  # in services/.work: one harness run at a time


def run(args: argparse.Namespace) -> int:
    """Run the benchmark; 0 on success, 1 on an expected failure (printed without a traceback)."""
    try:
        # validated before anything starts: a bad hosts file is one line per problem and nothing else
        hosts = load_hosts(Path(args.hosts)) if getattr(args, "hosts", None) else None
        if hosts is not None:
            return run_hosts(args, hosts)
        parse_stacks(args.stacks)  # before the lock: a typo is its own one line even while another run holds it
        with local_lock(Paths(repo_root()).work):
            return _run(args)
    except BenchError as exc:
        for line in str(exc).splitlines():
            print(f"lead-magnet bench: error: {line}", file=sys.stderr)
        return 1


@contextlib.contextmanager
def local_lock(work: Path) -> Iterator[None]:
    """One harness run at a time on this machine."""
    work.mkdir(parents=True, exist_ok=True)
    # Two runs at once would share the services' builds, logs and PostgreSQL pointer (each would stop the
    # other's cluster as a leftover) and measure each other's load: the second one refuses at once.
    lock = FileLock(str(work / LOCK_NAME), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise BenchError(
            f"another `lead-magnet bench` is running on this machine ({work / LOCK_NAME} is locked); "
            "wait for it to finish"
        ) from None
    try:
        yield
    finally:
        lock.release()


def run_hosts(args: argparse.Namespace, hosts: Hosts) -> int:
    """`--hosts`: every host checked before anything starts and locked for the run, the artefacts built here and
    copied there, then the plan measured across them (report/bench/acrosshosts.py) and written as locally."""
    paths = Paths(repo_root())
    stacks = parse_stacks(args.stacks)
    make_plan(args, stacks, 1)  # the options are checked before anything starts, as in the local mode
    if args.traces_only:
        raise BenchError("--traces-only runs on this machine only; leave out --hosts")
    facts = check_all(hosts)
    cores = {role: facts[hosts.role(role).key].cores for role in ("service", "load")}
    with locked(hosts), local_lock(paths.work):  # the build and its logs are this machine's
        print(f"lead-magnet bench: building reference services in {paths.work}", file=sys.stderr)
        build(paths, stacks)
        stack_versions = versions(paths, stacks)
        oha = oha_version(oha_binary(paths.work))
        placed = deploy_artefacts(paths, hosts.service, service_artefacts(paths, stacks))
        placed.update(deploy_artefacts(paths, hosts.load, [oha_binary(paths.work), paths.lua]))
        with tempfile.TemporaryDirectory(prefix="lead-magnet-agent-") as tmp:
            bundle = make_bundle(Path(tmp))
            where = {h.key: deploy_bundle(h, bundle) for h in hosts.distinct}
        bundles = {role: where[hosts.role(role).key] for role in ROLES}
        print(f"lead-magnet bench: deployed {len(placed)} artefacts", file=sys.stderr)
        log_dir = _fresh_logs(paths)
        registry = ProcessRegistry({RUN_ID_ENV: os.environ.get(RUN_ID_ENV) or uuid.uuid4().hex})
        with managed(registry), placement(registry, hosts, bundles, cores) as place:
            pinning = Pinning(place.service_cpus, place.load_cpus, (hosts.service.address, hosts.load.address))
            # PostgreSQL has a host of its own: no --db-placement on the service's or the load's cores
            plan = replace(make_plan(args, stacks, len(place.load_cpus or ()) or 1), db_placement="host")
            progress = Progress(0.0)
            bench = RemoteBench(paths, plan, registry, pinning, progress, log_dir).attach(place)
            progress.planned_s = predicted_s = bench.planned_seconds()
            _announce(progress.planned_s, plan, stacks)
            results = bench.run()
            progress.finish()
        probe = place.probes["service"]
        env_doc = _environment(args, paths, plan, results, pinning, oha, stack_versions, probe, predicted_s)
        env_doc["machine"] = machine(facts[hosts.service.key])
        env_doc["tracing"]["exporter"] = "OTLP/HTTP protobuf to one span receiver on the load host"
        env_doc["hosts"] = hosts_environment(hosts, facts, {r: p.readings for r, p in place.probes.items()})
        addresses = {role: hosts.role(role).address for role in ROLES}
        env_doc["notes"].insert(0, sentence("hosts_note", **addresses))
        return _write(args, paths, plan, results, env_doc, stacks)


def _fresh_logs(paths: Paths) -> Path:
    """This machine's log directory, emptied of the last run's logs."""
    log_dir = paths.work / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("*.log"):
        old.unlink()
    return log_dir


def _announce(planned_s: float, plan: Plan, stacks: list[str]) -> None:
    ladder_s = plan.ladder.seconds(len(stacks) * len(plan.ladder.variants) * (1 + plan.db))
    print(
        f"lead-magnet bench: planned {planned_s / 60:.1f} min of measurement at most "
        f"(open-loop ladders and knee bisection {ladder_s / 60:.1f} min); "
        "progress below counts it down",
        file=sys.stderr,
    )


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
    log_dir = _fresh_logs(paths)

    registry = ProcessRegistry({RUN_ID_ENV: os.environ.get(RUN_ID_ENV) or uuid.uuid4().hex})
    old_affinity = os.sched_getaffinity(0)
    bench: Bench | None = None
    probe = Probe()
    predicted_s = 0.0
    try:
        if pinning.load:
            # The harness samples /proc and polls; keep that off the server's core.
            os.sched_setaffinity(0, pinning.load)
        with managed(registry):
            progress = Progress(0.0)
            bench = Bench(paths, plan, registry, pinning, progress, log_dir)
            progress.planned_s = predicted_s = bench.planned_seconds()
            bench.on_checkpoint = probe.record
            if args.traces_only:
                progress.planned_s = bench.planned_trace_seconds()
                results = bench.run_traces()
                progress.finish()
                write_all(out_dir, {"traces.json": traces_text(results.traces)})
                print(f"lead-magnet bench: wrote traces.json to {out_dir}", file=sys.stderr)
                return 0
            _announce(progress.planned_s, plan, stacks)
            results = bench.run()
            progress.finish()
    finally:
        os.sched_setaffinity(0, old_affinity)

    env_doc = _environment(args, paths, plan, results, pinning, oha, stack_versions, probe, predicted_s)
    return _write(args, paths, plan, results, env_doc, stacks)


def _environment(
    args: argparse.Namespace,
    paths: Paths,
    plan: Plan,
    results: Results,
    pinning: Pinning,
    oha: str,
    stack_versions: dict[str, str],
    probe: Probe,
    predicted_s: float = 0.0,
) -> dict[str, Any]:
    """environment.yaml's document for a run that just ended (its time is now)."""
    return environment_document(
        plan,
        results,
        pinning,
        quick=bool(args.quick),
        oha=oha,
        lua_hook=str(paths.lua.relative_to(paths.root)),
        stack_versions=stack_versions,
        probe=probe,
        now=dt.datetime.now(dt.UTC).replace(microsecond=0),
        predicted_s=predicted_s,
    )


def _write(
    args: argparse.Namespace, paths: Paths, plan: Plan, results: Results, env_doc: dict[str, Any], stacks: list[str]
) -> int:
    """The data files, the full record for checking, and the summary."""
    out_dir = Path(args.out)
    evidence = static_evidence(paths, stacks) + derived_evidence(results, stacks)
    write_all(out_dir, file_texts(env_doc, results, evidence))
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


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


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
