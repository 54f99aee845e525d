"""The validation helpers every loader shares: text files, locations, and plain-words messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from report.inputs.validation import Strict, describe, format_loc, read_text, translate


def test_read_text_drops_a_byte_order_mark_and_normalises_newlines(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"\xef\xbb\xbfone\r\ntwo\rthree\n")
    assert read_text(path) == "one\ntwo\nthree\n"


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


def test_translate_says_a_number_used_as_a_key_once() -> None:
    # `1: Go` typed over `id: go`: the number is the mistake, the key it replaced is not reported missing too
    with pytest.raises(ValidationError) as caught:
        _Stack.model_validate({1: "go", "weight": 2})
    problems = translate(caught.value, "data/rubric.yaml", _Stack, lambda loc: 7)
    assert [str(p) for p in problems] == [
        "data/rubric.yaml:7: expected a key name in letters, found the number '1'; put it in double quotes if it is "
        "meant as text"
    ]
