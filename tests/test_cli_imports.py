"""`check` and the no-op build stay light: they never import the renderer or the chart library."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import DATA, ROOT, SharedBuilds

PROBE = """
import sys
from report.cli import main
code = main(sys.argv[1:])
heavy = sorted(m for m in ("weasyprint", "matplotlib") if m in sys.modules)
print("HEAVY:" + ",".join(heavy))
raise SystemExit(code)
"""


def _heavy_modules(*args: str) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_check_imports_neither_weasyprint_nor_matplotlib() -> None:
    assert _heavy_modules("check", "--data", str(DATA)) == "HEAVY:"


def test_up_to_date_build_imports_neither(shared: SharedBuilds, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(shared.out("default-a4"), out)  # a copy of the shared build, already up to date
    assert _heavy_modules("build", "--data", str(DATA), "--out", str(out)) == "HEAVY:"
