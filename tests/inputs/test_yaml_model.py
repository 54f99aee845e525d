"""YAML files: read safely with each key's line, and one file into one model; a valid file gives the model, anything
else gives file:line problems, one per cause, never a raise, a recursion or an expansion."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from report.inputs.validation import Strict
from report.inputs.yaml_model import MAX_DEPTH, load_model, load_yaml


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


def _yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "report.yaml"
    path.write_text(text, encoding="utf-8")
    return path


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


ANCHOR = (
    "anchors (&name) and aliases (*name) are not allowed; write each value out in full, and put a value that "
    "starts with & or * in double quotes"
)


@pytest.mark.parametrize(
    "text",
    [
        "method:\n  runs: 3\n  duration_s: &a [*a]\n",  # contains itself: following it never ends
        "method:\n  runs: 3\n  duration_s: &a {x: *a}\n",
        "method:\n  runs: 3\n  duration_s: &a 5\n  warmup_s: *a\n",  # harmless, and still refused: none is needed
    ],
)
def test_an_anchor_is_one_problem_at_its_line_and_key(tmp_path: Path, text: str) -> None:
    data, _lines, problems = load_yaml(_yaml(tmp_path, text), "data/benchmarks/environment.yaml")
    assert data is None
    assert [str(p) for p in problems] == [f"data/benchmarks/environment.yaml:3: method.duration_s: {ANCHOR}"]


# "Billion laughs": nine levels of nine aliases, 9**9 (387 million) strings once expanded, in nine short lines.
BOMB = 'a1: &a1 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"a{n}: &a{n} [{','.join([f'*a{n - 1}'] * 9)}]\n" for n in range(2, 10)
)
# Run in a child with a CPU-time limit, so that a loader which expands it fails this test instead of hanging
# the suite; the child reports the peak of Python's allocations while loading.
LOAD_IN_CHILD = """
import sys, tracemalloc
from pathlib import Path
from report.inputs.yaml_model import load_yaml
tracemalloc.start()
data, _lines, problems = load_yaml(Path(sys.argv[1]), "data/report.yaml")
peak = tracemalloc.get_traced_memory()[1]
print(data, *problems, sep="\\n")
print(peak < 2**20)
"""


def test_an_alias_bomb_is_one_problem_and_is_never_expanded(tmp_path: Path) -> None:
    import resource
    import subprocess
    import sys

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (20, 20))

    path = _yaml(tmp_path, BOMB)
    child = subprocess.run(
        [sys.executable, "-c", LOAD_IN_CHILD, str(path)], capture_output=True, text=True, preexec_fn=limit, check=False
    )
    assert (child.returncode, child.stderr) == (0, "")
    # the first anchor is refused before any alias is followed; Python allocated under 1 MiB in all
    assert child.stdout.splitlines() == ["None", f"data/report.yaml:1: a1: {ANCHOR}", "True"]


def test_a_star_without_an_anchor_still_says_to_quote_the_value(tmp_path: Path) -> None:
    _data, _lines, problems = load_yaml(_yaml(tmp_path, "title: Go\nnote: *important\n"), "data/report.yaml")
    assert [str(p) for p in problems] == [
        "data/report.yaml:2: this is not valid YAML: a value starts with '*', which YAML reads as a reference; put "
        'the value in double quotes, like "*note"'
    ]


def test_nesting_is_bounded_without_recursing(tmp_path: Path) -> None:
    deep = "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"  # the mapping, then MAX_DEPTH lists: one too many
    data, _lines, problems = load_yaml(_yaml(tmp_path, deep), "data/report.yaml")
    assert data is None
    where = "a" + "[0]" * (MAX_DEPTH - 1)
    assert [str(p) for p in problems] == [
        f"data/report.yaml:1: {where}: expected lists and keys nested at most {MAX_DEPTH} deep, found more; check "
        "the brackets and indentation"
    ]
    very_deep = "a: " + "[" * 100_000 + "]" * 100_000 + "\n"  # far past Python's recursion limit
    assert len(load_yaml(_yaml(tmp_path, very_deep), "data/report.yaml")[2]) == 1
    fits = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    data, _lines, problems = load_yaml(_yaml(tmp_path, fits), "data/report.yaml")
    assert problems == [] and data is not None


def _key_message(found: str, reads_as: str) -> str:
    return (
        f"expected a key name, found '{found}', which YAML reads as {reads_as}; put the key in double quotes if it "
        "is meant as text"
    )


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("2026-13-01", _key_message("2026-13-01", "a date, and that date does not exist")),
        ("2026-12-01", _key_message("2026-12-01", "a date")),
        ("2026-12-01 10:00:00Z", _key_message("2026-12-01 10:00:00Z", "a date")),
        ("null", _key_message("null", "no value")),
        ("~", _key_message("~", "no value")),
        ("yes", _key_message("yes", "true or false")),
        ("Off", _key_message("Off", "true or false")),
        ("1.5", _key_message("1.5", "a number with decimals")),
        (".inf", _key_message(".inf", "a number with decimals")),
        ("<<", _key_message("<<", "a merge of another mapping")),
        ("!!binary aGVsbG8=", _key_message("aGVsbG8=", "binary data")),
        ("0x_", _key_message("0x_", "a whole number, and it is not one")),
        ("[name]", 'expected a key name, found a list ([...]) used as a key; delete it, or put the whole key in '
         'double quotes, like "{}": …'),
        ("{name: 1}", 'expected a key name, found a mapping ({...}) used as a key; delete it, or put the whole key '
         'in double quotes, like "{}": …'),
        ("? ", "expected a key name, found an empty key; write the key name before the ':'"),
    ],
)  # fmt: skip
def test_a_key_that_is_not_text_or_a_whole_number_says_what_yaml_made_of_it(
    tmp_path: Path, key: str, message: str
) -> None:
    text = f"stacks:\n  - id: go\n    {key}: Go\n"
    if key == "? ":
        text = "stacks:\n  - id: go\n    ?\n    : Go\n"
    data, _lines, problems = load_yaml(_yaml(tmp_path, text), "data/report.yaml")
    assert data is None
    assert [str(p) for p in problems] == [f"data/report.yaml:3: stacks[0]: {message}"]


def test_text_and_whole_number_keys_are_read_and_a_repeat_is_found_by_value(tmp_path: Path) -> None:
    text = 'levels:\n  1: one\n  0x2: two\n  "2026-12-01": quoted\n  !!str 3: tagged\n  01: again\n'
    data, lines, problems = load_yaml(_yaml(tmp_path, text), "data/rubric.yaml")
    assert data == {"levels": {1: "again", 2: "two", "2026-12-01": "quoted", "3": "tagged"}}  # reported below
    assert lines.line_for(("levels", 2)) == 3 and lines.line_for(("levels", "0x2")) == 3
    assert [str(p) for p in problems] == ["data/rubric.yaml:6: levels[1]: this key appears twice; keep one"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-02-30", "expected a real date, found '2026-02-30' (day is out of range for month)"),
        ("2026-13-01", "expected a real date, found '2026-13-01' (month must be in 1..12)"),
        ("2026-11-21 25:00:00", "expected a real date, found '2026-11-21 25:00:00' (hour must be in 0..23)"),
        ("!!timestamp soon", "expected a date like 2026-11-21, found 'soon'"),
        ("0x_", "expected a whole number, found '0x_'"),
        ("!!int five", "expected a whole number, found 'five'"),
        ("!!float five", "expected a number, found 'five'"),
        ("!!bool maybe", "expected true or false, found 'maybe'"),
        ("9" * 5000, "expected a number of at most 4300 digits, found one of 5000 characters"),
    ],
)
def test_a_value_yaml_cannot_construct_is_one_problem_at_its_key(tmp_path: Path, value: str, message: str) -> None:
    text = f"title: T\npublished: {value}\n"
    data, _lines, problems = load_yaml(_yaml(tmp_path, text), "data/report.yaml")
    assert data is None
    assert [str(p) for p in problems] == [f"data/report.yaml:2: published: {message}"]


def test_every_value_yaml_constructs_is_read(tmp_path: Path) -> None:
    text = "a: 2026-11-21\nb: 2026-11-21T05:00:47Z\nc: 0x1F\nd: 1:30\ne: .5\nf: off\ng: ~\nh: !!str 7\n"
    data, _lines, problems = load_yaml(_yaml(tmp_path, text), "data/report.yaml")
    assert problems == []
    assert data == {
        "a": dt.date(2026, 11, 21),
        "b": dt.datetime(2026, 11, 21, 5, 0, 47, tzinfo=dt.UTC),
        "c": 31,
        "d": 90,
        "e": 0.5,
        "f": False,
        "g": None,
        "h": "7",
    }


def test_a_value_that_fails_while_the_document_is_built_is_still_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every scalar is checked before the document is built; should PyYAML still fail there, it is a problem too
    def fail(_self: object, _node: object) -> object:
        raise ValueError("cannot build this")

    monkeypatch.setattr(yaml.SafeLoader, "construct_document", fail)
    data, _lines, problems = load_yaml(_yaml(tmp_path, "title: T\n"), "data/report.yaml")
    assert data is None
    assert [str(p) for p in problems] == ["data/report.yaml: this is not valid YAML (cannot build this)"]
