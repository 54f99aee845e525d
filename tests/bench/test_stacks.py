"""Versions read, never typed: the npm lockfile's top-level packages, and a missing tool said as such; how each
service is launched, and where it listens (loopback, or the service host's address with --hosts)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from report.bench.service import free_port, health_ok
from report.bench.stacks import Paths, launch, lock_versions, tool_version


def test_lock_versions_take_top_level_packages_only(tmp_path: Path) -> None:
    lock = tmp_path / "package-lock.json"
    lock.write_text(
        json.dumps(
            {
                "lockfileVersion": 3,
                "packages": {
                    "": {"name": "bun-service"},
                    "node_modules/hono": {"version": "4.6.1"},
                    "node_modules/@hono/otel": {"version": "0.2.0"},
                    "node_modules/hono/node_modules/nested": {"version": "1.0.0"},
                },
            }
        )
    )
    assert lock_versions(lock) == {"hono": "4.6.1", "@hono/otel": "0.2.0"}
    assert lock_versions(tmp_path / "missing.json") == {}


def test_a_missing_tool_is_not_found() -> None:
    assert tool_version(["/nonexistent/h11c-tool", "--version"]) == "not found"


def test_fastapi_launches_the_built_in_variant_or_a_named_candidate(tmp_path: Path) -> None:
    from report.bench.stacks import FASTAPI_CHOICE, Paths, launch

    paths = Paths(tmp_path)
    traced = launch(paths, "fastapi", "otel", 8000, 4318)
    assert FASTAPI_CHOICE == "builtin"
    assert traced.argv[0] == str(tmp_path / "services" / ".work" / "fastapi-otel-venv" / "bin" / "python")
    assert traced.argv[3] == "app_otel:app"
    # FastAPI's auto-configuration builds its resource from the environment
    assert traced.env["OTEL_SERVICE_NAME"] == "bench-fastapi"
    contrib = launch(paths, "fastapi", "otel", 8000, 4318, candidate="contrib")
    assert contrib.argv[0] == str(tmp_path / "services" / ".work" / "fastapi-contrib-venv" / "bin" / "python")
    assert contrib.argv[3] == "candidates.contrib_otel:app"
    assert contrib.cwd == tmp_path / "services" / "fastapi"
    baseline = launch(paths, "fastapi", "baseline", 8000, None, candidate="contrib")
    assert baseline.argv[0].endswith("fastapi-venv/bin/python") and baseline.argv[3] == "app:app"


def test_every_go_command_uses_go_1_27(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from report.bench.stacks import Paths, go_env

    monkeypatch.setenv("GOTOOLCHAIN", "auto")
    assert go_env(Paths(tmp_path))["GOTOOLCHAIN"] == "go1.27.3"
    root = Path(__file__).resolve().parents[2]
    mod = (root / "services" / "go" / "go.mod").read_text()
    assert "\ngo 1.27.0\n" in mod and "\ntoolchain go1.27.3\n" in mod
    for script in ("services/install-deps.sh", ".ci/run"):
        assert "export GOTOOLCHAIN=go1.27.3" in (root / script).read_text(), script
    assert "export GOTOOLCHAIN := go1.27.3" in (root / "Makefile").read_text()


@pytest.mark.slow  # starts the real services
@pytest.mark.parametrize(
    ("stack", "variant"), [("go", "baseline"), ("go", "otel"), ("bun", "baseline"), ("bun", "otel")]
)
def test_each_service_listens_on_loopback_or_where_it_is_told(stack: str, variant: str) -> None:
    root = Path(__file__).resolve().parents[2]
    paths = Paths(root)
    if not (paths.work / stack / f"server{'-otel' if variant == 'otel' else ''}").exists() or not shutil.which("ss"):
        pytest.skip(f"{stack} not built (make bench-deps) or no ss")

    def bound(listen: str | None) -> list[str]:
        port = free_port()
        # without `listen`, as the local mode launches every service
        spec = (
            launch(paths, stack, variant, port, 9)
            if listen is None
            else launch(paths, stack, variant, port, 9, listen=listen)
        )
        proc = subprocess.Popen(
            spec.argv, env=spec.env, cwd=spec.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 30
            host = listen or "127.0.0.1"
            while time.monotonic() < deadline and proc.poll() is None:
                with socket.socket() as s:
                    if s.connect_ex((host, port)) == 0:
                        break
                time.sleep(0.02)
            listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout
            assert listen is not None or health_ok(port)
            return sorted(line.split()[3] for line in listening.splitlines())
        finally:
            proc.terminate()
            proc.wait(timeout=15)

    here = bound(None)
    assert len(here) == 1 and here[0].startswith("127.0.0.1:")  # the local mode's loopback, as before
    there = bound("127.0.0.2")
    assert len(there) == 1 and there[0].startswith("127.0.0.2:")


def test_launch_tells_a_service_where_to_listen_and_where_to_export(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    local = launch(paths, "fastapi", "otel", 8000, 4318)
    assert local.env["LISTEN_ADDRESS"] == "127.0.0.1" and local.argv[4:6] == ["--host", "127.0.0.1"]
    assert local.env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] == "http://127.0.0.1:4318/fastapi/v1/traces"
    placed = launch(paths, "fastapi", "otel", 8000, 4318, listen="10.0.1.11", receiver_host="10.0.1.12")
    assert placed.env["LISTEN_ADDRESS"] == "10.0.1.11" and placed.argv[4:6] == ["--host", "10.0.1.11"]
    assert placed.env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] == "http://10.0.1.12:4318/fastapi/v1/traces"
    go = launch(paths, "go", "baseline", 8000, None, listen="10.0.1.11")
    assert go.env["LISTEN_ADDRESS"] == "10.0.1.11"
