"""The report's HTML: the one Jinja environment (autoescaped, strict) and template errors as file:line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from report.errors import InputError, Problem, display_path

TEMPLATE = "report.html.j2"


def jinja_env(templates: Path) -> Environment:
    """The one Jinja environment: autoescaped, strict about undefined names."""
    return Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(templates: Path, model: Mapping[str, Any]) -> str:
    """The report's HTML from the view model; a broken template is reported as file:line, like any input."""
    try:
        return jinja_env(templates).get_template(TEMPLATE).render(**model)
    except TemplateError as exc:
        raise InputError([template_problem(exc, templates)]) from None


def template_problem(exc: TemplateError, templates: Path) -> Problem:
    """A template error as file:line, like an input problem (someone is editing templates/)."""
    import traceback

    from jinja2 import TemplateSyntaxError

    if isinstance(exc, TemplateSyntaxError):
        where = Path(exc.filename) if exc.filename else templates / (exc.name or TEMPLATE)
        return Problem(display_path(where), exc.lineno, "", f"template error: {exc.message}")
    # other errors (an undefined name, a missing include) happen while rendering: Jinja's traceback frames
    # carry the template's file and line
    root = templates.resolve()
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve().is_relative_to(root)]
    where, line = (Path(frames[-1].filename), frames[-1].lineno) if frames else (templates / TEMPLATE, None)
    return Problem(display_path(where), line, "", f"template error: {exc.message or type(exc).__name__}")
