"""`lead-magnet bench --hosts` across three namespaced hosts (tests/bench/netns_hosts.py): every host checked
before anything starts, the per-host lock, artefacts deployed by a real copy, each role's hardware described."""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from report.bench import hostcheck, remote
from report.bench.errors import BenchError
from report.bench.hosts import load_hosts
from report.bench.multihost import (
    check_all,
    deploy_artefacts,
    hosts_environment,
    remote_path,
    service_artefacts,
)
from report.bench.stacks import Paths
from tests.bench.conftest import ROOT
from tests.bench.netns_hosts import Lab, lab
from tests.bench.test_processes import MARK

__all__ = ["lab"]

pytestmark = pytest.mark.slow


def test_every_bad_host_is_one_line_before_anything_starts(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(hostcheck.ROLE_TOOLS, "load", ("wrk", "oha-not-installed"))
    path = lab.hosts_yaml()
    path.write_text(path.read_text().replace(lab.hosts[0].address, lab.unused_address()))
    with pytest.raises(BenchError) as err:
        check_all(load_hosts(path))
    lines = str(err.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"root@{lab.unused_address()}: unreachable over SSH (ssh: connect to host ")
    assert lines[1] == (
        f"root@{lab.hosts[1].address} (load host): missing oha-not-installed; install them there first "
        "(Debian: see services/README.md)"
    )


def test_each_role_is_described_under_its_name(lab: Lab) -> None:
    hosts = load_hosts(lab.hosts_yaml({"service": 0, "load": 1, "database": 1}))
    env = hosts_environment(hosts, check_all(hosts))
    assert list(env) == ["service", "load", "database"]
    load = env["load"]
    assert isinstance(load, dict)
    assert load["address"] == lab.hosts[1].address and load["shared_with"] == ["database"]
    assert load["cores"] == os.cpu_count() and load["kernel"] == os.uname().release
    assert set(load["tools"]) == {"wrk", "python3", "postgresql"}


def fake_checkout(root: Path, home: str) -> Paths:
    paths = Paths(root)
    (paths.work / "go").mkdir(parents=True)
    for name in ("server", "server-otel"):
        (paths.work / "go" / name).write_bytes(os.urandom(100_000))
    for venv in ("fastapi-venv", "fastapi-otel-venv", "fastapi-contrib-venv"):
        (paths.work / venv / "lib").mkdir(parents=True)
        (paths.work / venv / "pyvenv.cfg").write_text(f"home = {home}\nversion = 3\n")
        (paths.work / venv / "lib" / "site.py").write_text("x = 1\n")
    (paths.services / "fastapi").mkdir(parents=True)
    (paths.services / "fastapi" / "app.py").write_text("app = None\n")
    return paths


def test_artefacts_are_copied_to_the_service_host(lab: Lab, tmp_path: Path) -> None:
    host = load_hosts(lab.hosts_yaml()).service
    paths = fake_checkout(tmp_path / "checkout", str(Path(sys.base_prefix) / "bin"))
    arts = service_artefacts(paths, ["go", "fastapi"])
    placed = deploy_artefacts(paths, host, arts)
    assert placed[paths.work / "go" / "server"] == f"{host.workdir}/artefacts/services/.work/go/server"
    for local in (paths.work / "go" / "server-otel", paths.work / "fastapi-venv" / "lib" / "site.py"):
        out = remote.run(host, f"sha256sum {shlex.quote(remote_path(paths, host, local))}")
        assert out.split()[0] == hashlib.sha256(local.read_bytes()).hexdigest()
    # a second deploy replaces, never nests
    deploy_artefacts(paths, host, arts)
    assert remote.run(host, f"ls {remote_path(paths, host, paths.services / 'fastapi')}").split() == ["app.py"]


def test_a_venv_without_its_interpreter_on_the_host_is_one_line(lab: Lab, tmp_path: Path) -> None:
    host = load_hosts(lab.hosts_yaml()).service
    paths = fake_checkout(tmp_path / "checkout", "/opt/no-such-python/bin")
    with pytest.raises(BenchError) as err:
        deploy_artefacts(paths, host, service_artefacts(paths, ["fastapi"]))
    assert str(err.value) == (
        f"{host.label}: fastapi-venv needs the Python it was made with at /opt/no-such-python/bin; "
        "install the same CPython there first (services/README.md, the EC2 recipe)"
    )


def test_unbuilt_artefacts_are_named(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    with pytest.raises(BenchError) as err:
        service_artefacts(paths, ["go"])
    assert str(err.value) == (
        f"not built: {paths.work / 'go' / 'server'}, {paths.work / 'go' / 'server-otel'}; run `make bench-deps` first"
    )


def cli(args: list[str]) -> tuple[int, str, str]:
    """`lead-magnet bench ARGS` as a user runs it (through the package's entry point)."""
    proc = subprocess.run(
        [sys.executable, "-m", "report", "bench", *args],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT), **{MARK: uuid.uuid4().hex}),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_cli_refuses_a_bad_hosts_file_before_anything_starts(tmp_path: Path) -> None:
    path = tmp_path / "hosts.yaml"
    path.write_text("service:\n  ssh: a@h1\n  prot: 22\nload:\n  ssh: a@h2\n")
    code, out, err = cli(["--hosts", str(path), "--quick"])
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"lead-magnet bench: error: {path}:1: database: this required key is missing",
        f"lead-magnet bench: error: {path}:3: service.prot: unknown key; did you mean 'port'?",
    ]


def test_cli_stops_on_an_unreachable_host_before_building(lab: Lab) -> None:
    path = lab.hosts_yaml()
    path.write_text(path.read_text().replace(lab.hosts[2].address, lab.unused_address()))
    code, out, err = cli(["--hosts", str(path), "--quick"])
    assert (code, out) == (1, "")
    # nothing on the bridge answers for that address: the connection fails at ARP, within the connect timeout
    assert err.splitlines() == [
        f"lead-magnet bench: error: root@{lab.unused_address()}: unreachable over SSH "
        f"(ssh: connect to host {lab.unused_address()} port 22: No route to host)"
    ]
    # nothing started on the reachable hosts: no agent, no lock session, no deployed files
    assert lab.leftovers() == {}
    hosts = load_hosts(lab.hosts_yaml())
    assert remote.run(hosts.service, f"ls -A {hosts.service.workdir} 2>/dev/null || true").split() == []


def test_cli_traces_only_is_refused_with_hosts_before_any_host_is_asked(tmp_path: Path) -> None:
    path = tmp_path / "hosts.yaml"
    path.write_text("service:\n  ssh: a@10.255.0.1\nload:\n  ssh: a@10.255.0.2\ndatabase:\n  ssh: a@10.255.0.3\n")
    code, out, err = cli(["--hosts", str(path), "--traces-only"])
    assert (code, out, err.splitlines()) == (
        1,
        "",
        ["lead-magnet bench: error: --traces-only runs on this machine only; leave out --hosts"],
    )


def test_cli_a_second_run_against_the_same_hosts_stops_with_one_line(lab: Lab) -> None:
    hosts = load_hosts(lab.hosts_yaml())
    held = remote.RemoteLock(hosts.load)
    try:
        code, out, err = cli(["--hosts", str(lab.hosts_yaml()), "--quick", "--stacks", "go"])
    finally:
        held.release()
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"lead-magnet bench: error: another `lead-magnet bench` is running against {hosts.load.label} "
        f"({hosts.load.workdir}/bench.lock is locked there); wait for it to finish"
    ]
    assert lab.wait_clean() == {}
