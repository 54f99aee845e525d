"""`python -m report` runs the same CLI as `lead-magnet`."""

from __future__ import annotations

from report.cli import run

run()
