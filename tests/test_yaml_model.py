"""One YAML file into one model: a valid file gives the model; anything else gives file:line problems, never a raise."""

from __future__ import annotations

from pathlib import Path

from report.validation import Strict
from report.yaml_model import load_model


class Point(Strict):
    x: int
    y: int


def _load(tmp_path: Path, text: str) -> tuple[Point | None, list[tuple[int | None, str, str]]]:
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    model, _lines, problems = load_model(tmp_path / "p.yaml", "data/p.yaml", Point)
    assert all(p.file == "data/p.yaml" for p in problems)
    return model, [(p.line, p.where, p.message) for p in problems]


def test_a_valid_file_gives_the_model_and_each_keys_line(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("x: 1\ny: 2\n", encoding="utf-8")
    model, lines, problems = load_model(tmp_path / "p.yaml", "data/p.yaml", Point)
    assert model == Point(x=1, y=2)
    assert problems == []
    assert lines.line_for(("y",)) == 2


def test_a_wrong_value_is_reported_at_its_line_and_key(tmp_path: Path) -> None:
    model, problems = _load(tmp_path, "x: 1\ny: two\n")
    assert model is None
    assert [(line, where) for line, where, _ in problems] == [(2, "y")]


def test_a_list_at_the_top_is_one_problem_on_line_1(tmp_path: Path) -> None:
    model, problems = _load(tmp_path, "- 1\n- 2\n")
    assert model is None
    assert problems == [(1, "", "expected a mapping of keys at the top of the file")]


def test_a_missing_file_and_broken_yaml_are_problems(tmp_path: Path) -> None:
    model, _lines, problems = load_model(tmp_path / "absent.yaml", "data/absent.yaml", Point)
    assert model is None and [p.message for p in problems] == ["file not found"]
    model, broken = _load(tmp_path, "x: [1\n")
    assert model is None and len(broken) == 1 and broken[0][0] is not None


def test_a_number_or_date_typed_over_a_key_is_one_problem(tmp_path: Path) -> None:
    # the key the number replaced is not reported missing as well: one cause, one message
    assert _load(tmp_path, "1: 5\ny: 2\n") == (
        None,
        [
            (
                1,
                "",
                "expected a key name in letters, found the number '1'; put it in double quotes if it is meant as text",
            )
        ],
    )
    assert _load(tmp_path, "2026-13-01: 5\ny: 2\n") == (
        None,
        [
            (
                1,
                "",
                "expected a key name, found '2026-13-01', which YAML reads as a date, and that date does not exist; "
                "put the key in double quotes if it is meant as text",
            )
        ],
    )
