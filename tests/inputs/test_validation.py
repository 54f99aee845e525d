"""The validation helpers every loader shares: safe YAML with each key's line, and plain-words messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from report.inputs.validation import Strict, describe, format_loc, load_yaml, read_text, translate


def _yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "report.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_read_text_drops_a_byte_order_mark_and_normalises_newlines(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"\xef\xbb\xbfone\r\ntwo\rthree\n")
    assert read_text(path) == "one\ntwo\nthree\n"


def test_load_yaml_keeps_the_line_of_every_key(tmp_path: Path) -> None:
    data, lines, problems = load_yaml(
        _yaml(tmp_path, "# comment\ntitle: T\nstacks:\n  - id: go\n    color: blue\n"), "r"
    )
    assert problems == []
    assert data == {"title": "T", "stacks": [{"id": "go", "color": "blue"}]}
    assert lines.line_for(("title",)) == 2
    assert lines.line_for(("stacks", 0, "color")) == 5
    assert lines.line_for(("stacks", 0, "missing")) == 4  # the deepest part that exists


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: !!python/object:os.system x\n", "the tag '!!python/object:os.system' is not allowed"),
        ("a: *note\n", "a value starts with '*'"),
        ("a: b: c\n", "a value contains ': '"),
        ("", "the file is empty; expected YAML keys"),
    ],
)
def test_yaml_problems_are_one_line_in_plain_words(tmp_path: Path, text: str, message: str) -> None:
    data, _lines, problems = load_yaml(_yaml(tmp_path, text), "data/report.yaml")
    assert data is None
    [problem] = problems
    assert problem.file == "data/report.yaml" and message in problem.message


def test_a_file_in_another_encoding_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "startup.csv"
    path.write_bytes(b"stack,run\ngo,1\ncaf\xe9,2\n")
    _data, _lines, problems = load_yaml(path, "data/startup.csv")
    [problem] = problems
    assert problem.line == 3 and "save the file as UTF-8 (in Excel" in problem.message


def test_locations_and_values_read_as_people_write_them() -> None:
    assert format_loc(("categories", 0, "weight")) == "categories[0].weight"
    values: list[object] = [None, True, {}, [], "x" * 50]
    assert [describe(v) for v in values] == [
        "nothing",
        "true",
        "a mapping of keys",
        "a list",
        "'" + "x" * 37 + "...'",
    ]


class _Stack(Strict):
    id: str
    weight: int


def test_translate_says_did_you_mean_once_for_a_misspelt_key() -> None:
    with pytest.raises(ValidationError) as caught:
        _Stack.model_validate({"id": "go", "wieght": 2})
    problems = translate(caught.value, "data/rubric.yaml", _Stack, lambda loc: 7)
    assert [str(p) for p in problems] == ["data/rubric.yaml:7: wieght: unknown key; did you mean 'weight'?"]
