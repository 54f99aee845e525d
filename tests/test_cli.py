"""The command line: bad input through the real CLI (exit 1, the exact message, an output folder left untouched)
and usage errors (exit 2)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult, edit, snapshot

B = "benchmarks"


def _remove(rel: str) -> Callable[[Path], None]:
    return lambda d: (d / rel).unlink()


def _write(rel: str, text: str) -> Callable[[Path], None]:
    def go(d: Path) -> None:
        (d / rel).write_text(text, encoding="utf-8")

    return go


def _edit(rel: str, old: str, new: str) -> Callable[[Path], None]:
    return lambda d: edit(d / rel, old, new)


def _append(rel: str, text: str) -> Callable[[Path], None]:
    def go(d: Path) -> None:
        with (d / rel).open("a", encoding="utf-8") as handle:
            handle.write(text)

    return go


def _drop_rows(rel: str, prefix: str) -> Callable[[Path], None]:
    def go(d: Path) -> None:
        lines = (d / rel).read_text(encoding="utf-8").splitlines(keepends=True)
        (d / rel).write_text("".join(line for line in lines if not line.startswith(prefix)), encoding="utf-8")

    return go


# (case id, how to break the data, the exact error line expected on stderr, with DATA for the data folder)
CASES: list[tuple[str, Callable[[Path], None], str]] = [
    (
        "startup-not-a-number",
        _edit(f"{B}/startup.csv", "go,2,3.59", "go,2,abc"),
        "DATA/benchmarks/startup.csv:6: startup_ms: expected a number, found 'abc'",
    ),
    (
        "startup-negative",
        _edit(f"{B}/startup.csv", "go,2,3.59", "go,2,-3.59"),
        "DATA/benchmarks/startup.csv:6: startup_ms: expected a number greater than 0, found '-3.59'",
    ),
    (
        "startup-zero",
        _edit(f"{B}/startup.csv", "go,2,3.59", "go,2,0"),
        "DATA/benchmarks/startup.csv:6: startup_ms: expected a number greater than 0, found '0'",
    ),
    (
        "startup-run-not-whole",
        _edit(f"{B}/startup.csv", "go,2,3.59", "go,2.5,3.59"),
        "DATA/benchmarks/startup.csv:6: run: expected a whole number, found '2.5'",
    ),
    (
        "startup-unknown-stack",
        _edit(f"{B}/startup.csv", "go,2,3.59", "golang,2,3.59"),
        "DATA/benchmarks/startup.csv:6: stack: unknown stack 'golang'; expected one of the ids in report.yaml: "
        "go, bun, fastapi",
    ),
    (
        "startup-duplicate-row",
        _append(f"{B}/startup.csv", "go,2,3.6\n"),
        "DATA/benchmarks/startup.csv:47: duplicate row for stack=go, run=2; the same row is on line 6",
    ),
    (
        "startup-unknown-column",
        _edit(f"{B}/startup.csv", "stack,run,startup_ms", "stack,run,startup_msec"),
        "DATA/benchmarks/startup.csv:1: column 'startup_msec': unknown column; did you mean 'startup_ms'?",
    ),
    ("startup-missing-file", _remove(f"{B}/startup.csv"), "DATA/benchmarks/startup.csv: file not found"),
    (
        "startup-missing-stack",
        _write(f"{B}/startup.csv", "stack,run,startup_ms\ngo,1,3.1\nbun,1,7.2\n"),
        "DATA/benchmarks/startup.csv: no rows for stack 'fastapi'; every stack in report.yaml needs data",
    ),
    (
        "startup-header-only",
        _write(f"{B}/startup.csv", "stack,run,startup_ms\n"),
        "DATA/benchmarks/startup.csv: no data rows; expected at least one row below the header",
    ),
    (
        "memory-bad-phase",
        _edit(f"{B}/memory.csv", "bun,load,1,43.7", "bun,peak,1,43.7"),
        "DATA/benchmarks/memory.csv:5: phase: expected one of 'idle' or 'load', found 'peak'",
    ),
    (
        "memory-missing-column",
        _write(f"{B}/memory.csv", "stack,run,rss_mb\ngo,1,5.8\n"),
        "DATA/benchmarks/memory.csv:1: required column 'phase' is missing",
    ),
    (
        "memory-short-row",
        _edit(f"{B}/memory.csv", "bun,load,1,43.7", "bun,load,43.7"),
        "DATA/benchmarks/memory.csv:5: expected 4 fields like the header, found 3",
    ),
    (
        "throughput-negative-errors",
        _edit(f"{B}/throughput.csv", "2.776,0,baseline", "2.776,-1,baseline"),
        "DATA/benchmarks/throughput.csv:2: errors: expected a number of at least 0, found '-1'",
    ),
    (
        "throughput-bad-variant",
        _edit(f"{B}/throughput.csv", "2.776,0,baseline", "2.776,0,traced"),
        "DATA/benchmarks/throughput.csv:2: variant: expected one of 'baseline' or 'otel', found 'traced'",
    ),
    (
        "throughput-missing-level",
        _drop_rows(f"{B}/throughput.csv", "fastapi,50,"),
        "DATA/benchmarks/throughput.csv: no baseline rows for stack 'fastapi' at concurrency 50",
    ),
    (
        "environment-sample-not-bool",
        _edit(f"{B}/environment.yaml", "sample: true", "sample: maybe"),
        "DATA/benchmarks/environment.yaml:2: sample: expected true or false, found 'maybe'",
    ),
    (
        "environment-missing-key",
        _edit(f"{B}/environment.yaml", "load_tool:", "load_tools:"),
        "DATA/benchmarks/environment.yaml:9: load_tools: unknown key; did you mean 'load_tool'?",
    ),
    (
        "environment-unknown-version",
        _edit(f"{B}/environment.yaml", "  bun: bun", "  deno: deno"),
        "DATA/benchmarks/environment.yaml:17: versions.deno: unknown stack 'deno'; expected one of the ids in "
        "report.yaml: go, bun, fastapi",
    ),
    (
        "report-bad-colour",
        _edit("report.yaml", 'color: "#0072B2"', 'color: "blue"'),
        "DATA/report.yaml:21: stacks[0].color: expected a colour like #1A2B3C, found 'blue'",
    ),
    (
        "report-edition-number",
        _edit("report.yaml", 'edition: "2026.11"', "edition: 2026.10"),
        'DATA/report.yaml:4: edition: expected the edition in quotes, like "2026.11", found the number 2026.1',
    ),
    (
        "report-typo-key",
        _edit("report.yaml", "subtitle:", "subtitel:"),
        "DATA/report.yaml:3: subtitel: unknown key; did you mean 'subtitle'?",
    ),
    (
        "report-logo-outside",
        _edit("report.yaml", "logo: brand/logo.svg", "logo: ../../etc/passwd.svg"),
        "DATA/report.yaml:12: brand.logo: expected a path inside the data folder, found '../../etc/passwd.svg', which "
        "points outside it",
    ),
    (
        "report-one-stack",
        _edit("report.yaml", "  - id: bun", "  - id: bun\n    extra: 1"),
        "DATA/report.yaml:23: stacks[1].extra: unknown key; expected one of: id, name, framework, color",
    ),
    ("report-not-yaml", _write("report.yaml", "title: [unclosed\n"), "DATA/report.yaml:2: this is not valid YAML"),
    (
        "rubric-weights",
        _edit("rubric.yaml", "weight: 0.35", "weight: 0.30"),
        "DATA/rubric.yaml:21: categories[0].criteria: expected the criteria weights to add up to 1, found 0.95",
    ),
    (
        "rubric-score-out-of-scale",
        _edit("rubric.yaml", 'score: 3\n            evidence: "Official', 'score: 7\n            evidence: "Official'),
        "DATA/rubric.yaml:33: categories[0].criteria[0].scores.go.score: expected a score from 1 to 5, found 7",
    ),
    (
        "rubric-missing-stack-score",
        _edit(
            "rubric.yaml",
            '          bun:\n            score: 2\n            evidence: "Uses the Node.js packages',
            '          bunx:\n            score: 2\n            evidence: "Uses the Node.js packages',
        ),
        "DATA/rubric.yaml:31: categories[0].criteria[0].scores: stack 'bun' has no score; every stack needs one",
    ),
    (
        "rubric-duplicate-key",
        _edit(
            "rubric.yaml",
            '    title: "OpenTelemetry integration complexity"',
            '    title: "OpenTelemetry integration complexity"\n    title: again',
        ),
        "DATA/rubric.yaml:20: categories[0].title: this key appears twice; keep one",
    ),
    (
        "copy-unknown-placeholder",
        _edit("copy/startup.md", "{startup.best_value}", "{startup.fastest}"),
        "DATA/copy/startup.md:5: {startup.fastest}: unknown placeholder; did you mean {startup.best}?",
    ),
    (
        "copy-typed-figure",
        _append("copy/memory.md", "\nGo needs only 5.9 MB at idle.\n"),
        "DATA/copy/memory.md:13: a figure typed by hand ('5.9 MB') goes stale when the data changes; use a placeholder "
        "such as {startup.best_value} instead",
    ),
    ("copy-missing", _remove("copy/about.md"), "DATA/copy/about.md: file not found; every section needs its copy file"),
    (
        "copy-unknown-file",
        _write("copy/startpu.md", "Typo.\n"),
        "DATA/copy/startpu.md: this file is not used by the report; did you mean startup.md?",
    ),
    (
        "copy-file-link",
        _append("copy/about.md", "\n[secrets](file:///etc/passwd)\n"),
        "DATA/copy/about.md:14: link: expected a link starting with https://, found 'file:///etc/passwd'",
    ),
    (
        "copy-image-outside",
        _append("copy/about.md", "\n![x](../../../../etc/hosts.png)\n"),
        "DATA/copy/about.md:14: image: expected an image path inside the data folder, "
        "found '../../../../etc/hosts.png'",
    ),
]


@pytest.mark.parametrize(("case", "breaker", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_exits_1_with_message_and_leaves_output_untouched(
    case: str,
    breaker: Callable[[Path], None],
    expected: str,
    data_dir: Path,
    tmp_path: Path,
    run_cli: Callable[..., CliResult],
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "backend-language-comparison.pdf").write_bytes(b"%PDF-previous build")
    before = snapshot(out)
    breaker(data_dir)
    result = run_cli("build", "--data", data_dir, "--out", out)
    assert result.code == 1, result.err
    lines = result.err.splitlines()
    wanted = "error: " + expected.replace("DATA", str(data_dir))
    assert any(line.startswith(wanted) for line in lines), f"{wanted!r} not in:\n{result.err}"
    assert "Traceback" not in result.err
    assert lines[-1].endswith("found; nothing was written.")
    assert snapshot(out) == before


def test_bad_input_does_not_create_a_missing_output_folder(
    data_dir: Path, tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    edit(data_dir / B / "startup.csv", "go,2,3.59", "go,2,abc")
    out = tmp_path / "never-created"
    result = run_cli("build", "--data", data_dir, "--out", out)
    assert result.code == 1
    assert not out.exists()


def test_every_problem_is_reported_at_once(data_dir: Path, run_cli: Callable[..., CliResult]) -> None:
    edit(data_dir / B / "startup.csv", "go,2,3.59", "go,2,abc")
    edit(data_dir / "report.yaml", 'color: "#0072B2"', 'color: "blue"')
    edit(data_dir / "rubric.yaml", "weight: 0.35", "weight: 0.30")
    result = run_cli("check", "--data", data_dir)
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 3, result.err
    assert result.err.splitlines()[-1] == "lead-magnet: 3 problems found; nothing was written."


def test_check_writes_nothing_and_says_valid(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    result = run_cli("check", "--data", Path(__file__).resolve().parent.parent / "data")
    assert result.code == 0, result.err
    assert "all inputs valid: 3 stacks (Go, Bun, FastAPI)" in result.out


@pytest.mark.parametrize(
    "args",
    [["build", "--page-size", "a3"], ["frobnicate"], ["build", "--no-such-flag"], []],
    ids=["bad-choice", "unknown-command", "unknown-flag", "no-command"],
)
def test_usage_errors_exit_2(args: list[str], run_cli: Callable[..., CliResult]) -> None:
    assert run_cli(*args).code == 2


def test_missing_data_folder(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("check", "--data", tmp_path / "nope")
    assert result.code == 1
    assert "data folder not found" in result.err
