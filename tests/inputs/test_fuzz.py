"""Inputs that cannot crash it: every kind of input file (YAML, CSV, Markdown), mutated thousands of times.

Each example changes one input file of a copy of the sample data the way a slip of the keyboard, a paste from
another program or a wrong save format would, then runs `check`'s validation in-process. The properties:

- nothing but a ReportError comes out (an "internal error" is a bug);
- every problem is one line and names one of the input files;
- an accepted input also builds: a few accepted inputs per kind are built into a PDF.

The examples are derandomised, so CI runs the same cases every time. `make test` runs 200 of them (a quick
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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from report import pipeline
from report.errors import ReportError, display_path
from report.inputs.options import BuildOptions
from tests.conftest import DATA

pytestmark = pytest.mark.slow  # hundreds of mutated inputs (thousands in `make fuzz`), a few built into PDFs

TOTAL = max(3, int(os.environ.get("LEAD_MAGNET_FUZZ_EXAMPLES", "200")))
SHARE = {"yaml": 0.45, "csv": 0.30, "markdown": 0.25}  # YAML has the most ways to go wrong
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
edit = st.one_of(
    st.tuples(st.just("insert"), st.floats(0, 1), snippet),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 40)),
    st.tuples(st.just("replace"), st.floats(0, 1), snippet),
    st.tuples(st.just("line"), st.floats(0, 1), st.sampled_from(["drop", "double", "swap", "blank", "indent"])),
)
encoding = st.sampled_from(["utf-8"] * 8 + ["utf-8-sig", "cp1252", "utf-16", "broken"])


def mutate(text: str, edits: list[tuple[str, float, object]]) -> str:
    """Apply each edit at a relative position of the text."""
    for kind, where, arg in edits:
        at = int(where * len(text))
        if kind == "insert":
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


def run(work: Workspace, kind: str, name: str, edits: list[tuple[str, float, object]], how: str) -> None:
    """Mutate one file, validate in-process, check the properties, restore the file."""
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
            return
        if changed == original:
            return
        count = work.accepted[kind] = work.accepted.get(kind, 0) + 1
        if count == BUILD_FIRST or count % BUILD_EVERY == 0:
            options = BuildOptions(data_dir=work.data, out_dir=work.out, force=True)
            result = pipeline.build(options)
            assert result.pages > 1 and result.pdf.is_file()
            work.built.append(f"{name}: {edits!r}")
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
@given(name=st.sampled_from(KINDS["yaml"]), edits=st.lists(edit, min_size=1, max_size=4), how=encoding)
def test_mutated_yaml_never_crashes(
    workspace: Workspace, name: str, edits: list[tuple[str, float, object]], how: str
) -> None:
    run(workspace, "yaml", name, edits, how)


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
