"""The benchmark harness behind `lead-magnet bench` (stdlib, pyyaml and pydantic only)."""

from __future__ import annotations

from report.bench.cli import run
from report.bench.options import add_arguments

__all__ = ["add_arguments", "run"]
