"""Loading and validating the benchmark files in data/benchmarks/ into typed tables."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ValidationError

from report.errors import Problem
from report.inputs.data_schema import SPECS, CsvSpec, Environment, EvidenceRow
from report.inputs.latency_checks import check_latency
from report.inputs.traces import Trace, load_traces
from report.inputs.validation import (
    Loc,
    not_utf8,
    read_text,
    translate,
)
from report.inputs.yaml_model import load_model

BENCH = "benchmarks"
REPRODUCTION = "benchmarks/reproduction"  # a second full run of this edition's method (optional)
# a full run of the harness on another machine and day, possibly of an earlier method (optional)
OTHER_MACHINE = "benchmarks/other-machine"


@dataclass(frozen=True)
class Benchmarks:
    """Every validated benchmark table, with the environment they were measured in."""

    environment: Environment
    startup: pd.DataFrame
    memory: pd.DataFrame
    throughput: pd.DataFrame
    evidence: pd.DataFrame
    latency: pd.DataFrame  # empty when latency.csv is absent (older data folders)
    traces: tuple[Trace, ...] = ()  # empty when traces.json is absent (older data folders)


@dataclass(frozen=True)
class EvidenceRows:
    """The valid rows of evidence.csv, known even when another benchmark file has problems (the rubric's
    measured scores are checked against them)."""

    values: dict[tuple[str, str], tuple[float, str]]  # (stack, measure) -> (value, unit)
    complete: bool  # False when a row was refused: a measure missing here may be in that row


@dataclass
class _Table:
    rows: list[BaseModel]
    lines: list[int]
    complete: bool = True  # False when a row was refused: only the valid rows are here


def load_benchmarks(
    data_dir: Path, shown_dir: str, stack_ids: Sequence[str] | None, folder: str = BENCH
) -> tuple[Benchmarks | None, list[Problem]]:
    """Read every benchmark file in `folder` (benchmarks/, or a second run such as benchmarks/reproduction/),
    checking each row and the files against each other."""
    bench, _evidence, problems = load_benchmarks_and_evidence(data_dir, shown_dir, stack_ids, folder)
    return bench, problems


def load_benchmarks_and_evidence(
    data_dir: Path, shown_dir: str, stack_ids: Sequence[str] | None, folder: str = BENCH
) -> tuple[Benchmarks | None, EvidenceRows | None, list[Problem]]:
    """load_benchmarks, with evidence.csv's valid rows (None when the file cannot be read at all).

    A bad row is reported and left out, not the whole file; checks that conclude something is absent (a stack
    without rows, a missing concurrency level) run only on files without a refused row, since what is absent
    may be in that row."""
    bench_dir = data_dir / folder
    shown_bench = f"{shown_dir}/{folder}"
    problems: list[Problem] = []
    environment = _load_environment(bench_dir, shown_bench, stack_ids, problems)
    tables: dict[str, _Table] = {}
    for spec in SPECS:
        path = bench_dir / spec.name
        if not spec.required and not path.exists():
            tables[spec.name] = _Table([], [])
            continue
        table = _load_csv(path, f"{shown_bench}/{spec.name}", spec, problems)
        if table is not None:
            tables[spec.name] = table
            if stack_ids is not None:
                _check_stacks(table, f"{shown_bench}/{spec.name}", spec, stack_ids, problems)
    evidence = tables.get("evidence.csv")
    evidence_rows = (
        EvidenceRows(
            {(row.stack, row.measure): (row.value, row.unit) for row in evidence.rows if isinstance(row, EvidenceRow)},
            evidence.complete,
        )
        if evidence is not None
        else None
    )
    complete = {name for name, table in tables.items() if table.complete}
    if "throughput.csv" in complete:
        _check_throughput_matrix(tables["throughput.csv"], f"{shown_bench}/throughput.csv", environment, problems)
    if {"latency.csv", "throughput.csv"} <= complete and tables["latency.csv"].rows:
        check_latency(tables["latency.csv"], tables["throughput.csv"], f"{shown_bench}/latency.csv", problems)
    traces, trace_problems = load_traces(bench_dir, shown_bench, stack_ids)
    problems.extend(trace_problems)
    if problems or environment is None or len(complete) != len(SPECS):
        return None, evidence_rows, problems
    frames = {name: _frame(table, spec) for spec in SPECS for name, table in tables.items() if name == spec.name}
    return (
        Benchmarks(
            environment=environment,
            startup=frames["startup.csv"],
            memory=frames["memory.csv"],
            throughput=frames["throughput.csv"],
            evidence=frames["evidence.csv"],
            latency=frames["latency.csv"],
            traces=traces,
        ),
        evidence_rows,
        problems,
    )


def _load_environment(
    bench_dir: Path, shown_bench: str, stack_ids: Sequence[str] | None, problems: list[Problem]
) -> Environment | None:
    shown = f"{shown_bench}/environment.yaml"
    env, lines, yaml_problems = load_model(bench_dir / "environment.yaml", shown, Environment)
    problems.extend(yaml_problems)
    if env is None:
        return None
    if stack_ids is not None:
        for key in env.versions:
            if key not in stack_ids:
                problems.append(
                    Problem(shown, lines.line_for(("versions", key)), f"versions.{key}", _unknown_stack(key, stack_ids))
                )
        for sid in stack_ids:
            if sid not in env.versions:
                problems.append(
                    Problem(shown, lines.line_for(("versions",)), "versions", f"no version given for stack '{sid}'")
                )
    return env


def _load_csv(path: Path, shown: str, spec: CsvSpec, problems: list[Problem]) -> _Table | None:
    try:
        text = read_text(path)
    except FileNotFoundError:
        problems.append(Problem(shown, None, "", "file not found"))
        return None
    except UnicodeDecodeError as exc:
        problems.append(not_utf8(shown, exc))
        return None
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        problems.append(Problem(shown, 1, "", f"this is not valid CSV ({exc})"))
        return None
    if not header or not any(h.strip() for h in header):
        problems.append(Problem(shown, 1, "", f"expected a header row: {','.join(spec.columns)}"))
        return None
    header = [h.strip() for h in header]
    if len(header) == 1 and ";" in header[0]:  # Excel in many locales saves CSV with semicolons
        problems.append(
            Problem(
                shown,
                1,
                "",
                f"expected columns separated by commas, like {','.join(spec.columns)}, found "
                "semicolons; in Excel, save as 'CSV UTF-8 (Comma delimited)'",
            )
        )
        return None
    header_ok = True
    for column in header:
        if column not in spec.columns:
            problems.append(Problem(shown, 1, f"column '{column}'", _unknown_column(column, spec.columns)))
            header_ok = False
    suggested = {close for column in header if column not in spec.columns for close in _close_column(column, spec)}
    for column in spec.required_columns:
        if column not in header and column not in suggested:  # a renamed column is reported once, above
            problems.append(Problem(shown, 1, "", f"required column '{column}' is missing"))
            header_ok = False
    repeated = sorted({c for c in header if header.count(c) > 1})
    for column in repeated:
        problems.append(Problem(shown, 1, f"column '{column}'", "this column appears twice; keep one"))
        header_ok = False
    if not header_ok:
        return None
    records: list[dict[str, str]] = []
    lines: list[int] = []
    complete = True
    last_line = reader.line_num
    try:
        for row in reader:
            start = last_line + 1
            last_line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                hint = (
                    "; write decimals with a dot, like 25.65, as a comma starts a new field"
                    if len(row) > len(header) and re.search(r"\d,\d", ",".join(row))
                    else ""
                )
                problems.append(
                    Problem(shown, start, "", f"expected {len(header)} fields like the header, found {len(row)}{hint}")
                )
                complete = False
                continue
            records.append({c: v.strip() for c, v in zip(header, row, strict=True)})
            lines.append(start)
    except csv.Error as exc:  # the rows above it stand
        problems.append(Problem(shown, reader.line_num, "", f"this is not valid CSV ({exc})"))
        complete = False
    if not records and complete:
        problems.append(Problem(shown, None, "", "no data rows; expected at least one row below the header"))
        return None
    rows: list[BaseModel] = []
    kept: list[int] = []
    for record, line in zip(records, lines, strict=True):
        try:
            rows.append(spec.model.model_validate(record))
            kept.append(line)
        except ValidationError as exc:  # this row is left out; the others stand
            complete = False
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else ""
                single = ValidationError.from_exception_data(exc.title, [_plain(err)])
                for p in translate(single, shown, spec.model, _fixed_line(line)):
                    problems.append(Problem(shown, line, column or p.where, p.message))
    _check_duplicates(rows, kept, shown, spec, problems)
    return _Table(rows, kept, complete)


def _fixed_line(line: int | None) -> Callable[[Loc], int | None]:
    return lambda _loc: line


def _plain(err: Any) -> Any:
    out = {k: v for k, v in err.items() if k in {"type", "loc", "input", "ctx"}}
    if "ctx" in out and "error" in out["ctx"]:
        out["ctx"] = {**out["ctx"], "error": str(out["ctx"]["error"])}
    return out


def _check_duplicates(
    rows: list[BaseModel], lines: list[int], shown: str, spec: CsvSpec, problems: list[Problem]
) -> None:
    first: dict[tuple[Any, ...], int] = {}
    for row, line in zip(rows, lines, strict=True):
        key = tuple(getattr(row, k) for k in spec.key)
        if key in first:
            described = ", ".join(f"{k}={v}" for k, v in zip(spec.key, key, strict=True))
            problems.append(
                Problem(shown, line, "", f"duplicate row for {described}; the same row is on line {first[key]}")
            )
        else:
            first[key] = line


def _check_stacks(table: _Table, shown: str, spec: CsvSpec, stack_ids: Sequence[str], problems: list[Problem]) -> None:
    seen: set[str] = set()
    for row, line in zip(table.rows, table.lines, strict=True):
        stack = getattr(row, "stack")  # noqa: B009 - every row model has a stack column
        seen.add(stack)
        if stack not in stack_ids:
            problems.append(Problem(shown, line, "stack", _unknown_stack(stack, stack_ids)))
    if not table.complete or (spec.name in ("evidence.csv", "latency.csv") and not table.rows):
        return  # a stack or phase without rows may be in a refused row
    for sid in stack_ids:
        if sid not in seen:
            problems.append(
                Problem(shown, None, "", f"no rows for stack '{sid}'; every stack in report.yaml needs data")
            )
    if spec.name == "memory.csv":
        phases: dict[str, set[str]] = defaultdict(set)
        for row in table.rows:
            phases[getattr(row, "stack")].add(getattr(row, "phase"))  # noqa: B009
        for sid in stack_ids:
            for phase in ("idle", "load"):
                if sid in seen and phase not in phases[sid]:
                    problems.append(Problem(shown, None, "", f"no '{phase}' rows for stack '{sid}'"))


def _check_throughput_matrix(
    table: _Table, shown: str, environment: Environment | None, problems: list[Problem]
) -> None:
    cells: dict[tuple[str, str, int], set[str]] = defaultdict(set)
    stacks: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in table.rows:
        variant, concurrency, stack = row.variant, row.concurrency, row.stack  # type: ignore[attr-defined]
        endpoint = row.endpoint  # type: ignore[attr-defined]
        cells[(endpoint, variant, concurrency)].add(stack)
        stacks[(endpoint, variant)].add(stack)
    if table.rows and ("json", "baseline") not in stacks:
        problems.append(
            Problem(
                shown,
                None,
                "variant",
                "expected baseline rows (the variant column may be left out), found only otel rows",
            )
        )
    for endpoint, variant in sorted(k for k in stacks if k[0] != "json"):
        for stack in sorted(stacks[("json", "baseline")] - stacks[(endpoint, variant)]):
            problems.append(Problem(shown, None, "", f"no {variant} rows for stack '{stack}' on /{endpoint}"))
    for (endpoint, variant, concurrency), present in sorted(cells.items()):
        on = "" if endpoint == "json" else f" on /{endpoint}"
        for stack in sorted(stacks[(endpoint, variant)] - present):
            problems.append(
                Problem(shown, None, "", f"no {variant} rows for stack '{stack}' at concurrency {concurrency}{on}")
            )
    if environment is not None and isinstance(environment.method.concurrency, list):
        levels = {c for e, _, c in cells if e == "json"}
        declared = set(environment.method.concurrency)
        if levels and levels != declared:
            problems.append(
                Problem(
                    shown,
                    None,
                    "concurrency",
                    f"expected the levels listed in environment.yaml method.concurrency "
                    f"({', '.join(map(str, sorted(declared)))}), found {', '.join(map(str, sorted(levels)))}",
                )
            )


def _frame(table: _Table, spec: CsvSpec) -> pd.DataFrame:
    columns = spec.columns
    records = [row.model_dump() for row in table.rows]
    return pd.DataFrame.from_records(records, columns=columns)


def _unknown_stack(stack: str, stack_ids: Sequence[str]) -> str:
    return f"unknown stack '{stack}'; expected one of the ids in report.yaml: {', '.join(stack_ids)}"


def _close_column(column: str, spec: CsvSpec) -> list[str]:
    import difflib

    return difflib.get_close_matches(column, spec.columns, n=1)


def _unknown_column(column: str, allowed: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(column, allowed, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"expected only: {', '.join(allowed)}"
    return f"unknown column; {hint}"
