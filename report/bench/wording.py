"""The harness's sentences for environment.yaml, read from report/bench/notes.yaml (package data)."""

from __future__ import annotations

import functools
import importlib.resources
import string
from typing import Any

import yaml

TEMPLATES = "notes.yaml"  # beside this module


@functools.cache
def templates() -> dict[str, str]:
    """The str.format templates by name, read once from the package."""
    text = importlib.resources.files("report.bench").joinpath(TEMPLATES).read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in doc.items()):
        raise ValueError(f"report/bench/{TEMPLATES}: expected a mapping of note names to text")
    return doc


def sentence(name: str, **figures: Any) -> str:
    """One template with its figures filled in."""
    return templates()[name].format(**figures)


def fields(name: str) -> list[str]:
    """The figure names a template asks for."""
    return [field for _, field, _, _ in string.Formatter().parse(templates()[name]) if field]
