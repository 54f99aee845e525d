"""Backend Language Comparison report generator."""

from __future__ import annotations

__version__ = "1.0.0"
