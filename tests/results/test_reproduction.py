from __future__ import annotations

import re
import shutil
from pathlib import Path

from report import pipeline
from report.errors import InputError
from tests.conftest import BUNDLED


def test_the_reproduction_run_is_loaded_and_compared() -> None:
    rep = pipeline.compute(pipeline.load(BUNDLED)).reproduction
    assert rep is not None
    # run A: this edition's full plan (8 December, 01:07); run B: the 21:50 run of the day before, on the same
    # machine kind
    assert (rep.a.measured_at, rep.b.measured_at) == ("2026-12-08", "2026-12-07")
    assert (rep.a.finished, rep.b.finished) == ("01:07", "21:50")
    assert (rep.a.rounds, rep.a.open_loop_runs, rep.b.rounds, rep.b.open_loop_runs) == (3, 5, 3, 5)
    assert (rep.a.duration_s, rep.b.duration_s) == (15.0, 15.0)
    # the same releases, tracing setup and tools; the knee search changed (a top-up keeps room for the rate below's)
    # and both runs had the common rate
    assert rep.method_differs == () and rep.span_changes() == () and rep.tool_changes() == ()
    assert rep.version_changes() == {}
    assert rep.a.knee_note != rep.b.knee_note and (rep.a.common_runs, rep.b.common_runs) == (5, 5)
    # run A's harness flagged drift (the calibration workload moved 36%), run B's did not
    assert len(rep.a.drift) == 1 and len(rep.b.drift) == 0
    tp = {(r.top, r.bottom): r for r in rep.ratios if r.area == "throughput"}
    assert round(tp[("bun", "fastapi")].a, 2) == 14.22 and round(tp[("bun", "fastapi")].b, 2) == 10.28
    # startup FastAPI ÷ Go (35.0× against 21.4×) and throughput Bun ÷ FastAPI moved, the intervals apart; the order
    # of throughput kept with tracing (every stack tied in run A) did not hold
    moved = [(r.area, r.top, r.bottom) for r in rep.ratios if not r.held]
    assert moved == [("startup", "fastapi", "go"), ("throughput", "bun", "fastapi")]
    assert rep.rankings_held() == {"startup": True, "memory": True, "throughput": True, "kept": False}
    assert len(rep.ratios) == 9


def test_a_run_b_on_older_releases_is_named_on_the_glance_and_in_the_text(tmp_path: Path) -> None:
    """Review 10: where run B measured a stack on other releases, the glance and the Reproducibility text say so
    (here run B's FastAPI line names CPython 3.13.0, as the 7 December 12:41 run's did)."""
    data = tmp_path / "data"
    shutil.copytree(BUNDLED, data)
    env = data / "benchmarks" / "reproduction" / "environment.yaml"
    text = env.read_text(encoding="utf-8")
    assert "CPython 3.14.7 (PGO+LTO)" in text
    env.write_text(text.replace("CPython 3.14.7 (PGO+LTO)", "CPython 3.13.0"), encoding="utf-8")
    results = pipeline.compute(pipeline.load(data))
    rep = results.reproduction
    assert rep is not None and rep.version_changes() == {"fastapi": (("CPython", "3.13.0", "3.14.7 (PGO+LTO)"),)}
    html, _ = pipeline.render(pipeline.load(data), "a4")
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "run B with older releases for FastAPI" in text
    assert "Run B used earlier releases of some components: FastAPI with CPython 3.13.0 (this edition 3.14.7" in text


def test_the_reproduction_is_validated_like_the_shipped_run(data_dir: Path) -> None:
    repro = data_dir / "benchmarks" / "reproduction"
    repro.mkdir(parents=True, exist_ok=True)
    for f in (BUNDLED / "benchmarks" / "reproduction").iterdir():
        (repro / f.name).write_bytes(f.read_bytes())
    lines = (repro / "startup.csv").read_text(encoding="utf-8").splitlines()
    stack, run, _ = lines[5].split(",")
    lines[5] = f"{stack},{run},abc"
    (repro / "startup.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        pipeline.load(data_dir)
    except InputError as exc:
        found = [str(p) for p in exc.problems()]
    else:
        raise AssertionError("a bad reproduction file must stop the build")
    assert any(
        p.endswith("benchmarks/reproduction/startup.csv:6: startup_ms: expected a number, found 'abc'") for p in found
    ), found


def test_a_run_of_another_method_is_named_not_hidden() -> None:
    from report.results.reproduction import Reproduction, RunInfo

    def info(go: str, bun: str) -> RunInfo:
        return RunInfo("cpu", "2026-12-06", 3, 3, 5, (("bun", bun), ("go", go)))

    same = Reproduction(info("go1.27.3", "bun 1.4.5"), info("go1.27.3", "bun 1.4.5"), ())
    other = Reproduction(info("go1.27.3", "bun 1.4.5"), info("go1.26.8", "bun 1.4.5"), ())
    assert same.method_differs == () and other.method_differs == ("go",)


def test_a_run_that_differs_only_in_version_numbers_lists_them() -> None:
    from report.results.reproduction import Reproduction, RunInfo

    def info(bun: str, go: str) -> RunInfo:
        return RunInfo("cpu", "2026-12-06", 3, 3, 5, (("bun", bun), ("go", go)))

    a = info("bun 1.4.5, Hono 4.13.23 on Bun.serve; exporter-trace-otlp-proto 0.301.2 (OTLP)", "go1.27.3 net/http")
    b = info("bun 1.4.5, Hono 4.13.19 on Bun.serve; exporter-trace-otlp-proto 0.301.1 (OTLP)", "go1.27.3 net/http")
    assert Reproduction(a, b, ()).version_changes() == {
        "bun": (("Hono", "4.13.19", "4.13.23"), ("exporter-trace-otlp-proto", "0.301.1", "0.301.2"))
    }
    # another tracing setup is more than a version number: no short list
    other = info("bun 1.4.5, Hono 4.13.19 on Bun.serve; another exporter (OTLP)", "go1.27.3 net/http")
    assert Reproduction(a, other, ()).version_changes() is None
    assert Reproduction(a, a, ()).version_changes() == {}
    # a new interpreter whose line also says how it was compiled is still a version change, named with its build
    py_a = info("fastapi 0.165.0, CPython 3.14.7 (PGO+LTO); asyncpg 0.32.0", "go1.27.3 net/http")
    py_b = info("fastapi 0.165.0, CPython 3.13.0; asyncpg 0.32.0", "go1.27.3 net/http")
    assert Reproduction(py_a, py_b, ()).version_changes() == {"bun": (("CPython", "3.13.0", "3.14.7 (PGO+LTO)"),)}


def test_the_tool_versions_note_reads_as_pairs() -> None:
    from report.results.reproduction import tools_of

    note = "Tool versions: wrk debian/4.1.0-3+b2; oha 1.16.0; Python 3.11.7 (harness); node v26.12.1; npm 12.2.3"
    assert dict(tools_of(note)) == {
        "wrk": "debian/4.1.0-3+b2",
        "oha": "1.16.0",
        "Python": "3.11.7",
        "node": "v26.12.1",
        "npm": "12.2.3",
    }
    assert tools_of("Tool versions: wrk; oha not found") == () and tools_of("") == ()


def test_a_ranking_holds_only_when_the_best_stays_ahead_and_the_others_keep_their_order() -> None:
    from report.results.reproduction import Ratio, Reproduction, RunInfo

    info = RunInfo("cpu", "2026-12-06", 3, 3, 5)

    def ratio(area: str, top: str, bottom: str, a: float, b: float) -> Ratio:
        return Ratio(area, top, bottom, a, a * 0.9, a * 1.1, b, b * 0.9, b * 1.1)

    rep = Reproduction(
        info,
        info,
        (
            # startup, against Go: FastAPI 30× and Bun 2× here, 50× and 3× there: the order holds, the sizes move
            ratio("startup", "fastapi", "go", 30.0, 50.0),
            ratio("startup", "bun", "go", 2.0, 3.0),
            # throughput against Bun: Go 1.3× here but 0.9× there (Go ahead of Bun): the best changed
            ratio("throughput", "bun", "go", 1.3, 0.9),
            ratio("throughput", "bun", "fastapi", 9.0, 13.0),
            # kept with tracing: Go keeps more than Bun here, less there
            ratio("kept", "go", "", 0.40, 0.30),
            ratio("kept", "bun", "", 0.35, 0.38),
        ),
    )
    assert rep.rankings_held() == {"startup": True, "throughput": False, "kept": False}
    move = rep.largest_move()
    assert move is not None and (move.area, move.top, move.bottom) == ("startup", "fastapi", "go")  # 30 → 50: ×1.67
    assert Reproduction(info, info, ()).largest_move() is None


def test_the_run_on_another_machine_is_loaded_as_run_c_and_its_earlier_method_named() -> None:
    results = pipeline.compute(pipeline.load(BUNDLED))
    port = results.portability
    assert port is not None and results.reproduction is not None
    # the harness's full plan on another Intel Xeon VM of the same kind, on 6 December, at an earlier commit
    assert port.b.measured_at == "2026-12-06" and port.b.open_loop_runs == 5
    assert set(port.method_differs) == {"go", "bun", "fastapi"}  # Go 1.26.8, FastAPI 3 spans per request, ...
    assert len(port.ratios) == len(results.reproduction.ratios)
    # what the reference run's README states: the rankings held on startup and /json throughput; the kept share
    # did not, since run C's FastAPI exported 3 spans per request against this edition's 1
    assert port.rankings_held() == {"startup": True, "memory": True, "throughput": True, "kept": False}
    assert [(sid, round(c), round(a)) for sid, c, a in port.span_changes()] == [("fastapi", 3, 1)]
    move = port.largest_move()
    assert move is not None and (move.area, move.top) == ("kept", "fastapi")


def test_run_c_names_the_runtimes_it_measured_on_older_releases() -> None:
    """Review 12: run C's earlier method came with older runtimes (an interpreter's release alone moves startup), so
    they are named; Bun's release was the same."""
    port = pipeline.compute(pipeline.load(BUNDLED)).portability
    assert port is not None
    assert port.runtime_changes() == (("Go", "1.26.8", "1.27.3"), ("CPython", "3.11.7", "3.14.7"))
    html, _ = pipeline.render(pipeline.load(BUNDLED), "a4")
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    said = "Its runtimes were older too: Go 1.26.8 (this edition 1.27.3) and CPython 3.11.7 (this edition 3.14.7)"
    assert said in text
