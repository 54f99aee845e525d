"""What a marketing reader sees: `check` on each kind of broken input, compared as the whole message.

Each case copies data/ into a temporary folder, breaks one thing the way a person editing it would, runs
`lead-magnet check --data data` from that folder, and compares everything printed to stderr with the text
below. A change in wording shows up here as a diff to read, not as a passing substring match.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from report.errors import display_path
from report.inputs.options import BuildOptions
from report.inputs.paths import TEMPLATES
from tests.conftest import BUNDLED, CliResult, edit

SUMMARY_1 = "lead-magnet: 1 problem found; nothing was written.\n"

Breaker = Callable[[Path], None]


def _edit(rel: str, old: str, new: str) -> Breaker:
    return lambda d: edit(d / rel, old, new)


def _write(rel: str, text: str) -> Breaker:
    def go(d: Path) -> None:
        (d / rel).write_text(text, encoding="utf-8")

    return go


def _append(rel: str, text: str) -> Breaker:
    def go(d: Path) -> None:
        with (d / rel).open("a", encoding="utf-8") as handle:
            handle.write(text)

    return go


def _remove(rel: str) -> Breaker:
    return lambda d: (d / rel).unlink()


def _latin1_row(d: Path) -> None:
    # A row typed in an editor that saves Windows-1252 ("µ" is one byte there, two in UTF-8).
    path = d / "benchmarks" / "startup.csv"
    path.write_bytes(path.read_bytes() + "go,99,3.1 µs\n".encode("cp1252"))


def _semicolons(d: Path) -> None:
    path = d / "benchmarks" / "startup.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")


def _several(*breakers: Breaker) -> Breaker:
    def go(d: Path) -> None:
        for breaker in breakers:
            breaker(d)

    return go


# (id, how a person breaks the data, everything `check` prints to stderr)
CASES: list[tuple[str, Breaker, str]] = [
    # --- report.yaml: the title page, brand and stacks ---------------------------------------------------------
    (
        "yaml-tab-indent",
        _edit("report.yaml", '  name: "works-on-my.cloud"', '\tname: "works-on-my.cloud"'),
        "error: data/report.yaml:9: this is not valid YAML: this line is indented with a tab; indent with spaces "
        "instead\n" + SUMMARY_1,
    ),
    (
        "yaml-colon-in-value",
        _edit("report.yaml", 'author: "works-on-my.cloud"', "author: works-on-my.cloud: Engineering"),
        "error: data/report.yaml:6: this is not valid YAML: a value contains ': '; put the whole value in double "
        'quotes, like author: "Name: Team"\n' + SUMMARY_1,
    ),
    (
        "yaml-unclosed-quote",
        _edit("report.yaml", 'title: "Backend Language Comparison"', 'title: "Backend Language Comparison'),
        "error: data/report.yaml:3: this is not valid YAML: a quote is opened but not closed here or on the line "
        "above, or the line is indented wrongly\n" + SUMMARY_1,
    ),
    (
        "yaml-indent",
        _edit("report.yaml", "  primary_color:", " primary_color:"),
        "error: data/report.yaml:10: this is not valid YAML: this line is indented differently from the lines around "
        "it; line it up with the other keys at its level\n" + SUMMARY_1,
    ),
    (
        "colour-not-hex",
        _edit("report.yaml", 'primary_color: "#14213D"', 'primary_color: "navy"'),
        "error: data/report.yaml:10: brand.primary_color: expected a colour like #1A2B3C, found 'navy'\n" + SUMMARY_1,
    ),
    (
        "colour-without-quotes",
        _edit("report.yaml", 'accent_color: "#E4572E"', "accent_color: #E4572E"),
        'error: data/report.yaml:11: brand.accent_color: expected a colour in double quotes, like "#1A2B3C", found '
        "nothing (without quotes, # starts a comment)\n" + SUMMARY_1,
    ),
    (
        "date-written-out",
        _edit("report.yaml", "published: 2026-11-21", "published: 21 November 2026"),
        "error: data/report.yaml:5: published: expected a date like 2026-11-21, found '21 November 2026'\n" + SUMMARY_1,
    ),
    (
        "date-that-does-not-exist",
        _edit("report.yaml", "published: 2026-11-21", "published: 2026-02-30"),
        "error: data/report.yaml:5: published: expected a real date, found '2026-02-30' (day is out of range for "
        "month)\n" + SUMMARY_1,
    ),
    (
        "edition-without-quotes",
        _edit("report.yaml", 'edition: "2026.11"', "edition: 2026.10"),
        'error: data/report.yaml:4: edition: expected the edition in quotes, like "2026.11", found the number '
        "2026.1\n" + SUMMARY_1,
    ),
    (
        "key-misspelt",
        _edit("report.yaml", "subtitle:", "subtitel:"),
        "error: data/report.yaml:3: subtitel: unknown key; did you mean 'subtitle'?\n" + SUMMARY_1,
    ),
    (
        "key-deleted",
        _edit("report.yaml", 'author: "works-on-my.cloud"\n', ""),
        "error: data/report.yaml:2: author: this required key is missing\n" + SUMMARY_1,
    ),
    (
        "logo-not-there",
        _edit("report.yaml", "logo: brand/logo.svg", "logo: brand/logo-2027.svg"),
        "error: data/report.yaml:12: brand.logo: file not found: 'brand/logo-2027.svg' (looked in data)\n" + SUMMARY_1,
    ),
    (
        "logo-wrong-type",
        _edit("report.yaml", "logo: brand/logo.svg", "logo: brand/logo.gif"),
        "error: data/report.yaml:12: brand.logo: expected a file ending in .jpeg, .jpg, .png, .svg, found "
        "'brand/logo.gif'\n" + SUMMARY_1,
    ),
    (
        "link-without-https",
        _edit("report.yaml", 'url: "https://works-on-my.cloud/blog/', 'url: "works-on-my.cloud/blog/'),
        "error: data/report.yaml:16: cta.url: expected a web address starting with https://, found "
        "'works-on-my.cloud/blog/aws-for-startu...'\n" + SUMMARY_1,
    ),
    (
        "file-emptied",
        _write("report.yaml", ""),
        "error: data/report.yaml: the file is empty; expected YAML keys\n" + SUMMARY_1,
    ),
    # --- rubric.yaml: weights and scores -----------------------------------------------------------------------
    (
        "criteria-weights-off",
        _edit("rubric.yaml", "weight: 0.35", "weight: 0.30"),
        "error: data/rubric.yaml:21: categories[0].criteria: expected the criteria weights to add up to 1, found "
        "0.95\n" + SUMMARY_1,
    ),
    (
        "overall-weights-off",
        _edit("rubric.yaml", "  startup: 0.2", "  startup: 0.3"),
        "error: data/rubric.yaml:10: overall: expected the area weights to add up to 1, found 1.1\n" + SUMMARY_1,
    ),
    (
        "weight-as-a-word",
        _edit("rubric.yaml", "weight: 0.35", "weight: heavy"),
        "error: data/rubric.yaml:24: categories[0].criteria[0].weight: expected a number, found 'heavy'\n" + SUMMARY_1,
    ),
    (
        "score-off-the-scale",
        _edit("rubric.yaml", 'score: 3\n            evidence: "Official', 'score: 7\n            evidence: "Official'),
        "error: data/rubric.yaml:33: categories[0].criteria[0].scores.go.score: expected a score from 1 to 5, found "
        "7\n" + SUMMARY_1,
    ),
    (
        "score-half-point",
        _edit(
            "rubric.yaml", 'score: 3\n            evidence: "Official', 'score: 3.5\n            evidence: "Official'
        ),
        "error: data/rubric.yaml:33: categories[0].criteria[0].scores.go.score: expected a whole number, found "
        "'3.5'\n" + SUMMARY_1,
    ),
    (
        "evidence-misspelt",
        _edit("rubric.yaml", '            evidence: "Official', '            evidenc: "Official'),
        "error: data/rubric.yaml:34: categories[0].criteria[0].scores.go.evidenc: unknown key; did you mean "
        "'evidence'?\n" + SUMMARY_1,
    ),
    (
        "key-twice",
        _edit(
            "rubric.yaml",
            '    title: "OpenTelemetry integration complexity"',
            '    title: "OpenTelemetry integration complexity"\n    title: "OTel"',
        ),
        "error: data/rubric.yaml:20: categories[0].title: this key appears twice; keep one\n" + SUMMARY_1,
    ),
    # --- copy/*.md: the text ----------------------------------------------------------------------------------
    (
        "placeholder-misspelt",
        _edit("copy/startup.md", "{startup.best_value}", "{startup.fastest}"),
        "error: data/copy/startup.md:5: {startup.fastest}: unknown placeholder; did you mean {startup.best}?\n"
        + SUMMARY_1,
    ),
    (
        "placeholder-brace-missing",
        _edit("copy/startup.md", "{startup.best_value}", "{startup.best_value"),
        "error: data/copy/startup.md:5: '{startup.best_value' is not a placeholder; placeholders look like "
        "{startup.best}: a name in braces, with no spaces\n" + SUMMARY_1,
    ),
    (
        "figure-typed-by-hand",
        _append("copy/memory.md", "\nGo needs only 5.9 MB at idle.\n"),
        "error: data/copy/memory.md:13: a figure typed by hand ('5.9 MB') goes stale when the data changes; use a "
        "placeholder such as {startup.best_value} instead\n" + SUMMARY_1,
    ),
    (
        "copy-file-deleted",
        _remove("copy/about.md"),
        "error: data/copy/about.md: file not found; every section needs its copy file\n" + SUMMARY_1,
    ),
    (
        "copy-file-misnamed",
        _write("copy/startpu.md", "Typo.\n"),
        "error: data/copy/startpu.md: this file is not used by the report; did you mean startup.md?\n" + SUMMARY_1,
    ),
    (
        "link-to-a-local-file",
        _append("copy/about.md", "\nSee [our notes](file:///Users/me/notes.txt).\n"),
        "error: data/copy/about.md:14: link: expected a link starting with https://, found "
        "'file:///Users/me/notes.txt'\n" + SUMMARY_1,
    ),
    # --- benchmarks/*.csv and environment.yaml: the measurements ----------------------------------------------
    (
        "number-is-a-word",
        _edit("benchmarks/startup.csv", "bun,1,25.65", "bun,1,fast"),
        "error: data/benchmarks/startup.csv:2: startup_ms: expected a number, found 'fast'\n" + SUMMARY_1,
    ),
    (
        "decimal-comma-quoted",
        _edit("benchmarks/startup.csv", "bun,1,25.65", 'bun,1,"25,65"'),
        "error: data/benchmarks/startup.csv:2: startup_ms: expected a number with a dot for decimals, like 25.65, "
        "found '25,65'\n" + SUMMARY_1,
    ),
    (
        "decimal-comma-unquoted",
        _edit("benchmarks/startup.csv", "bun,1,25.65", "bun,1,25,65"),
        "error: data/benchmarks/startup.csv:2: expected 3 fields like the header, found 4; write decimals with a "
        "dot, like 25.65, as a comma starts a new field\n" + SUMMARY_1,
    ),
    (
        "cell-left-empty",
        _edit("benchmarks/startup.csv", "bun,1,25.65", "bun,1,"),
        "error: data/benchmarks/startup.csv:2: startup_ms: expected a number, found ''\n" + SUMMARY_1,
    ),
    (
        "number-negative",
        _edit("benchmarks/startup.csv", "bun,1,25.65", "bun,1,-25.65"),
        "error: data/benchmarks/startup.csv:2: startup_ms: expected a number greater than 0, found '-25.65'\n"
        + SUMMARY_1,
    ),
    (
        "stack-not-in-report",
        _edit("benchmarks/startup.csv", "bun,1,25.65", "deno,1,25.65"),
        "error: data/benchmarks/startup.csv:2: stack: unknown stack 'deno'; expected one of the ids in report.yaml: "
        "go, bun, fastapi\n" + SUMMARY_1,
    ),
    (
        "column-renamed",
        _edit("benchmarks/startup.csv", "stack,run,startup_ms", "stack,run,startup"),
        "error: data/benchmarks/startup.csv:1: column 'startup': unknown column; did you mean 'startup_ms'?\n"
        + SUMMARY_1,
    ),
    (
        "saved-with-semicolons",
        _semicolons,
        "error: data/benchmarks/startup.csv:1: expected columns separated by commas, like stack,run,startup_ms, "
        "found semicolons; in Excel, save as 'CSV UTF-8 (Comma delimited)'\n" + SUMMARY_1,
    ),
    (
        "saved-in-another-encoding",
        _latin1_row,
        "error: data/benchmarks/startup.csv:47: expected UTF-8 text, found a character saved in another encoding; "
        "save the file as UTF-8 (in Excel: Save As, then 'CSV UTF-8')\n" + SUMMARY_1,
    ),
    (
        "row-pasted-twice",
        _append("benchmarks/startup.csv", "bun,1,25.65\n"),
        "error: data/benchmarks/startup.csv:47: duplicate row for stack=bun, run=1; the same row is on line 2\n"
        + SUMMARY_1,
    ),
    (
        "only-the-header-left",
        _write("benchmarks/startup.csv", "stack,run,startup_ms\n"),
        "error: data/benchmarks/startup.csv: no data rows; expected at least one row below the header\n" + SUMMARY_1,
    ),
    (
        "results-file-missing",
        _remove("benchmarks/memory.csv"),
        "error: data/benchmarks/memory.csv: file not found\n" + SUMMARY_1,
    ),
    (
        "sample-flag-a-word",
        _edit("benchmarks/environment.yaml", "sample: true", "sample: yes please"),
        "error: data/benchmarks/environment.yaml:2: sample: expected true or false, found 'yes please'\n" + SUMMARY_1,
    ),
    # --- inputs found by mutating the shipped files: one line each, never "internal error" ---------------------
    (
        # found by tests/inputs/test_fuzz.py: a key with brackets was mistaken for pydantic's own path segment
        "key-with-brackets",
        _edit("report.yaml", "edition:", "editi[]on:"),
        "error: data/report.yaml:4: editi[]on: unknown key; did you mean 'edition'?\n" + SUMMARY_1,
    ),
    (
        "yaml-mapping-as-key",
        _append("rubric.yaml", "{}: 1\n"),
        "error: data/rubric.yaml:184: expected a key name, found a mapping ({...}) used as a key; delete it, or put "
        'the whole key in double quotes, like "{}": …\n' + SUMMARY_1,
    ),
    (
        "yaml-list-as-key",
        _edit("rubric.yaml", "  min: 1", "  [min]: 1"),
        "error: data/rubric.yaml:5: scale: expected a key name, found a list ([...]) used as a key; delete it, or put "
        'the whole key in double quotes, like "{}": …\n' + SUMMARY_1,
    ),
    # --- YAML that cannot be read as written: each is one line, however much would follow from it -----------
    (
        "yaml-self-referencing-alias",  # issue 23: this once recursed until Python gave up
        _edit("benchmarks/environment.yaml", "  duration_s: 5", "  duration_s: &a [*a]"),
        "error: data/benchmarks/environment.yaml:13: method.duration_s: anchors (&name) and aliases (*name) are not "
        "allowed; write each value out in full, and put a value that starts with & or * in double quotes\n" + SUMMARY_1,
    ),
    (
        "yaml-star-value",
        _edit("report.yaml", 'author: "works-on-my.cloud"', "author: *team"),
        "error: data/report.yaml:6: this is not valid YAML: a value starts with '*', which YAML reads as a reference; "
        'put the value in double quotes, like "*note"\n' + SUMMARY_1,
    ),
    (
        "yaml-impossible-date-as-key",  # issue 23: this once failed inside the YAML loader with no message
        _edit("report.yaml", "    name: Bun", "    2026-13-01: Bun"),
        "error: data/report.yaml:23: stacks[1]: expected a key name, found '2026-13-01', which YAML reads as a date, "
        "and that date does not exist; put the key in double quotes if it is meant as text\n" + SUMMARY_1,
    ),
    (
        "yaml-date-as-key",  # the key it replaced (name) is not also reported missing
        _edit("report.yaml", "    name: Bun", "    2026-12-01: Bun"),
        "error: data/report.yaml:23: stacks[1]: expected a key name, found '2026-12-01', which YAML reads as a date; "
        "put the key in double quotes if it is meant as text\n" + SUMMARY_1,
    ),
    (
        "yaml-number-over-a-key",
        _edit("report.yaml", "    name: Bun", "    1: Bun"),
        "error: data/report.yaml:23: stacks[1]: expected a key name in letters, found the number '1'; put it in "
        "double quotes if it is meant as text\n" + SUMMARY_1,
    ),
    (
        "yaml-impossible-date-in-rubric",
        _edit("rubric.yaml", "  min: 1", "  2026-02-30: 1"),
        "error: data/rubric.yaml:5: scale: expected a key name, found '2026-02-30', which YAML reads as a date, and "
        "that date does not exist; put the key in double quotes if it is meant as text\n" + SUMMARY_1,
    ),
    (
        "yaml-control-character",
        _edit("report.yaml", 'author: "works-on-my.cloud"', 'author: "works-on-my.cloud\x08"'),
        "error: data/report.yaml:6: this is not valid YAML: the line contains the invisible control character "
        "U+0008, usually pasted from another program; delete it (retype the line if you cannot see it)\n" + SUMMARY_1,
    ),
    (
        "yaml-python-tag",
        _edit("report.yaml", 'author: "works-on-my.cloud"', "author: !!python/object/apply:os.system ['true']"),
        "error: data/report.yaml:6: this is not valid YAML: the tag '!!python/object/apply:os.system' is not "
        "allowed; write plain text, numbers, lists and keys only (put a value that starts with ! in double quotes)\n"
        + SUMMARY_1,
    ),
    (
        "yaml-number-as-key",
        _append("report.yaml", "0x1F: 1\n"),
        "error: data/report.yaml:30: expected a key name in letters, found the number '31'; put it in double "
        "quotes if it is meant as text\n" + SUMMARY_1,
    ),
    (
        "copy-raw-html-bold",
        _append("copy/summary.md", "\nThe <b>fastest</b> start.\n"),
        "error: data/copy/summary.md:7: html: raw HTML (<b>) would print as typed, not be applied; write "
        "**fastest** instead\n" + SUMMARY_1,
    ),
    (
        "copy-raw-html-image",
        _append("copy/summary.md", '\n<img src="brand/logo.svg" alt="logo">\n'),
        "error: data/copy/summary.md:7: html: raw HTML (<img>) would print as typed, not be applied; images are "
        "written ![what it shows](images/picture.png), with the file inside the data folder\n" + SUMMARY_1,
    ),
    (
        "copy-raw-html-comment",
        _append("copy/summary.md", "\n<!-- TODO: numbers -->\n"),
        "error: data/copy/summary.md:7: html: raw HTML (<!-- … -->) would print as typed, not be applied; comments "
        "are not hidden in the PDF; delete it\n" + SUMMARY_1,
    ),
    # --- several at once: every problem, in file order, then one count ----------------------------------------
    (
        "three-files-at-once",
        _several(
            _edit("benchmarks/startup.csv", "bun,1,25.65", "bun,1,fast"),
            _edit("report.yaml", 'primary_color: "#14213D"', 'primary_color: "navy"'),
            _edit("rubric.yaml", "weight: 0.35", "weight: 0.30"),
        ),
        "error: data/benchmarks/startup.csv:2: startup_ms: expected a number, found 'fast'\n"
        "error: data/report.yaml:10: brand.primary_color: expected a colour like #1A2B3C, found 'navy'\n"
        "error: data/rubric.yaml:21: categories[0].criteria: expected the criteria weights to add up to 1, found "
        "0.95\n"
        "lead-magnet: 3 problems found; nothing was written.\n",
    ),
]


@pytest.fixture
def in_copy(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work beside a private copy of data/, so messages name data/... as they do for the reader."""
    monkeypatch.chdir(data_dir.parent)
    return data_dir


@pytest.mark.parametrize(("case", "breaker", "expected"), CASES, ids=[c[0] for c in CASES])
def test_check_prints_the_whole_message(
    case: str, breaker: Breaker, expected: str, in_copy: Path, run_cli: Callable[..., CliResult]
) -> None:
    breaker(in_copy)
    result = run_cli("check", "--data", "data")
    assert (result.code, result.out) == (1, "")
    assert result.err == expected


def test_valid_data_says_so_in_one_line(in_copy: Path, run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("check", "--data", "data")
    assert (result.code, result.err) == (0, "")
    assert result.out == "data: all inputs valid: 3 stacks (Go, Bun, FastAPI) (sample data).\n"


def test_every_line_names_a_file_in_the_data_folder() -> None:
    # A guard on the table itself: the reader always learns which file to open.
    for case, _breaker, expected in CASES:
        *lines, summary = expected.splitlines()
        assert lines and all(line.startswith("error: data/") for line in lines), case
        count = len(lines)
        assert summary == f"lead-magnet: {count} problem{'s' if count != 1 else ''} found; nothing was written.", case


def test_a_template_syntax_error_is_a_file_and_line(tmp_path: Path, data_dir: Path) -> None:
    """Someone editing templates/: `build` names the template and line, not "internal error"."""
    from report import pipeline
    from report.errors import InputError

    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    source = (templates / "report.html.j2").read_text(encoding="utf-8").splitlines(keepends=True)
    line = next(i for i, text in enumerate(source, 1) if "{% for s in stacks %}" in text)
    edit(templates / "report.html.j2", "{% for s in stacks %}", "{% for s in stacks %")
    out = tmp_path / "out"
    options = BuildOptions(data_dir=data_dir, out_dir=out, templates=templates, force=True)
    with pytest.raises(InputError) as caught:
        pipeline.build(options)
    shown = display_path(templates / "report.html.j2")
    assert [str(p) for p in caught.value.problems()] == [
        f"{shown}:{line}: template error: expected token ':', got '}}'"
    ]
    assert not out.exists()


def test_an_unknown_name_in_a_template_is_a_file_and_line(tmp_path: Path, data_dir: Path) -> None:
    from report import pipeline
    from report.errors import InputError

    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    edit(templates / "report.html.j2", "{{ report.edition }}", "{{ report.editon }}")
    source = (templates / "report.html.j2").read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(source, 1) if "report.editon" in text)
    options = BuildOptions(data_dir=data_dir, out_dir=tmp_path / "out", templates=templates, force=True)
    with pytest.raises(InputError) as caught:
        pipeline.build(options)
    shown = display_path(templates / "report.html.j2")
    assert [str(p) for p in caught.value.problems()] == [
        f"{shown}:{line}: template error: 'dict object' has no attribute 'editon'"
    ]


# --- one cause, one message: the shipped data (with evidence.csv and latency.csv), one row broken ----------------


@pytest.fixture
def bundled_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the shipped data/, named data/ in messages as it is for the reader."""
    shutil.copytree(BUNDLED, tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "data"


def _first_row(path: Path, change: Callable[[list[str]], list[str]]) -> None:
    header, first, *rest = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join([header, ",".join(change(first.split(","))), *rest]), encoding="utf-8")


def test_a_garbled_evidence_row_is_its_own_message_only(bundled_copy: Path, run_cli: Callable[..., CliResult]) -> None:
    # issue 23: the rubric's scores computed from evidence.csv were each reported as "no score, and evidence.csv
    # has no ... to compute it from" after the row's own message, though every measure was in the file
    name = "artifact_size_mb_pasted_twice_artifact_s"  # 40 characters
    _first_row(bundled_copy / "benchmarks" / "evidence.csv", lambda row: [row[0], name, *row[2:]])
    result = run_cli("check", "--data", "data")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"error: data/benchmarks/evidence.csv:2: measure: expected text of at most 32 characters, found '{name}'\n"
        + SUMMARY_1
    )


@pytest.mark.parametrize("name", ["startup.csv", "memory.csv", "throughput.csv", "evidence.csv", "latency.csv"])
def test_a_short_row_in_any_benchmark_file_is_one_message(
    name: str, bundled_copy: Path, run_cli: Callable[..., CliResult]
) -> None:
    # the row is left out; nothing that may have been in it (a stack's rows, a measure, a rate) is reported missing
    path = bundled_copy / "benchmarks" / name
    fields = len(path.read_text(encoding="utf-8").split("\n", 1)[0].split(","))
    _first_row(path, lambda row: row[:-1])
    result = run_cli("check", "--data", "data")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"error: data/benchmarks/{name}:2: expected {fields} fields like the header, found {fields - 1}\n" + SUMMARY_1
    )


def test_a_bad_value_in_startup_csv_does_not_question_the_rubric(
    bundled_copy: Path, run_cli: Callable[..., CliResult]
) -> None:
    _first_row(bundled_copy / "benchmarks" / "startup.csv", lambda row: [*row[:-1], "fast"])
    result = run_cli("check", "--data", "data")
    assert (
        result.err == "error: data/benchmarks/startup.csv:2: startup_ms: expected a number, found 'fast'\n" + SUMMARY_1
    )
