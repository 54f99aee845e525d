"""Versions read, never typed: the npm lockfile's top-level packages, and a missing tool said as such."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from report.bench.stacks import lock_versions, tool_version


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
