"""Versions read, never typed: the npm lockfile's top-level packages, and a missing tool said as such."""

from __future__ import annotations

import json
from pathlib import Path

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
