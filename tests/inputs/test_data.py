"""Benchmark loading: encodings, line endings, quoting, column order, and the cross-file rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from report.inputs.data import EvidenceRows, load_benchmarks, load_benchmarks_and_evidence

STACKS = ["go", "bun", "fastapi"]


def _rewrite(path: Path, transform: str) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if transform == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    elif transform == "crlf":
        path.write_bytes("\r\n".join(lines).encode("utf-8") + b"\r\n")
    elif transform == "quoted":
        path.write_text(
            "\n".join(",".join(f'"{c}"' for c in line.split(",")) for line in lines) + "\n", encoding="utf-8"
        )
    elif transform == "reordered":
        rows = [line.split(",") for line in lines]
        path.write_text("\n".join(",".join(reversed(r)) for r in rows) + "\n", encoding="utf-8")


@pytest.mark.parametrize("transform", ["bom", "crlf", "quoted", "reordered"])
def test_accepts_bom_crlf_quotes_and_any_column_order(transform: str, data_dir: Path) -> None:
    reference, _ = load_benchmarks(data_dir, "data", STACKS)
    for name in ("startup.csv", "memory.csv", "throughput.csv"):
        _rewrite(data_dir / "benchmarks" / name, transform)
    bench, problems = load_benchmarks(data_dir, "data", STACKS)
    assert problems == []
    assert bench is not None and reference is not None
    assert (
        bench.startup.sort_values(["stack", "run"])
        .reset_index(drop=True)
        .equals(reference.startup.sort_values(["stack", "run"]).reset_index(drop=True))
    )
    assert bench.throughput["requests_per_sec"].sum() == pytest.approx(reference.throughput["requests_per_sec"].sum())


def test_variant_column_is_optional_and_defaults_to_baseline(data_dir: Path) -> None:
    path = data_dir / "benchmarks" / "throughput.csv"
    lines = [line.rsplit(",", 1)[0] for line in path.read_text(encoding="utf-8").splitlines() if "otel" not in line]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bench, problems = load_benchmarks(data_dir, "data", STACKS)
    assert problems == [] and bench is not None
    assert set(bench.throughput["variant"]) == {"baseline"}


def test_blank_lines_are_ignored_and_lines_still_counted(data_dir: Path) -> None:
    path = data_dir / "benchmarks" / "startup.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "")
    lines[4] = "go,99,oops"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, problems = load_benchmarks(data_dir, "data", STACKS)
    assert [str(p) for p in problems] == ["data/benchmarks/startup.csv:5: startup_ms: expected a number, found 'oops'"]


def test_nan_and_infinity_are_not_numbers(data_dir: Path) -> None:
    path = data_dir / "benchmarks" / "startup.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("go,2,3.59", "go,2,nan").replace("go,3,4.58", "go,3,inf"),
        encoding="utf-8",
    )
    _, problems = load_benchmarks(data_dir, "data", STACKS)
    assert len(problems) == 2
    assert all("startup_ms: expected" in p.message or p.where == "startup_ms" for p in problems)


def test_memory_needs_both_phases_per_stack(data_dir: Path) -> None:
    path = data_dir / "benchmarks" / "memory.csv"
    keep = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("go,load")]
    path.write_text("\n".join(keep) + "\n", encoding="utf-8")
    _, problems = load_benchmarks(data_dir, "data", STACKS)
    assert [p.message for p in problems] == ["no 'load' rows for stack 'go'"]


def test_concurrency_levels_must_match_the_environment(data_dir: Path) -> None:
    env = data_dir / "benchmarks" / "environment.yaml"
    env.write_text(
        env.read_text(encoding="utf-8").replace("concurrency: [10, 50]", "concurrency: [10, 50, 100]"), encoding="utf-8"
    )
    _, problems = load_benchmarks(data_dir, "data", STACKS)
    assert [p.message for p in problems] == [
        "expected the levels listed in environment.yaml method.concurrency (10, 50, 100), found 10, 50"
    ]


def test_evidence_file_is_optional_and_validated_when_present(data_dir: Path) -> None:
    bench, problems = load_benchmarks(data_dir, "data", STACKS)
    assert problems == [] and bench is not None
    (data_dir / "benchmarks" / "evidence.csv").write_text(
        "stack,measure,value,unit\ngo,artifact_mb,4.6,MB\ngo,artifact_mb,4.7,MB\nrust,artifact_mb,2,MB\n",
        encoding="utf-8",
    )
    _, problems = load_benchmarks(data_dir, "data", STACKS)
    assert sorted(str(p) for p in problems) == [
        "data/benchmarks/evidence.csv: no rows for stack 'bun'; every stack in report.yaml needs data",
        "data/benchmarks/evidence.csv: no rows for stack 'fastapi'; every stack in report.yaml needs data",
        "data/benchmarks/evidence.csv:3: duplicate row for stack=go, measure=artifact_mb; the same row is on line 2",
        "data/benchmarks/evidence.csv:4: stack: unknown stack 'rust'; expected one of the ids in report.yaml: "
        "go, bun, fastapi",
    ]


def test_a_bad_row_is_left_out_and_the_rows_around_it_are_still_checked(data_dir: Path) -> None:
    path = data_dir / "benchmarks" / "startup.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    go = [i for i, line in enumerate(lines) if line.startswith("go,")]
    for i in go:  # every go row unreadable: go's absence follows from them, and is not reported again
        lines[i] = lines[i].rsplit(",", 1)[0] + ",fast"
    bun = next(line for line in lines if line.startswith("bun,"))
    lines.append(bun)  # a duplicate among the valid rows is its own problem, found all the same
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bench, problems = load_benchmarks(data_dir, "data", STACKS)
    assert bench is None
    first_bun = lines.index(bun) + 1
    assert [str(p) for p in problems] == [
        *(f"data/benchmarks/startup.csv:{i + 1}: startup_ms: expected a number, found 'fast'" for i in go),
        f"data/benchmarks/startup.csv:{len(lines)}: duplicate row for stack=bun, run=1; the same row is on line "
        f"{first_bun}",
    ]


def test_evidence_rows_that_are_valid_are_known_when_others_are_not(data_dir: Path) -> None:
    (data_dir / "benchmarks" / "evidence.csv").write_text(
        "stack,measure,value,unit\ngo,size,4.6,MiB\nbun,size,many,MiB\nfastapi,size,45,MiB\n", encoding="utf-8"
    )
    bench, evidence, problems = load_benchmarks_and_evidence(data_dir, "data", STACKS)
    assert bench is None
    assert [str(p) for p in problems] == ["data/benchmarks/evidence.csv:3: value: expected a number, found 'many'"]
    assert evidence == EvidenceRows({("go", "size"): (4.6, "MiB"), ("fastapi", "size"): (45.0, "MiB")}, False)
    (data_dir / "benchmarks" / "evidence.csv").unlink()  # sample data: no evidence, and that is all of it
    assert load_benchmarks_and_evidence(data_dir, "data", STACKS)[1] == EvidenceRows({}, True)
    (data_dir / "benchmarks" / "evidence.csv").write_text("stack;measure\n", encoding="utf-8")
    assert load_benchmarks_and_evidence(data_dir, "data", STACKS)[1] is None  # unreadable: nothing is known


HOSTS_YAML = """hosts:
  service: {address: 10.0.1.11, ssh: admin@10.0.1.11, arch: aarch64, cpu: Neoverse-V1, cores: 2, memory_gb: 7.6,
            os: Debian 12, kernel: 6.1.0, clocksource: arch_sys_counter, tools: {python3: Python 3.11.2},
            shared_with: [], calibration: [{at: before startup, ms: 81.2}]}
  load: {address: 10.0.1.12, ssh: admin@10.0.1.12, arch: aarch64, cpu: Neoverse-V1, cores: 4, kernel: 6.1.0,
         clocksource: arch_sys_counter, tools: {wrk: wrk 4.1.0}, shared_with: [database]}
  database: {address: 10.0.1.12, ssh: admin@10.0.1.12, arch: aarch64, cpu: Neoverse-V1, cores: 4, kernel: 6.1.0,
             clocksource: arch_sys_counter, shared_with: [load]}
"""


def test_a_multi_host_run_s_hosts_are_read_and_checked(data_dir: Path) -> None:
    env = data_dir / "benchmarks" / "environment.yaml"
    plain = env.read_text(encoding="utf-8")
    bench, problems = load_benchmarks(data_dir, "data", STACKS)
    assert problems == [] and bench is not None and bench.environment.hosts is None  # optional
    env.write_text(plain + HOSTS_YAML, encoding="utf-8")
    bench, problems = load_benchmarks(data_dir, "data", STACKS)
    assert problems == [] and bench is not None and bench.environment.hosts is not None
    assert bench.environment.hosts.load.shared_with == ["database"]
    assert bench.environment.hosts.service.calibration[0].ms == 81.2
    bad = HOSTS_YAML.replace("cores: 4, kernel", "cores: 0, kernel", 1).replace(
        "shared_with: [load]", "shared_with: [db]"
    )
    env.write_text(plain + bad, encoding="utf-8")
    _, problems = load_benchmarks(data_dir, "data", STACKS)
    n = len(plain.splitlines())  # the hosts section's lines follow the file's own
    assert [str(p) for p in problems] == [
        f"data/benchmarks/environment.yaml:{n + 5}: hosts.load.cores: expected a number greater than 0, found '0'",
        f"data/benchmarks/environment.yaml:{n + 8}: hosts.database.shared_with[0]: "
        "expected one of 'service', 'load' or 'database', found 'db'",
    ]
