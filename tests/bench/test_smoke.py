"""End-to-end: a --quick run of the real harness against the real services (under a minute on a quiet machine).

Every test that starts the harness lives in this file, so --dist loadfile runs them one after another: the harness
allows one run at a time (services/.work/bench.lock), and two at once would share its logs and PostgreSQL."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml
from filelock import FileLock

from report.bench import remote
from report.bench.cli import LOCK_NAME
from report.bench.derived import DB_MEASURES
from report.bench.evidence import MEASURES
from report.bench.hosts import ROLES, load_hosts
from report.bench.stacks import BUN_CANDIDATES, BUN_CHOICE, FASTAPI_CANDIDATES, FASTAPI_CHOICE
from tests.bench.conftest import WORK, harness
from tests.bench.netns_hosts import Lab, lab
from tests.bench.test_processes import marked_pids, wait_gone

pytestmark = pytest.mark.slow  # runs the real services (seconds each)
__all__ = ["lab"]

ROOT = Path(__file__).resolve().parents[2]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def quick_run(toolchain: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "benchmarks"
    token = uuid.uuid4().hex
    proc = harness(["--quick", "--out", str(out)], token)
    _, stderr = proc.communicate(timeout=240)
    assert proc.returncode == 0, stderr[-3000:]
    assert wait_gone(token) == [], "processes left behind after a successful run"
    return out


def test_writes_the_seven_files(quick_run: Path) -> None:
    assert sorted(p.name for p in quick_run.iterdir()) == sorted(
        [
            "environment.yaml",
            "startup.csv",
            "memory.csv",
            "throughput.csv",
            "evidence.csv",
            "latency.csv",
            "traces.json",
        ]
    )


def test_environment_is_not_sample(quick_run: Path) -> None:
    env = yaml.safe_load((quick_run / "environment.yaml").read_text())
    assert env["sample"] is False
    assert set(env["versions"]) == {"go", "bun", "fastapi"}
    assert env["method"]["concurrency"] == [10]
    assert "pinning" in env and env["notes"]
    assert any("closed-loop" in n for n in env["notes"])
    # The smoke plan says what it leaves out or shortens (the full plan's values are in test_options.py):
    # no warm-up, no contention retries, and the batch delay its services really ran with.
    assert (env["method"]["warmup_s"], env["method"]["contended_retries"]) == (0, 0)
    assert env["tracing"]["schedule_delay_ms"] == 200
    assert any("delay 200 ms" in n for n in env["notes"])


def test_csv_columns_and_rows(quick_run: Path) -> None:
    startup = _rows(quick_run / "startup.csv")
    assert list(startup[0]) == ["stack", "run", "startup_ms"]
    assert {r["stack"] for r in startup} == {"go", "bun", "fastapi"}
    assert all(float(r["startup_ms"]) > 0 for r in startup)
    memory = _rows(quick_run / "memory.csv")
    assert list(memory[0]) == ["stack", "phase", "run", "rss_mb"]
    assert {(r["stack"], r["phase"]) for r in memory} == {
        (s, p) for s in ("go", "bun", "fastapi") for p in ("idle", "load")
    }
    tput = _rows(quick_run / "throughput.csv")
    assert {(r["stack"], r["variant"]) for r in tput if r["endpoint"] == "json"} == {
        (s, v) for s in ("go", "bun", "fastapi") for v in ("baseline", "otel")
    }
    # the smoke run measures /db in the baseline variant only, at one wrk level
    assert {(r["stack"], r["variant"], r["concurrency"]) for r in tput if r["endpoint"] == "db"} == {
        (s, "baseline", "10") for s in ("go", "bun", "fastapi")
    }
    assert all(float(r["requests_per_sec"]) > 0 and int(r["errors"]) == 0 for r in tput)
    latency = _rows(quick_run / "latency.csv")
    assert list(latency[0]) == [
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
    ]
    for r in latency:  # oha's report, mapped: percentiles ordered, something answered, an achieved rate
        p = [float(r[k]) for k in ("latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "latency_p999_ms")]
        assert 0 < p[0] <= p[1] <= p[2] <= p[3], r
        assert 0 < float(r["achieved_rps"]) <= 1.05 * float(r["offered_rps"]), r
    rates: dict[tuple[str, str], set[float]] = {}
    for r in latency:
        if r["phase"] == "ladder":
            rates.setdefault((r["stack"], r["endpoint"]), set()).add(float(r["offered_rps"]))
    # two coarse rates (50% and 100% of the wrk peak) per stack and endpoint
    assert {k: len(v) for k, v in rates.items()} == {
        (s, e): 2 for s in ("go", "bun", "fastapi") for e in ("json", "db")
    }
    # a knee step, when there is one (the smoke run's budget allows one), checks a ladder rate at knee length, lies
    # between the two, or halves the lower where it missed
    for r in latency:
        assert r["phase"] in ("ladder", "knee", "common") and int(r["requests"]) > 0 and float(r["duration_s"]) > 0
        if r["phase"] == "knee":
            low, high = sorted(rates[(r["stack"], r["endpoint"])])
            assert low / 2 - 1 <= float(r["offered_rps"]) <= high, r
    # last, one common rate per endpoint for every stack, untraced: half the slowest stack's peak (its lowest rate in
    # the smoke run's ladder) or, where its runs there missed, a quarter
    for endpoint in ("json", "db"):
        common = [r for r in latency if r["phase"] == "common" and r["endpoint"] == endpoint]
        assert sorted(r["stack"] for r in common) == ["bun", "fastapi", "go"], endpoint
        assert {r["variant"] for r in common} == {"baseline"} and len({r["offered_rps"] for r in common}) == 1
        slowest_half = min(min(v) for (_s, e), v in rates.items() if e == endpoint)
        assert float(common[0]["offered_rps"]) in (slowest_half, pytest.approx(slowest_half / 2, abs=1)), endpoint


def test_evidence_measures_are_documented(quick_run: Path) -> None:
    rows = _rows(quick_run / "evidence.csv")
    assert list(rows[0]) == ["stack", "measure", "value", "unit"]
    assert {r["measure"] for r in rows} <= set(MEASURES) | set(DB_MEASURES)
    by = {(r["stack"], r["measure"]): float(r["value"]) for r in rows}
    for stack in ("go", "bun", "fastapi"):
        # One server span per request, named after the route, with http.route, every span delivered.
        assert by[(stack, "otel_server_spans_per_req")] == pytest.approx(1.0)
        assert by[(stack, "otel_server_span_has_route")] == 1.0
        assert by[(stack, "otel_server_span_named_route")] == 1.0
        assert by[(stack, "otel_spans_delivered_pct")] >= 99.0
        assert by[(stack, "otel_bad_payloads")] == 0.0
    for candidate in ("bunserve", "hono", "elysia"):
        assert ("bun", f"bun_{candidate}_server_spans") in by and ("bun", f"bun_{candidate}_setup_lines") in by
    # Like for like: the same span volume per request on /json and /db in every stack (issue 19): the server span
    # alone, FastAPI's built-in tracing and its contrib candidate alike (the two never both make a server span).
    for stack in ("go", "bun", "fastapi"):
        assert by[(stack, "otel_spans_per_req")] == pytest.approx(1.0), stack
        assert by[(stack, "otel_db_spans_per_req")] == pytest.approx(1.0), stack
    for candidate in ("builtin", "contrib"):
        assert by[("fastapi", f"fastapi_{candidate}_spans_per_req")] == pytest.approx(1.0)
        assert by[("fastapi", f"fastapi_{candidate}_server_spans")] == pytest.approx(1.0)
        assert ("fastapi", f"fastapi_{candidate}_setup_lines") in by
    assert by[("go", "shared_libraries")] == 0.0


def test_report_loader_accepts_the_files(quick_run: Path) -> None:
    data = pytest.importorskip("report.inputs.data")
    benchmarks, problems = data.load_benchmarks(quick_run.parent, "data", ["go", "bun", "fastapi"])
    assert problems == []
    assert benchmarks is not None
    # one captured trace per stack and endpoint (and per Bun candidate on /json), each rooted in a server span
    got = sorted((t.stack, t.variant, t.endpoint) for t in benchmarks.traces)
    assert got == sorted(
        [(s, "otel", e) for s in ("go", "bun", "fastapi") for e in ("json", "db")]
        + [("bun", c, "json") for c in BUN_CANDIDATES if c != BUN_CHOICE]
        + [("fastapi", c, "json") for c in FASTAPI_CANDIDATES if c != FASTAPI_CHOICE]
    )
    assert all(t.spans[0].kind == "server" for t in benchmarks.traces if t.variant == "otel")


def test_bad_stack_is_a_clear_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "report.bench.cli", "--stacks", "rust"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert proc.returncode == 1
    assert "--stacks: unknown rust; expected some of go, bun, fastapi" in proc.stderr
    assert "Traceback" not in proc.stderr


# The interrupted run and the refused second run live here, in the smoke run's file, so that --dist loadfile runs
# them one after another on one worker: the harness allows one run at a time on a machine (services/.work/bench.lock).
def test_interrupt_mid_run_leaves_nothing(toolchain: None, tmp_path: Path) -> None:
    token = uuid.uuid4().hex
    proc = harness(["--quick", "--stacks", "go,fastapi", "--out", str(tmp_path / "out")], token)
    assert proc.stderr is not None
    # Interrupt mid-measurement, not while building: once the first span probe is announced (a piped stderr gets
    # one progress line per step) and the receiver and its service are running.
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "span probe:" in line:
            break
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(marked_pids(token)) < 2 and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "".join(seen)
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=30)
    stderr = "".join(seen) + rest
    assert proc.returncode == 1, stderr[-2000:]
    assert "interrupted by SIGINT" in stderr
    assert "Traceback" not in stderr
    assert wait_gone(token) == []
    assert not (tmp_path / "out").exists(), "nothing is written by an interrupted run"


def test_a_second_run_at_the_same_time_is_refused_in_one_line(toolchain: None, tmp_path: Path) -> None:
    lock_path = WORK / LOCK_NAME
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(lock_path), timeout=0):  # as a running harness holds it
        proc = harness(["--quick", "--out", str(tmp_path / "out")], uuid.uuid4().hex)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1
    # (python -m report.bench.cli, as the tests start it, may first print runpy's RuntimeWarning)
    assert stderr.strip().splitlines()[-1] == (
        f"lead-magnet bench: error: another `lead-magnet bench` is running on this machine ({lock_path} is locked); "
        "wait for it to finish"
    )
    assert "Traceback" not in stderr and "building reference services" not in stderr
    assert not (tmp_path / "out").exists()


# --- across hosts (tests/bench/test_multihost.py has the rest; these build and take the local lock, so they run in
# turn here) ---


def hosts_run(lab: Lab, args: list[str], token: str) -> subprocess.Popen[str]:
    """The harness against the lab's three hosts: service on the first, load on the second, PostgreSQL on the third."""
    path = lab.hosts_yaml({"service": 0, "load": 1, "database": 2})
    return harness(["--hosts", str(path), *args], token)


def read_until(proc: subprocess.Popen[str], needle: str, timeout_s: float = 300) -> list[str]:
    """stderr lines up to and including the first that contains `needle` (a piped stderr gets one line per step)."""
    assert proc.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    for line in proc.stderr:
        seen.append(line)
        if needle in line or time.monotonic() > deadline:
            break
    assert needle in seen[-1], "".join(seen[-20:])
    return seen


@pytest.mark.usefixtures("toolchain")
def test_a_quick_run_across_three_hosts_measures_every_phase_there(lab: Lab, tmp_path: Path) -> None:
    out = tmp_path / "benchmarks"
    token = uuid.uuid4().hex
    proc = hosts_run(lab, ["--quick", "--out", str(out)], token)
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr[-3000:]
    assert lab.wait_clean() == {}, "processes left on a host after a successful run"
    assert wait_gone(token) == []
    # the same files, rows and evidence as the local smoke run
    test_writes_the_seven_files(out)
    test_csv_columns_and_rows(out)
    test_evidence_measures_are_documented(out)
    test_report_loader_accepts_the_files(out)
    env = yaml.safe_load((out / "environment.yaml").read_text())
    service, load, database = lab.hosts
    assert [env["hosts"][r]["address"] for r in ("service", "load", "database")] == [
        service.address,
        load.address,
        database.address,
    ]
    assert env["machine"]["cores"] == env["hosts"]["service"]["cores"] == os.cpu_count()
    assert all(len(env["hosts"][r]["calibration"]) >= 4 for r in ("service", "load", "database"))
    assert env["pinning"].startswith(f"server on the service host ({service.address}) pinned to core 0")
    assert env["method"]["db_placement"] == "host"  # PostgreSQL had a machine of its own
    assert env["notes"][0].startswith(
        f"Measured across separate machines (lead-magnet bench --hosts): the services on the service host "
        f"({service.address}), wrk, oha and the span receiver on the load host ({load.address}), PostgreSQL on the "
        f"database host ({database.address})."
    )
    assert any(n.startswith("PostgreSQL runs on the database host, a machine of its own") for n in env["notes"])
    # each role ran where the hosts file put it: the services' logs on the service host, the receiver's and wrk's on
    # the load host, PostgreSQL's on the database host
    hosts = load_hosts(lab.hosts_yaml({"service": 0, "load": 1, "database": 2}))
    logs = {r: remote.run(hosts.role(r), f"ls {hosts.role(r).workdir}/logs").split() for r in ROLES}
    assert {"go-baseline.log", "bun-otel.log", "fastapi-otel-contrib.log"} <= set(logs["service"])
    assert {"receiver.log", "wrk.log", "oha.json"} <= set(logs["load"]) and "go-baseline.log" not in logs["load"]
    assert logs["database"] == ["postgres.log"]


@pytest.mark.usefixtures("toolchain")
def test_a_service_killed_mid_run_on_its_host_stops_the_run_in_one_line(lab: Lab, tmp_path: Path) -> None:
    token = uuid.uuid4().hex
    proc = hosts_run(lab, ["--quick", "--stacks", "go", "--duration", "5", "--out", str(tmp_path / "out")], token)
    read_until(proc, "round 1/1: go (baseline) c=10 measuring 5s")
    server = [p for p in lab.hosts[0].pids() if Path(f"/proc/{p}/exe").resolve().name == "server"]
    assert len(server) == 1
    os.kill(server[0], signal.SIGKILL)
    _, rest = proc.communicate(timeout=120)
    hosts = load_hosts(lab.hosts_yaml())
    assert proc.returncode == 1
    assert rest.splitlines()[-1] == (
        "lead-magnet bench: error: go (baseline) crashed under load (exit 137); "
        f"see {hosts.service.label}:{hosts.service.workdir}/logs"
    )
    assert "Traceback" not in rest
    assert lab.wait_clean() == {}
    assert wait_gone(token) == []
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("toolchain")
def test_a_connection_cut_mid_run_stops_the_run_in_one_line_and_leaves_nothing(lab: Lab, tmp_path: Path) -> None:
    token = uuid.uuid4().hex
    proc = hosts_run(lab, ["--quick", "--stacks", "go", "--duration", "5", "--out", str(tmp_path / "out")], token)
    read_until(proc, "round 1/1: go (baseline) c=10 measuring 5s")
    service = lab.hosts[0]
    subprocess.run(["ip", "link", "set", service.veth, "down"], check=True, timeout=30)
    try:
        _, rest = proc.communicate(timeout=180)
    finally:
        subprocess.run(["ip", "link", "set", service.veth, "up"], check=True, timeout=30)
    hosts = load_hosts(lab.hosts_yaml())
    assert proc.returncode == 1
    assert rest.splitlines()[-1] == (
        f"lead-magnet bench: error: {hosts.service.label}: the SSH connection to the service host was lost"
    )
    assert "Traceback" not in rest
    # the service host's side ends on its own: its sshd drops the dead session, the supervisor's read times out
    assert lab.wait_clean(timeout_s=40) == {}
    assert wait_gone(token) == []
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("toolchain")
def test_ctrl_c_mid_run_across_hosts_leaves_nothing_on_any_host(lab: Lab, tmp_path: Path) -> None:
    token = uuid.uuid4().hex
    proc = hosts_run(lab, ["--quick", "--stacks", "go", "--duration", "5", "--out", str(tmp_path / "out")], token)
    read_until(proc, "round 1/1: go (baseline) c=10 measuring 5s")
    assert lab.leftovers() != {}  # the service, wrk, the receiver and the agents run on their hosts
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert rest.splitlines()[-1] == "lead-magnet bench: error: interrupted by SIGINT"
    assert "Traceback" not in rest
    assert lab.wait_clean() == {}
    assert wait_gone(token) == []
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("toolchain")
def test_roles_may_share_one_host_and_keep_the_local_pinning_there(lab: Lab, tmp_path: Path) -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("needs 2 cores to split them")
    out = tmp_path / "benchmarks"
    token = uuid.uuid4().hex
    path = lab.hosts_yaml({"service": 0, "load": 0, "database": 0})
    proc = harness(["--hosts", str(path), "--quick", "--stacks", "go", "--out", str(out)], token)
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr[-3000:]
    assert lab.wait_clean() == {} and wait_gone(token) == []
    env = yaml.safe_load((out / "environment.yaml").read_text())
    assert env["hosts"]["load"]["shared_with"] == ["service", "database"]
    address = lab.hosts[0].address
    # one machine: the service on its first core, the load side on the others, as the local mode splits them
    assert env["pinning"].startswith(
        f"server on the service host ({address}) pinned to core 0 (taskset); wrk, oha and the span receiver on the "
        f"load host ({address}), cores {','.join(str(c) for c in range(1, os.cpu_count() or 2))};"
    )
