"""What the end-to-end harness tests share: the toolchain check and a harness run in a child process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from report.bench.stacks import go_binary
from tests.bench.test_processes import MARK

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "services" / ".work"


def missing_toolchain() -> list[str]:
    """What `make bench-deps` would have installed but is not there."""
    missing = [t for t in ("wrk",) if shutil.which(t) is None]
    if go_binary() is None:
        missing.append("go")
    for path in (
        "bun/node_modules/.bin/bun",
        "bun-elysia/node_modules",
        "fastapi-venv/bin/python",
        "fastapi-otel-venv/bin/python",
        "oha/bin/oha",
    ):
        if not (WORK / path).exists():
            missing.append(f"services/.work/{path}")
    return missing


@pytest.fixture(scope="module")
def toolchain() -> None:
    """Skips (fails in CI) when the services cannot be built and measured."""
    missing = missing_toolchain()
    if missing:
        reason = f"benchmark toolchain missing ({', '.join(missing)}): run `make bench-deps`"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def harness(args: list[str], token: str) -> subprocess.Popen[str]:
    """`lead-magnet bench` with `args`, every process it starts marked with `token`."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), **{MARK: token})
    return subprocess.Popen(
        [sys.executable, "-m", "report.bench.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
