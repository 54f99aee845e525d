"""The harness's error type: expected failures that the CLI reports without a traceback."""

from __future__ import annotations


class BenchError(Exception):
    """An expected failure of the benchmark harness (missing tool, crashed service, bad output)."""
