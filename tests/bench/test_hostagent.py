"""The bundle every host of a --hosts run gets (the agent, the span receiver and the receiver's decoder) runs on a
bare python3 with nothing installed; a measured run's foreign CPU is the busier host's."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from report.bench.hostagent import AcrossHosts, make_bundle, python_command
from report.bench.procfs import CpuTimes
from report.bench.sampler import Sample

SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")


def bare(bundle: Path, module: str, *args: str) -> subprocess.Popen[str]:
    """A bundle module on the system's python3, with an empty environment: nothing of the harness's venv."""
    argv = python_command(str(bundle), module, *args)
    assert argv[:3] == ["env", f"PYTHONPATH={bundle}", "python3"]
    assert SYSTEM_PYTHON is not None
    return subprocess.Popen(
        ["env", "-i", f"PYTHONPATH={bundle}", SYSTEM_PYTHON, *argv[3:]],
        cwd=bundle,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(SYSTEM_PYTHON is None, reason="needs the system's python3")
def test_the_bundle_runs_the_agent_and_the_receiver_on_a_bare_python(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    assert bundle.name == "agent" and (bundle / "google" / "protobuf").is_dir()
    agent = bare(bundle, "agent")
    try:
        assert agent.stdin is not None and agent.stdout is not None
        hello = json.loads(agent.stdout.readline())
        agent.stdin.write(json.dumps({"op": "calibrate"}) + "\n")
        agent.stdin.flush()
        assert hello == {"ok": agent.pid} and json.loads(agent.stdout.readline())["ok"] > 0
    finally:
        agent.kill()
        agent.wait()
    receiver = bare(bundle, "receiver", "--listen", "127.0.0.1")
    try:
        assert receiver.stdout is not None
        port = int(receiver.stdout.readline())
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/counts")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        receiver.kill()
        _, err = receiver.communicate()
    assert "Traceback" not in err


def _sample(t: float, busy: int, ours: dict[int, int]) -> Sample:
    """A reading `t` seconds in: 1,000 ticks of the machine gone by each second, `busy` of them busy."""
    return Sample(t, CpuTimes(busy, round(1000 * t) - busy, 0), ours, 10.0, 8.0)


def test_foreign_cpu_is_the_busier_host_s_and_the_generator_s_cpu_is_read_on_the_load_host() -> None:
    # service host: 100 of 1000 ticks busy, 60 of them the server's: 4% foreign
    service = [_sample(0.0, 0, {7: 0}), _sample(1.0, 100, {7: 60})]
    # load host: wrk (pid 9) used 50 ticks in 1 s, 200 busy in all: 15% foreign
    load = [_sample(0.0, 0, {9: 0}), _sample(1.0, 200, {9: 50})]
    both = AcrossHosts(7, list, samples=service, load_samples=load)
    assert both.verdict(9).foreign_pct == pytest.approx(15.0)
    assert both.cpu_pct(9) == pytest.approx(50.0)  # 50 ticks of 100 per second
    quiet_load = [_sample(0.0, 0, {9: 0}), _sample(1.0, 50, {9: 50})]
    assert AcrossHosts(7, list, samples=service, load_samples=quiet_load).verdict(9).foreign_pct == pytest.approx(4.0)
