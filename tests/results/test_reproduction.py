from __future__ import annotations

from pathlib import Path

from report import pipeline
from report.errors import InputError
from tests.conftest import BUNDLED


def test_the_reproduction_run_is_loaded_and_compared() -> None:
    rep = pipeline.compute(pipeline.load(BUNDLED)).reproduction
    assert rep is not None
    # run A: this edition's full plan on 7 December; run B: the full plan of 6 December on the same machine kind
    assert (rep.a.measured_at, rep.b.measured_at) == ("2026-12-07", "2026-12-06")
    assert (rep.a.rounds, rep.a.open_loop_runs, rep.b.rounds, rep.b.open_loop_runs) == (3, 5, 3, 5)
    assert (rep.a.duration_s, rep.b.duration_s) == (15.0, 10.0)  # closed-loop runs lengthened to TechEmpower's 15 s
    # the same toolchains; only some components' releases moved (Hono, the JS exporter, uvicorn)
    assert rep.method_differs == ("bun", "fastapi")
    assert rep.version_changes() == {
        "bun": (("Hono", "4.13.19", "4.13.23"), ("exporter-trace-otlp-proto", "0.301.1", "0.301.2")),
        "fastapi": (("uvicorn", "0.54.0", "0.55.0"),),
    }
    # the harness's own tools: run B installed packages with the machine's Node 20 and npm 11
    assert rep.tool_changes() == (("node", "v20.20.2", "v26.12.1"), ("npm", "11.19.1", "12.2.3"))
    # run B's own harness flagged a startup drift (Bun's last runs slower): the Reproducibility text repeats it
    assert rep.a.drift == () and len(rep.b.drift) == 1 and rep.b.drift[0].startswith("Drift in startup time of bun")
    tp = {(r.top, r.bottom): r for r in rep.ratios if r.area == "throughput"}
    assert round(tp[("bun", "fastapi")].a, 2) == 11.79 and round(tp[("bun", "fastapi")].b, 2) == 11.58
    assert all(r.held for r in rep.ratios) and len(rep.ratios) == 9


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
