"""The SSH layer against three real hosts (network namespaces with their own sshd, tests/bench/netns_hosts.py):
checks before anything starts, the per-host lock, deployment by copy, and remote processes that end with the
harness whatever ends it (stop, crash, a cut connection, Ctrl+C, SIGTERM, SIGKILL)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from report.bench import remote
from report.bench.errors import BenchError
from report.bench.hosts import load_hosts
from report.bench.processes import ProcessRegistry
from tests.bench.netns_hosts import Lab, lab

__all__ = ["lab"]

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def wait_exit(p: remote.RemoteProcess, timeout_s: float = 20.0) -> int | None:
    deadline = time.monotonic() + timeout_s
    while p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return p.poll()


def ignores_term(status: str) -> bool:
    mask = next((int(ln.split()[1], 16) for ln in status.splitlines() if ln.startswith("SigIgn:")), 0)
    return bool(mask & (1 << (signal.SIGTERM - 1)))


def test_a_second_run_against_the_same_host_stops_with_one_line(lab: Lab) -> None:
    host = load_hosts(lab.hosts_yaml()).service
    first = remote.RemoteLock(host)
    try:
        with pytest.raises(BenchError) as err:
            remote.RemoteLock(host)
        assert str(err.value) == (
            f"another `lead-magnet bench` is running against {host.label} ({host.workdir}/bench.lock is locked "
            "there); wait for it to finish"
        )
    finally:
        first.release()
    remote.RemoteLock(host).release()  # released with the first session
    assert lab.wait_clean() == {}


def test_deploy_copies_a_tree_over_ssh(lab: Lab, tmp_path: Path) -> None:
    host = load_hosts(lab.hosts_yaml()).service
    art = tmp_path / "artefact"
    (art / "bin").mkdir(parents=True)
    payload = os.urandom(300_000)
    (art / "bin" / "server").write_bytes(payload)
    (art / "bin" / "server").chmod(0o755)
    (art / "bin" / "python").symlink_to("/usr/bin/env")  # a venv's interpreter link must stay a link
    target = remote.deploy(host, art, f"{host.workdir}/deploy")
    assert target == f"{host.workdir}/deploy/artefact"
    out = remote.run(host, f"sha256sum {target}/bin/server; test -x {target}/bin/server && echo executable")
    assert out.split()[0] == hashlib.sha256(payload).hexdigest()
    assert out.split()[-1] == "executable"
    assert remote.run(host, f"readlink {target}/bin/python").strip() == "/usr/bin/env"


def test_a_remote_process_is_pinned_read_and_stopped(lab: Lab) -> None:
    host = load_hosts(lab.hosts_yaml()).service
    reg = ProcessRegistry({"LEAD_MAGNET_BENCH_RUN": "t-remote"})
    p = remote.RemoteProcess(reg, host, ["sleep", "300"], cpus={0}, cwd="/tmp")
    status = remote.read_remote(host, f"/proc/{p.pid}/status")
    assert "VmRSS:" in status
    assert "Cpus_allowed_list:\t0\n" in status
    assert "LEAD_MAGNET_BENCH_RUN=t-remote" in remote.read_remote(host, f"/proc/{p.pid}/environ").replace("\0", "\n")
    assert p.stop() == 143  # SIGTERM
    assert lab.wait_clean() == {}


def test_a_stubborn_process_tree_is_killed(lab: Lab) -> None:
    host = load_hosts(lab.hosts_yaml()).service
    reg = ProcessRegistry()
    p = remote.RemoteProcess(reg, host, ["bash", "-c", "trap '' TERM; sleep 300 & sleep 300; wait"])
    deadline = time.monotonic() + 10
    while not ignores_term(remote.read_remote(host, f"/proc/{p.pid}/status")) and time.monotonic() < deadline:
        time.sleep(0.05)  # until bash has set its trap
    assert p.stop() == 137  # SIGKILL after the grace
    assert lab.wait_clean() == {}


def test_a_crashed_service_is_seen_and_leaves_nothing(lab: Lab) -> None:
    host = load_hosts(lab.hosts_yaml()).service
    reg = ProcessRegistry()
    p = remote.RemoteProcess(reg, host, ["bash", "-c", "sleep 300 & sleep 300"])
    os.kill(p.pid, signal.SIGKILL)  # the namespaces share this machine's pids
    assert wait_exit(p) == 137
    assert lab.wait_clean() == {}  # its child too


def test_a_cut_connection_stops_the_remote_process(lab: Lab) -> None:
    host = load_hosts(lab.hosts_yaml()).service
    reg = ProcessRegistry()
    p = remote.RemoteProcess(reg, host, ["sleep", "300"])
    assert p.poll() is None
    subprocess.run(["ip", "link", "set", lab.hosts[0].veth, "down"], check=True, timeout=30)
    # No heartbeat reaches the supervisor: it stops the command by itself; the client gives up on the server.
    assert lab.wait_clean(timeout_s=30) == {}
    assert wait_exit(p, 30) == 255
    reg.stop_all()


HARNESS = """
import sys, time
from pathlib import Path
from report.bench import hostcheck, remote
from report.bench.hosts import load_hosts
from report.bench.processes import ProcessRegistry, managed
reg = ProcessRegistry()
hosts = load_hosts(Path(sys.argv[1]))
with managed(reg):
    ps = [remote.RemoteProcess(reg, h, ["sleep", "300"]) for h in hosts.distinct]
    print("started", flush=True)
    time.sleep(300)
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_ctrl_c_sigterm_or_a_killed_harness_leave_nothing_on_any_host(lab: Lab, sig: signal.Signals) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(HARNESS), str(lab.hosts_yaml())],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "started"
    assert sorted(lab.leftovers()) == sorted(h.name for h in lab.hosts)
    child.send_signal(sig)
    child.wait(timeout=30)
    assert lab.wait_clean() == {}


def test_a_workdir_that_cannot_be_made_is_one_line(lab: Lab) -> None:
    path = lab.hosts_yaml()
    path.write_text(path.read_text().replace(f"{lab.root}/host0/work", "/proc/lead-magnet"))
    host = load_hosts(path).service
    with pytest.raises(BenchError) as err:
        remote.RemoteLock(host)
    assert str(err.value) == (
        f"{host.label}: could not take the lock /proc/lead-magnet/bench.lock: "
        "mkdir: cannot create directory '/proc/lead-magnet': No such file or directory"
    )
