"""The one Jinja environment: autoescaped, strict about undefined names, and a template error is file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from report.errors import InputError
from report.view.html import TEMPLATE, render_html


def _templates(tmp_path: Path, text: str) -> Path:
    (tmp_path / TEMPLATE).write_text(text, encoding="utf-8")
    return tmp_path


def test_values_are_escaped(tmp_path: Path) -> None:
    html = render_html(_templates(tmp_path, "<p>{{ name }}</p>\n"), {"name": "<script>x</script>"})
    assert html == "<p>&lt;script&gt;x&lt;/script&gt;</p>\n"


def test_a_syntax_error_is_reported_at_its_file_and_line(tmp_path: Path) -> None:
    templates = _templates(tmp_path, "<p>\n</p>\n{% if %}\n")
    with pytest.raises(InputError) as caught:
        render_html(templates, {})
    [problem] = caught.value.problems()
    assert problem.file.endswith(TEMPLATE) and problem.line == 3
    assert problem.message.startswith("template error:")


def test_an_undefined_name_is_an_error_at_its_line_not_an_empty_string(tmp_path: Path) -> None:
    templates = _templates(tmp_path, "<p>ok</p>\n<p>{{ missing.value }}</p>\n")
    with pytest.raises(InputError) as caught:
        render_html(templates, {})
    [problem] = caught.value.problems()
    assert problem.line == 2 and "missing" in problem.message
