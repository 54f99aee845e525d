"""The progress display: one line per step in a log, nothing when quiet, notes always on their own line."""

from __future__ import annotations

import io

from report.bench.progress import Progress


def test_a_log_gets_one_line_per_step_with_the_share_done() -> None:
    out = io.StringIO()
    progress = Progress(10.0, stream=out)
    progress.step("first", 4.0)
    progress.step("second", 6.0)
    progress.note("  contended: retrying")
    progress.finish()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("[  0.0% |") and lines[0].endswith("] first")
    assert lines[1].startswith("[ 40.0% |") and lines[1].endswith("] second")
    assert lines[2] == "  contended: retrying"


def test_quiet_prints_nothing_but_still_counts() -> None:
    out = io.StringIO()
    progress = Progress(2.0, stream=out, quiet=True)
    progress.step("a", 1.0)
    progress.step("b", 1.0)
    progress.note("n")
    assert out.getvalue() == "" and progress.done_s == 1.0
