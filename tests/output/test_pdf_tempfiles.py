"""A build leaves nothing behind in the temporary folder (WeasyPrint copies @font-face files there)."""

from __future__ import annotations

import pytest

from tests.conftest import SharedBuilds

pytestmark = pytest.mark.slow  # a full build in its own process, without the chart cache


def test_build_leaves_no_temporary_files(shared: SharedBuilds) -> None:
    out, tmp = shared.fresh_process()  # a real `python -m report build --html` with TMPDIR pointing at `tmp`
    assert (out / "manifest.json").is_file()
    # the build lock is the one file that stays: one per output folder, reused by every later build
    left = sorted(p.name for p in tmp.iterdir() if not (p.name.startswith("lead-magnet-") and p.suffix == ".lock"))
    assert left == []
