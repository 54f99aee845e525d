"""A build leaves nothing behind in the temporary folder (WeasyPrint copies @font-face files there)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA

pytestmark = pytest.mark.slow  # a full build without the chart cache


def test_build_leaves_no_temporary_files(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "LEAD_MAGNET_CHART_CACHE": "off"}
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "report", "build", "--data", str(DATA), "--out", str(out), "--force"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # the build lock is the one file that stays: one per output folder, reused by every later build
    left = sorted(p.name for p in tmp.iterdir() if not (p.name.startswith("lead-magnet-") and p.suffix == ".lock"))
    assert left == []
