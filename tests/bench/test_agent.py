"""The agent a --hosts run keeps on every host (report/bench/agent.py), served here over pipes as it is over SSH:
one JSON answer per request line, a failure as one error line, the samples the harness decodes, a service's first
200 timed from its launcher's record of the exec, and its end when its input ends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from report.bench import oha
from report.bench.agent import decode, encode
from report.bench.sampler import Sampler

ROOT = Path(__file__).resolve().parents[2]


class Agent:
    """`python -m report.bench.agent` as a child, spoken to line by line."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "report.bench.agent"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.pid = json.loads(self.proc.stdout.readline())["ok"]

    def ask(self, op: str, **args: object) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.proc.stdin.flush()
        answer: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return answer


@pytest.fixture
def agent() -> Iterator[Agent]:
    a = Agent()
    try:
        yield a
    finally:
        a.proc.kill()
        a.proc.wait()


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def test_it_says_its_pid_then_answers_each_request_and_ends_with_its_input(agent: Agent) -> None:
    assert agent.pid == agent.proc.pid
    assert agent.ask("alive", pid=agent.pid) == {"ok": True}
    assert agent.ask("alive", pid=2**22 + 1) == {"ok": False}
    rss, pss = agent.ask("memory", pid=agent.pid)["ok"]
    assert rss > 5 and pss > 0
    busy, total = agent.ask("busy")["ok"]
    assert 0 < busy < total
    assert agent.ask("read", path="/nonexistent/file") == {"ok": ""}
    # an unknown request or a failing one is one error line, and the agent goes on answering
    assert agent.ask("format_disk") == {"error": "'format_disk'"}
    assert agent.ask("memory") == {"error": "Agent.memory() missing 1 required positional argument: 'pid'"}
    assert agent.ask("alive", pid=agent.pid) == {"ok": True}
    assert agent.proc.stdin is not None
    agent.proc.stdin.close()
    assert agent.proc.wait(timeout=10) == 0


def test_samples_travel_as_json_and_come_back_equal(agent: Agent) -> None:
    sample = decode(agent.ask("take", pid=agent.pid, ours=[])["ok"])
    assert agent.pid in sample.ours and sample.rss_mb > 0
    assert decode(json.loads(json.dumps(encode(sample)))) == sample
    assert agent.ask("sample_start", pid=agent.pid, ours=[], interval=0.05) == {"ok": None}
    time.sleep(0.5)
    samples = [decode(s) for s in agent.ask("sample_stop")["ok"]]
    assert len(samples) >= 3 and [s.t for s in samples] == sorted(s.t for s in samples)
    assert Sampler(agent.pid, list, samples=samples).verdict(agent.pid).window_s > 0


def test_a_service_s_startup_is_timed_from_its_recorded_exec_to_its_first_200(agent: Agent, tmp_path: Path) -> None:
    port = agent.ask("free_port", address="127.0.0.1")["ok"]
    assert isinstance(port, int) and port > 0
    since = tmp_path / "exec"
    since.write_text(f"{time.time():.6f}\n")
    server = ThreadingHTTPServer(("127.0.0.1", port), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        got = agent.ask("ready", address="127.0.0.1", port=port, pid=os.getpid(), since=str(since), timeout=10)
    finally:
        server.shutdown()
        server.server_close()
    assert isinstance(got["ok"], float) and 0 < got["ok"] < 10_000
    gone = agent.ask("ready", address="127.0.0.1", port=port, pid=2**22 + 1, since=str(since), timeout=10)
    assert gone == {"error": f"exited before answering /health (pid {2**22 + 1})"}


def test_a_watched_process_s_cpu_and_wall_time_are_read_until_it_ends(agent: Agent) -> None:
    # it ends once it has used 0.5 s of CPU, however busy the machine is
    spin = "import time\nwhile time.process_time() < 0.5: pass"
    busy = subprocess.Popen([sys.executable, "-c", spin])
    cpu_s, wall_s, runqueue_s = agent.ask("watch", pid=busy.pid, timeout=60)["ok"]
    busy.wait()
    # read every 50 ms until it ended: its last reading lies at most one interval before its end
    assert 0.5 - oha.SAMPLE_S - 0.02 <= cpu_s <= 0.6 and wall_s >= cpu_s - 0.02 and runqueue_s >= 0
