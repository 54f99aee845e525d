"""Inputs that cannot crash it: every kind of input file (YAML, CSV, Markdown), mutated thousands of times.

Each example changes one input file of a copy of the sample data the way a slip of the keyboard, a paste from
another program or a wrong save format would, then runs `check`'s validation in-process. The properties:

- nothing but a ReportError comes out (an "internal error" is a bug);
- every problem is one line and names one of the input files;
- an accepted input also builds: a few accepted inputs per kind are built into a PDF.

YAML files also get the shapes YAML reads as something other than text, placed where YAML will see them (found
by composing the file): anchors and aliases (one alias, one containing itself, an alias bomb), keys of every
other YAML type (null, true/false, numbers, dates that exist and dates that do not, merge, binary, lists and
mappings), and dates, valid and invalid, as values. Applied alone to a sound file, each is one problem naming
that file (a date value may be accepted): one cause, one message, however much would follow from it.

The examples are derandomised, so CI runs the same cases every time. `make test` runs 300 of them (a quick
pass); `make fuzz` runs the deep pass of 2,000 (LEAD_MAGNET_FUZZ_EXAMPLES=2000), which is how a fresh clone once
found a crash the quick pass would have missed; set LEAD_MAGNET_FUZZ_EXAMPLES higher still to look further.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from report import pipeline
from report.errors import ReportError, display_path
from report.inputs.options import BuildOptions
from tests.conftest import DATA

pytestmark = pytest.mark.slow  # hundreds of mutated inputs (thousands in `make fuzz`), a few built into PDFs

TOTAL = max(3, int(os.environ.get("LEAD_MAGNET_FUZZ_EXAMPLES", "300")))  # 200 left YAML one accepted change
SHARE = {"yaml": 0.32, "shapes": 0.13, "csv": 0.30, "markdown": 0.25}  # YAML has the most ways to go wrong
EXAMPLES = {kind: max(1, round(TOTAL * share)) for kind, share in SHARE.items()}
BUILD_FIRST, BUILD_EVERY = 3, 150  # the 3rd accepted change of each kind is built into a PDF, then every 150th
FILES = sorted(p.relative_to(DATA).as_posix() for p in DATA.rglob("*") if p.is_file() and p.suffix != ".svg")
KINDS = {
    "yaml": [f for f in FILES if f.endswith(".yaml")],
    "csv": [f for f in FILES if f.endswith(".csv")],
    "markdown": [f for f in FILES if f.endswith(".md")],
}
# What people and programs put into files: YAML and CSV syntax, placeholders, HTML, links, odd numbers and dates,
# invisible and control characters, other scripts.
NASTY = [
    "{}", "[]", "{}: 1", "[a]: 1", "? [x]\n: 1", "- ", ": ", ":", "&a ", "*a", "<<: *a",
    "!!python/object/apply:os.system [x]", "!!binary AAAA", "!foo ", "|", ">", "#", "'", '"', "\t", "    ",
    "\x00", "\x07", "\x1b[31m", "\ufeff", "\u2028",
    "\u200b", "\r", "\r\n", "𝔘𝔫𝔦", "é", "‽", "<b>x</b>", "<img src=x>", "<!-- c -->", "<div>", "</p>", "&amp;",
    "{startup.best}", "{nope}", "{", "}", "{ x }", "[x](javascript:alert(1))", "[x](file:///etc/passwd)",
    "![i](/etc/passwd)", "![i](../x.png)", "![i](brand/logo.svg)", "[l](https://works-on-my.cloud/)", "5 ms",
    "12%", "3×", "nan", "NaN", "inf", "-inf", "-1", "0", "0.0", "1e309", "9" * 40, "1,5", "2026-02-30",
    "2026-11-21", "null", "~", "yes", "on", "0x1F", "017", "1:30", ",", ",,", ";", '"a,b"', "\n", "\n\n", "---",
    "...", "%YAML 1.1", "`code`", "```", "# Heading", "> quote", "| a | b |", "***", "\\", "go", "bun", "fastapi",
    "otel", "baseline", "idle", "load",
]  # fmt: skip
ALPHABET = st.characters(codec="utf-8", exclude_categories=["Cs"])


def _timestamp(year: int, month: int, day: int, time: tuple[str, int, int, int, str, str] | None) -> str:
    # the forms YAML 1.1 reads as a timestamp; months up to 19 and days up to 39 make many that do not exist
    date = f"{year:04d}-{month:02d}-{day:02d}"
    if time is None:
        return date
    sep, hour, minute, second, fraction, zone = time
    return f"{date}{sep}{hour}:{minute:02d}:{second:02d}{fraction}{zone}"


TIMESTAMP = st.builds(
    _timestamp,
    st.integers(0, 9999),
    st.integers(0, 19),
    st.integers(0, 39),
    st.none()
    | st.tuples(
        st.sampled_from(["T", "t", " "]),
        st.integers(0, 29),
        st.integers(0, 69),
        st.integers(0, 69),
        st.sampled_from(["", ".5", ".123456789"]),
        st.sampled_from(["", "Z", " +01:00", "-05", "+25:00", "+9:30"]),
    ),
)
# Keys YAML reads as something other than text or a whole number: each type YAML 1.1 resolves, and two tags.
NOT_TEXT_KEY = st.one_of(
    TIMESTAMP,
    st.sampled_from(["~", "null", "Null", "NULL", ""]),
    st.sampled_from(["yes", "No", "TRUE", "false", "on", "Off"]),
    st.floats(-1e6, 1e6).map(lambda x: f"{x:.2f}"),
    st.sampled_from([".inf", "-.Inf", ".NaN", "1.5e+3", "190:20:30.15"]),
    st.sampled_from(["<<", "!!binary aGVsbG8=", "[a]", "{a: 1}", "[]", "{}"]),
)
# Keys that are text or whole numbers in YAML's eyes, typed where a name belongs (or a level number in levels).
OTHER_KEY = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(["0x1F", "017", "0b101", "1:30", "1_000", "0x_", "!!int 7", "!!str 2026-13-01", '"2026-12-01"']),
)
ANCHOR_NAME = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
SELF_REFERENCES = ["&a [*a]", "&a {x: *a}", "&a [1, [2, *a]]", "&self {inner: {again: *self}}"]


@dataclass
class Workspace:
    """A private copy of the sample data that examples mutate and restore."""

    data: Path
    out: Path
    original: dict[str, bytes]
    accepted: dict[str, int] = field(default_factory=dict)
    built: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(DATA, root / "data")
    yield Workspace(root / "data", root / "out", {f: (DATA / f).read_bytes() for f in FILES})


snippet = st.one_of(st.sampled_from(NASTY), st.text(ALPHABET, min_size=1, max_size=6))
# The YAML shapes, each placed at a key or value YAML sees; applied alone, each is one problem (a date: at most one).
shape = st.one_of(
    st.tuples(st.just("key"), st.floats(0, 1), NOT_TEXT_KEY),
    st.tuples(st.just("anchor"), st.floats(0, 1), st.tuples(st.floats(0, 1), ANCHOR_NAME)),
    st.tuples(st.just("selfref"), st.floats(0, 1), st.sampled_from(SELF_REFERENCES)),
    st.tuples(st.just("bomb"), st.floats(0, 1), st.tuples(st.integers(2, 9), st.integers(2, 9))),
    st.tuples(st.just("date"), st.floats(0, 1), TIMESTAMP),
)
edit = st.one_of(
    st.tuples(st.just("insert"), st.floats(0, 1), snippet),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 40)),
    st.tuples(st.just("replace"), st.floats(0, 1), snippet),
    st.tuples(st.just("line"), st.floats(0, 1), st.sampled_from(["drop", "double", "swap", "blank", "indent"])),
)
yaml_edit = st.one_of(  # YAML files also get the shapes, and timestamps as typed text
    edit,
    shape,
    st.tuples(st.just("key"), st.floats(0, 1), OTHER_KEY),
    st.tuples(st.just("replace"), st.floats(0, 1), TIMESTAMP),
)
encoding = st.sampled_from(["utf-8"] * 8 + ["utf-8-sig", "cp1252", "utf-16", "broken"])


Spot = tuple[int, int, int]  # line (0-based), first and last column + 1 of a key or value on one line


def _spots(text: str) -> tuple[list[Spot], list[Spot], list[int]]:
    """Where YAML sees keys, scalar values after a key, and top-level keys, each on one line of `text`."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return [], [], []
    keys: list[Spot] = []
    values: list[Spot] = []
    top: list[int] = []
    seen: set[int] = set()
    todo = [root] if root is not None else []
    while todo:  # an earlier edit may have made the graph cyclic (&a [*a]): visit each node once
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.start_mark.line == key.end_mark.line:
                    keys.append((key.start_mark.line, key.start_mark.column, key.end_mark.column))
                    if node is root and key.start_mark.column == 0:
                        top.append(key.start_mark.line)
                    one_line = value.start_mark.line == value.end_mark.line == key.start_mark.line
                    if (
                        isinstance(value, yaml.ScalarNode)
                        and one_line
                        and value.end_mark.column > value.start_mark.column
                    ):
                        values.append((value.start_mark.line, value.start_mark.column, value.end_mark.column))
                todo += [key, value]
        elif isinstance(node, yaml.SequenceNode):
            todo += node.value
    return sorted(keys), sorted(values), sorted(top)


def _at(spots: list[Spot], where: float) -> Spot:
    return spots[min(int(where * len(spots)), len(spots) - 1)]


def _put(lines: list[str], spot: Spot, new: str) -> None:
    line, start, end = spot
    lines[line] = lines[line][:start] + new + lines[line][end:]


def _bomb(levels: int, width: int) -> list[str]:
    """Billion laughs: `levels` lines of `width` aliases each, width**levels strings once expanded."""
    rows = [f"lol1: &lol1 [{', '.join(['lol'] * width)}]"]
    rows += [f"lol{n}: &lol{n} [{', '.join([f'*lol{n - 1}'] * width)}]" for n in range(2, levels + 1)]
    return rows


def _shape(text: str, kind: str, where: float, arg: object) -> str:
    """One YAML shape at a key or value YAML sees in `text` (unchanged when YAML sees none)."""
    keys, values, top = _spots(text)
    lines = text.split("\n")
    if kind == "key" and keys:
        _put(lines, _at(keys, where), str(arg))
    elif kind in ("date", "selfref") and values:
        _put(lines, _at(values, where), str(arg))
    elif kind == "anchor" and values and isinstance(arg, tuple):
        other, name = arg
        anchored, alias = _at(values, where), _at(values, other)
        changes = [((anchored[0], anchored[1], anchored[1]), f"&{name} ")]
        if alias != anchored:  # an alias before its anchor is one problem too: a value starting with '*'
            changes.append((alias, f"*{name}"))
        for spot, new in sorted(changes, reverse=True):  # the later one first, so the earlier keeps its columns
            _put(lines, spot, new)
    elif kind == "bomb" and top and isinstance(arg, tuple):
        at = top[min(int(where * len(top)), len(top) - 1)]
        lines[at:at] = _bomb(*arg)
    return "\n".join(lines)


SHAPES = {"key", "date", "selfref", "anchor", "bomb"}


def mutate(text: str, edits: list[tuple[str, float, object]]) -> str:
    """Apply each edit at a relative position of the text."""
    for kind, where, arg in edits:
        at = int(where * len(text))
        if kind in SHAPES:
            text = _shape(text, kind, where, arg)
        elif kind == "insert":
            text = text[:at] + str(arg) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + int(str(arg)) :]
        elif kind == "replace":  # the word or number at that place
            end = at
            while end < len(text) and not text[end].isspace() and text[end] not in ",:":
                end += 1
            text = text[:at] + str(arg) + text[end:]
        else:
            lines = text.split("\n")
            i = min(int(where * len(lines)), len(lines) - 1)
            if arg == "drop":
                del lines[i]
            elif arg == "double":
                lines.insert(i, lines[i])
            elif arg == "swap" and i + 1 < len(lines):
                lines[i], lines[i + 1] = lines[i + 1], lines[i]
            elif arg == "blank":
                lines[i] = ""
            elif arg == "indent":
                lines[i] = "  " + lines[i]
            text = "\n".join(lines)
    return text


def encode(text: str, how: str) -> bytes:
    if how == "broken":
        return text.encode("utf-8") + b"\xff\xfe\x80"
    return text.encode(how, errors="replace")


def run(work: Workspace, kind: str, name: str, edits: list[tuple[str, float, object]], how: str) -> list[str] | None:
    """Mutate one file, validate in-process, check the properties, restore the file; the problems, or None when
    the file is unchanged or accepted."""
    path = work.data / name
    original = work.original[name]
    changed = encode(mutate(original.decode("utf-8"), edits), how)
    path.write_bytes(changed)
    shown = display_path(work.data)
    try:
        try:
            pipeline.check(work.data)
        except ReportError as exc:
            problems = exc.problems()
            assert problems, "a ReportError must carry at least one problem"
            for problem in problems:
                line = str(problem)
                assert "\n" not in line and "\r" not in line, line
                assert problem.file.startswith(f"{shown}/"), line
                assert problem.file.removeprefix(f"{shown}/") in FILES, line
            return [str(p).removeprefix(f"{shown}/") for p in problems]
        if changed == original:
            return None
        count = work.accepted[kind] = work.accepted.get(kind, 0) + 1
        if count == BUILD_FIRST or count % BUILD_EVERY == 0:
            options = BuildOptions(data_dir=work.data, out_dir=work.out, force=True)
            result = pipeline.build(options)
            assert result.pages > 1 and result.pdf.is_file()
            work.built.append(f"{name}: {edits!r}")
        return None
    finally:
        path.write_bytes(original)


def _settings(kind: str) -> settings:
    return settings(
        max_examples=EXAMPLES[kind],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@_settings("yaml")
@given(name=st.sampled_from(KINDS["yaml"]), edits=st.lists(yaml_edit, min_size=1, max_size=4), how=encoding)
def test_mutated_yaml_never_crashes(
    workspace: Workspace, name: str, edits: list[tuple[str, float, object]], how: str
) -> None:
    run(workspace, "yaml", name, edits, how)


@_settings("shapes")
@given(name=st.sampled_from(KINDS["yaml"]), change=shape)
def test_a_yaml_shape_that_cannot_be_read_is_one_problem(
    workspace: Workspace, name: str, change: tuple[str, float, object]
) -> None:
    """One shape in a sound file: one problem, naming that file; nothing that follows from it is reported."""
    problems = run(workspace, "yaml", name, [change], "utf-8")
    if change[0] == "date" and problems is None:
        return  # a real date where a date belongs (measured_at, published), or a date where any text will do
    assert problems is not None and len(problems) == 1, problems
    assert problems[0].startswith(f"{name}:"), problems


@_settings("csv")
@given(name=st.sampled_from(KINDS["csv"]), edits=st.lists(edit, min_size=1, max_size=4), how=encoding)
def test_mutated_csv_never_crashes(
    workspace: Workspace, name: str, edits: list[tuple[str, float, object]], how: str
) -> None:
    run(workspace, "csv", name, edits, how)


@_settings("markdown")
@given(name=st.sampled_from(KINDS["markdown"]), edits=st.lists(edit, min_size=1, max_size=4), how=encoding)
def test_mutated_markdown_never_crashes(
    workspace: Workspace, name: str, edits: list[tuple[str, float, object]], how: str
) -> None:
    run(workspace, "markdown", name, edits, how)


def test_the_fuzz_covers_every_kind_of_input_and_built_accepted_ones(workspace: Workspace) -> None:
    """Runs after the three above (file order): each kind had changes accepted, and some were built."""
    if not workspace.accepted:
        pytest.skip("run with the three fuzz tests above")
    assert set(KINDS) <= {k for k, files in KINDS.items() if files}
    assert all(workspace.accepted.get(kind, 0) >= BUILD_FIRST for kind in KINDS), workspace.accepted
    assert len(workspace.built) >= len(KINDS), workspace.built
