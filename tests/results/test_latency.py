"""latency.csv and the /db rows: validation messages, sustainable-throughput arithmetic, the report's new sections."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from report.inputs.data import Benchmarks
from report.pipeline import check, load, render
from report.results.latency import LatencyStats, RatePoint, Series, compute, peaks
from report.results.stats import spread
from report.results.sustained import Knee, Run
from tests.conftest import ROOT, CliResult

HEADER = (
    "stack,variant,endpoint,offered_rps,run,achieved_rps,latency_p50_ms,latency_p90_ms,latency_p99_ms,"
    "latency_p999_ms,errors\n"
)
STACKS = ("go", "bun", "fastapi")


# the columns of the latency.csv rows the helpers below build
_ROW_COLUMNS = [
    "stack", "variant", "endpoint", "offered_rps", "run", "achieved_rps", "latency_p50_ms", "latency_p90_ms",
    "latency_p99_ms", "latency_p999_ms", "errors", "load_limited", "requests", "phase",
]  # fmt: skip


def _ladder_rows(endpoints: tuple[str, ...] = ("json",), variants: tuple[str, ...] = ("baseline", "otel")) -> str:
    rows = []
    for endpoint in endpoints:
        for variant in variants:
            for stack in STACKS:
                for rate, p99 in ((1000, 2.0), (2000, 4.0), (4000, 40.0)):
                    for run in (1, 2):
                        rows.append(f"{stack},{variant},{endpoint},{rate},{run},{rate - 1},0.5,1.0,{p99},{p99 * 2},0")
    return "\n".join(rows) + "\n"


def _new_shape(endpoints: tuple[str, ...] = ("json",)) -> str:
    """latency.csv as the harness writes it since issue 19: 5 runs per rate, request counts, schedule readings."""
    rows = [HEADER.strip() + ",load_limited,requests,duration_s,generator_cpu_pct,runqueue_wait_pct,phase"]
    for endpoint in endpoints:
        for variant in ("baseline", "otel"):
            for stack in STACKS:
                for rate, p99 in ((1000, 2.0), (2000, 4.0), (4000, 40.0)):
                    for run in range(1, 6):
                        rows.append(
                            f"{stack},{variant},{endpoint},{rate},{run},{rate - 1},0.5,1.0,{p99},{p99 * 2},0,"
                            f"0,{rate * 10},10,20.0,1.0,knee"
                        )
    return "\n".join(rows) + "\n"


def _db_throughput(d: Path) -> None:
    with (d / "benchmarks" / "throughput.csv").open("a", encoding="utf-8") as f:
        for variant in ("baseline", "otel"):
            for stack, rps in (("go", 9000.0), ("bun", 7000.0), ("fastapi", 1500.0)):
                for run in (1, 2, 3):
                    f.write(f"{stack},50,{run},{rps + run},1.0,2.0,5.0,0,{variant},db\n")


@pytest.fixture
def in_copy(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Beside a private copy of the sample data, with an endpoint column added to throughput.csv."""
    path = data_dir / "benchmarks" / "throughput.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ",endpoint", *(line + ",json" for line in lines[1:])]) + "\n")
    monkeypatch.chdir(data_dir.parent)
    return data_dir


def _latency(d: Path, body: str) -> None:
    (d / "benchmarks" / "latency.csv").write_text(HEADER + body, encoding="utf-8")


def test_older_folders_without_latency_or_endpoint_stay_valid(data_dir: Path) -> None:
    inputs = load(data_dir)
    assert len(inputs.benchmarks.latency) == 0
    assert set(inputs.benchmarks.throughput["endpoint"]) == {"json"}
    results = check(data_dir)
    assert results.latency is not None and results.latency.endpoints == []


def test_a_complete_ladder_and_db_rows_are_valid(in_copy: Path, run_cli: Callable[..., CliResult]) -> None:
    _db_throughput(in_copy)
    _latency(in_copy, _ladder_rows(("json", "db")))
    # the two sections' copy is needed once their data is there
    assert run_cli("check", "--data", "data").err == (
        "error: data/copy/database.md: file not found; every section needs its copy file\n"
        "error: data/copy/latency.md: file not found; every section needs its copy file\n"
        "lead-magnet: 2 problems found; nothing was written.\n"
    )
    for name in ("latency.md", "database.md"):
        shutil.copy(ROOT / "data" / "copy" / name, in_copy / "copy" / name)
    result = run_cli("check", "--data", "data")
    assert (result.code, result.err) == (0, "")


BAD: list[tuple[str, str, str]] = [
    (
        "percentiles-out-of-order",
        "go,baseline,json,1000,1,999,0.5,1.0,4.0,3.0,0\n",
        "error: data/benchmarks/latency.csv:2: latency_p999_ms: expected at least latency_p99_ms (4), found 3\n",
    ),
    (
        "unknown-endpoint-and-negative-errors",
        "go,baseline,xml,1000,1,999,0.5,1.0,4.0,5.0,-1\n",
        "error: data/benchmarks/latency.csv:2: endpoint: expected one of 'json' or 'db', found 'xml'\n"
        "error: data/benchmarks/latency.csv:2: errors: expected a number of at least 0, found '-1'\n",
    ),
    (
        "rate-not-a-number",
        "go,baseline,json,fast,1,999,0.5,1.0,4.0,5.0,0\n",
        "error: data/benchmarks/latency.csv:2: offered_rps: expected a number, found 'fast'\n",
    ),
]


@pytest.mark.parametrize(("case", "body", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_rows_name_file_line_and_column(
    case: str, body: str, expected: str, in_copy: Path, run_cli: Callable[..., CliResult]
) -> None:
    _latency(in_copy, _ladder_rows() + body)
    result = run_cli("check", "--data", "data")
    count = expected.count("\n")
    line = len(_ladder_rows().splitlines()) + 2
    expected = expected.replace("latency.csv:2:", f"latency.csv:{line}:")
    assert (result.code, result.out) == (1, "")
    assert (
        result.err == expected + f"lead-magnet: {count} problem{'s' if count > 1 else ''} found; nothing was written.\n"
    )


def test_load_limited_is_an_optional_flag(in_copy: Path, run_cli: Callable[..., CliResult]) -> None:
    rows = _ladder_rows().splitlines()
    body = "\n".join([*(r + ",0" for r in rows[:-1]), rows[-1] + ",1", "go,baseline,json,8000,1,999,0.5,1,4,5,0,yes"])
    (in_copy / "benchmarks" / "latency.csv").write_text(HEADER.strip() + ",load_limited\n" + body + "\n")
    result = run_cli("check", "--data", "data")
    assert result.err == (
        f"error: data/benchmarks/latency.csv:{len(rows) + 2}: load_limited: expected a whole number, found 'yes'\n"
        "lead-magnet: 1 problem found; nothing was written.\n"
    )


def test_every_cross_file_problem_at_once(in_copy: Path, run_cli: Callable[..., CliResult]) -> None:
    body = _ladder_rows(variants=("baseline",))
    body = body.replace("fastapi,baseline,json,4000,1,3999", "fastapi,baseline,json,4000,1,5000")
    body += "go,otel,json,1000,1,999,0.5,1.0,2.0,3.0,0\n"  # only one stack traced, at one rate
    body += "go,baseline,db,1000,1,999,0.5,1.0,2.0,3.0,0\ngo,baseline,db,2000,1,1999,0.5,1.0,2.0,3.0,0\n"
    _latency(in_copy, body)
    result = run_cli("check", "--data", "data")
    shown = "data/benchmarks/latency.csv"
    assert result.err.splitlines() == [
        f"error: {shown}: no baseline rows for stack 'bun' on /db",
        f"error: {shown}: no baseline rows for stack 'fastapi' on /db",
        f"error: {shown}: no otel rows for stack 'bun' on /json",
        f"error: {shown}: no otel rows for stack 'fastapi' on /json",
        f"error: {shown}: no throughput.csv rows for go (baseline) on /db; the offered rates are shares of that "
        "closed-loop peak",
        f"error: {shown}: offered_rps: expected at least 2 offered rates for go (otel) on /json, found 1",
        f"error: {shown}:18: achieved_rps: expected at most the offered rate (4000), found 5000",
        "lead-magnet: 7 problems found; nothing was written.",
    ]


def test_throughput_endpoint_must_be_json_or_db(in_copy: Path, run_cli: Callable[..., CliResult]) -> None:
    path = in_copy / "benchmarks" / "throughput.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",json\n", ",grpc\n", 1), encoding="utf-8")
    result = run_cli("check", "--data", "data")
    assert result.err == (
        "error: data/benchmarks/throughput.csv:2: endpoint: expected one of 'json' or 'db', found 'grpc'\n"
        "lead-magnet: 1 problem found; nothing was written.\n"
    )


def test_db_rows_need_every_stack(in_copy: Path, run_cli: Callable[..., CliResult]) -> None:
    _db_throughput(in_copy)
    path = in_copy / "benchmarks" / "throughput.csv"
    kept = [line for line in path.read_text().splitlines() if not (line.startswith("bun,") and line.endswith(",db"))]
    path.write_text("\n".join(kept) + "\n")
    result = run_cli("check", "--data", "data")
    assert result.err.splitlines() == [
        "error: data/benchmarks/throughput.csv: no baseline rows for stack 'bun' on /db",
        "error: data/benchmarks/throughput.csv: no otel rows for stack 'bun' on /db",
        "lead-magnet: 2 problems found; nothing was written.",
    ]


def test_slo_is_validated(in_copy: Path, run_cli: Callable[..., CliResult]) -> None:
    with (in_copy / "report.yaml").open("a", encoding="utf-8") as f:
        f.write("latency_slo_ms:\n  json: 0\n  grpc: 5\n")
    result = run_cli("check", "--data", "data")
    lines = result.err.splitlines()
    assert any(line.endswith("latency_slo_ms.json: expected a number greater than 0, found '0'") for line in lines)
    assert any(line.endswith("latency_slo_ms.grpc: expected one of 'json' or 'db', found 'grpc'") for line in lines)


# --- sustainable throughput ------------------------------------------------------------------------------------


def _point(
    offered: float,
    p99: float,
    achieved: float | None = None,
    errors: float = 0,
    limited: bool = False,
    n: int = 5,
    requests: float = 100_000,
    p99s: tuple[float, ...] | None = None,
) -> RatePoint:
    done = offered if achieved is None else achieved
    each = p99s or (p99,) * n
    return RatePoint(
        offered=offered,
        achieved=spread([done]),
        p50=p99 / 4,
        p90=p99 / 2,
        p99=spread(list(each)),
        p999=p99 * 2,
        errors=errors,
        load_limited=limited,
        runs=tuple(Run(offered, done, v, errors, requests, not limited) for v in each),
    )


def test_sustainable_is_the_last_rate_of_an_unbroken_run_under_the_slo() -> None:
    series = Series((_point(100, 1), _point(200, 5), _point(300, 12), _point(400, 8)))
    best = series.sustainable(10)
    # 400 is under the SLO again, but only after 300 failed: a lucky point above the knee does not count
    assert best is not None and best.offered == 200
    assert series.knee(10) == Knee(200, "missed", 300) and not series.capped(10)
    # every rate passes at 12 ms: the knee lies above the ladder, so 400 is a lower bound
    assert series.knee(12) == Knee(400, "top", None) and series.capped(12)
    assert series.sustainable(0.5) is None and series.knee(0.5).end == "none"


def test_a_load_limited_rate_ends_the_walk_and_makes_the_figure_a_lower_bound() -> None:
    # the generator's core was saturated at 300: neither a pass nor a fail, so 200 is a bound
    series = Series((_point(100, 1), _point(200, 2), _point(300, 50, limited=True), _point(400, 3)))
    assert series.sustainable(10) is not None and series.sustainable(10).offered == 200  # type: ignore[union-attr]
    assert series.capped(10) and series.knee(10).end == "limited"
    # a real failure before the limited rate is a real limit
    failing = Series((_point(100, 1), _point(200, 20), _point(300, 50, limited=True)))
    assert failing.sustainable(10) is not None and not failing.capped(10)


def test_a_rate_with_errors_or_too_few_completions_is_not_sustained() -> None:
    assert _point(1000, 1, achieved=989).verdict(10) == "missed"  # under 99% completed (95% before review 15)
    assert _point(1000, 1, achieved=990).sustained(10)
    assert _point(1000, 1, errors=1).verdict(10) == "missed"
    assert _point(1000, 10).sustained(10)  # at the SLO counts


def test_five_runs_at_most_one_over_and_the_median_under() -> None:
    assert _point(1000, 0, p99s=(5, 6, 7, 8, 12)).verdict(10) == "sustained"  # one run over is allowed
    assert _point(1000, 0, p99s=(5, 6, 7, 11, 12)).verdict(10) == "missed"  # two are not
    assert _point(1000, 0, p99s=(5, 6, 7, 8)).verdict(10) == "not_established"  # four runs decide nothing good
    assert _point(1000, 0, p99s=(11, 12)).verdict(10) == "missed"  # but two misses already decide against it


def test_a_p99_from_too_few_requests_is_neither_printed_nor_a_sustained_rate() -> None:
    # 9,999 requests leave 99.99 beyond the p99: fewer than 100
    thin = _point(500, 2, requests=9_999)
    assert thin.verdict(10) == "not_established" and not thin.printable(0.99)
    enough = _point(500, 2, requests=10_000)
    assert enough.sustained(10) and enough.printable(0.99) and not enough.printable(0.999)
    # short low rates that cannot be judged do not end the walk below a sustained rate
    series = Series((_point(100, 1, requests=150), _point(1000, 2), _point(2000, 30)))
    assert series.knee(10) == Knee(1000, "missed", 2000)
    assert Series((_point(100, 1, requests=150), _point(2000, 30))).knee(10).end == "unknown"


def test_a_lower_bound_is_never_ranked_and_gets_no_best_dot() -> None:
    from report.results.latency import LatencyStats
    from report.view import latency as latency_view
    from report.view import sustained as sustained_view

    measured = Series((_point(1000, 2), _point(1040, 30)))  # a knee narrowed to 4 %
    bound = Series((_point(1000, 2), _point(2000, 3, limited=True)))
    slo = {"json": 10.0, "db": 25.0}
    lat = LatencyStats(slo, {("json", "baseline", "go"): measured, ("json", "baseline", "bun"): bound}, {}, ["json"])
    assert not lat.rankable("json", "baseline", ["go", "bun"])
    assert sustained_view.scorecard_cells(lat, "bun") == [{"text": "≥ 1,000", "win": False}]
    assert sustained_view.scorecard_cells(lat, "go") == [{"text": "1,000", "win": False}]
    assert latency_view._rate(lat, "json", "baseline", "bun") == (
        "at least 1,000 req/s (the load generator fell behind at 2,000 req/s, this machine's limit)"
    )
    both = LatencyStats(
        slo, {("json", "baseline", "go"): measured, ("json", "baseline", "bun"): measured}, {}, ["json"]
    )
    assert both.rankable("json", "baseline", ["go", "bun"])
    assert sustained_view.scorecard_cells(both, "go") == [{"text": "1,000", "win": True}]
    # a knee left wider than 5 % is marked, and a rate it might reach keeps the other from the best dot
    wide = Series((_point(800, 2), _point(2000, 30)))
    mixed = LatencyStats(slo, {("json", "baseline", "go"): measured, ("json", "baseline", "bun"): wide}, {}, ["json"])
    assert sustained_view.scorecard_cells(mixed, "bun") == [{"text": "800†", "win": False}]
    assert sustained_view.scorecard_cells(mixed, "go") == [{"text": "1,000", "win": False}]


def test_medians_over_runs_and_the_closed_loop_peak(data_dir: Path) -> None:
    bench = load(data_dir).benchmarks
    lat = pd.DataFrame.from_records(
        [
            ("go", "baseline", "json", rate, run, rate, 0.1, 0.2, p99, p99 + 1, 0, 0)
            for rate, runs in ((1000.0, (2.0, 9.0, 30.0)), (2000.0, (11.0, 12.0, 3.0)))
            for run, p99 in enumerate(runs, 1)
        ],
        columns=[*HEADER.strip().split(","), "load_limited"],
    )
    stats = _with_latency(bench, lat)
    series = stats.series[("json", "baseline", "go")]
    assert [p.p99.median for p in series.points] == [9.0, 11.0]
    assert (series.points[0].p99.min, series.points[0].p99.max, series.runs) == (2.0, 30.0, 3)
    # three runs (and no request counts) establish no sustained rate; two of three over the SLO at 2,000 miss
    assert stats.knee("json", "baseline", "go") == Knee(None, "unknown", 2000.0)
    assert stats.sustainable("json", "baseline", "go") == 0.0
    assert stats.sustainable("json", "otel", "go") is None
    tp = bench.throughput
    top = tp.loc[(tp["stack"] == "go") & (tp["variant"] == "baseline")].groupby("concurrency")["requests_per_sec"]
    assert peaks(tp)[("json", "baseline", "go")].rps.median == max(top.median())


# --- the report's sections -------------------------------------------------------------------------------------


@pytest.mark.slow  # draws every chart three times
def test_sections_appear_only_with_their_data(in_copy: Path) -> None:
    html, charts = render(load(in_copy), "a4")
    assert 'id="latency-under-load"' not in html and 'id="database"' not in html
    assert not any(key.startswith(("latency-load", "db-")) for key in charts)
    _db_throughput(in_copy)
    (in_copy / "benchmarks" / "latency.csv").write_text(_new_shape(("json", "db")), encoding="utf-8")
    for name in ("latency.md", "database.md"):
        shutil.copy(ROOT / "data" / "copy" / name, in_copy / "copy" / name)
    html, charts = render(load(in_copy), "a4")
    assert 'id="latency-under-load"' in html and 'id="database"' in html
    assert {"latency-load-json", "latency-load-db", "db-throughput"} <= set(charts)
    # every stack sustains 2,000 req/s (p99 4 ms) and not 4,000 (p99 40 ms) under the 10 ms SLO on /json
    assert html.count('<td class="num">2,000†</td>') >= 3  # 4,000 missed: the knee lies between, wider than 5%
    # the scorecard says which endpoint each figure comes from
    assert "Throughput, /json at" in html and "Sustainable, /json p99 ≤ 10 ms" in html
    svg, _chart = charts["latency-load-json"]
    again, _ = render(load(in_copy), "a4")[1]["latency-load-json"]
    assert svg == again and b"SLO: p99 10 ms" in svg


def test_db_headline_and_sustainable_list_follow_the_tie_rule() -> None:
    """The /db lead is a tie when the runs' ranges overlap, and sustainable rates are listed, never ranked."""
    from report.results.latency import LatencyStats, Peak
    from report.results.stats import Spread
    from report.view import latency as latency_view

    def spread(lo: float, mid: float, hi: float) -> Spread:
        return Spread(median=mid, q1=lo, q3=hi, min=lo, max=hi, n=3, values=(lo, mid, hi))

    names = {"go": "Go", "bun": "Bun", "fastapi": "FastAPI"}
    peaks = {
        ("db", "baseline", "go"): Peak(50, spread(8400, 8600, 8700), 8.7),
        ("db", "baseline", "bun"): Peak(50, spread(8300, 8480, 8650), 13.5),
        ("db", "baseline", "fastapi"): Peak(50, spread(1800, 1820, 1850), 21.5),
    }
    lat = LatencyStats(slo_ms={"json": 10.0, "db": 25.0}, series={}, peaks=peaks, endpoints=[])
    lead, gap = latency_view.db_claim(lat, ["go", "bun", "fastapi"], names) or ("", "")
    assert lead == "Go and Bun serve the most requests on /db (within confidence intervals or drift: a tie)"
    assert gap == "4.7× as many as FastAPI"  # each leader: 8,600 and 8,480 ÷ 1,820, both 4.7× when printed
    apart = dict(peaks)
    apart[("db", "baseline", "bun")] = Peak(50, spread(5000, 5100, 5200), 13.5)
    lat = LatencyStats(slo_ms={"json": 10.0, "db": 25.0}, series={}, peaks=apart, endpoints=[])
    lead, _ = latency_view.db_claim(lat, ["go", "bun", "fastapi"], names) or ("", "")
    assert lead == "Go serves the most requests on /db"


def test_a_closed_loop_figure_set_by_a_saturated_wrk_is_flagged_as_a_bound() -> None:
    from report.results.latency import wrk_bounds

    rows = [("json", "baseline", 100, "bun", run, 97_000.0, cpu) for run, cpu in ((1, 95.0), (2, 92.0), (3, 60.0))] + [
        ("json", "baseline", 100, "go", run, 71_000.0, 70.0) for run in (1, 2, 3)
    ]
    tp = pd.DataFrame.from_records(
        rows, columns=["endpoint", "variant", "concurrency", "stack", "run", "requests_per_sec", "generator_cpu_pct"]
    )
    assert wrk_bounds(tp) == {("json", "baseline", 100, "bun")}  # median 92 %: wrk set Bun's figure
    assert wrk_bounds(tp.drop(columns="generator_cpu_pct")) == set()  # older files: nothing known
    assert peaks(tp.assign(endpoint="db", latency_p99_ms=1.0))[("db", "baseline", "bun")].bound
    # wrk itself at 70 %, but its core 95 % busy (on traced runs the span receiver sits beside it): a bound too
    busy = tp.assign(generator_cpu_pct=70.0, load_core_busy_pct=[95.0, 91.0, 60.0, 80.0, 85.0, 89.9])
    assert wrk_bounds(busy) == {("json", "baseline", 100, "bun")}
    assert peaks(busy.assign(latency_p99_ms=1.0))[("json", "baseline", "bun")].bound


def test_no_chart_where_no_p99_came_from_enough_requests(data_dir: Path) -> None:
    from report.results.latency import LatencyStats
    from report.view import latency as latency_view

    cfg = load(data_dir).config
    thin = Series((_point(100, 1, requests=500), _point(200, 30, requests=900)))
    wide = Series((_point(100, 1, requests=500), _point(20_000, 3)))
    series = {("json", "baseline", s): thin for s in cfg.stack_ids}
    lat = LatencyStats({"json": 10.0, "db": 25.0}, series, {}, ["json"])
    index = {s: i for i, s in enumerate(cfg.stack_ids)}
    assert latency_view.chart_jobs(cfg, lat, index) == []
    series[("json", "baseline", cfg.stack_ids[0])] = wide
    (job,) = latency_view.chart_jobs(cfg, LatencyStats({"json": 10.0, "db": 25.0}, series, {}, ["json"]), index)
    # only the printable point is drawn: 20,000 req/s; the 100 req/s p99 from 500 requests is left out
    assert job.args[1] == ((20_000,), (), ())


def test_wrk_load_is_its_busiest_run_per_endpoint_and_unknown_for_older_files() -> None:
    from report.results.latency import wrk_load

    tp = pd.DataFrame.from_records(
        [
            ("json", 60.0, 70.0),
            ("json", 72.9, 81.0),
            ("db", 40.0, 88.5),
            ("db", 41.0, 60.0),
        ],
        columns=["endpoint", "generator_cpu_pct", "load_core_busy_pct"],
    )
    assert wrk_load(tp) == {"json": (72.9, 81.0), "db": (41.0, 88.5)}
    assert wrk_load(tp.drop(columns="load_core_busy_pct")) == {}  # written before issue 19: nothing known


def test_the_methodology_prints_wrks_busiest_run_and_how_many_figures_it_bounded() -> None:
    from report.results.latency import LatencyStats
    from report.view.sustained import method_facts

    env = SimpleNamespace(method=SimpleNamespace(db_placement="split", open_loop=None))
    lat = LatencyStats(
        slo_ms={"json": 10.0}, series={}, peaks={}, endpoints=[], wrk_load={"json": (72.9, 81.0), "db": (41.0, 88.5)}
    )
    said = method_facts(env, lat)["generator.wrk"]
    assert "at most 73% of its core" in said and "at most 89% busy" in said and said.endswith("none did.")
    bounded = LatencyStats(
        slo_ms={"json": 10.0},
        series={},
        peaks={},
        endpoints=[],
        wrk_bounds=frozenset({("json", "baseline", 100, "bun")}),
        wrk_load={"json": (95.0, 97.0)},
    )
    assert method_facts(env, bounded)["generator.wrk"].endswith("1 did.")
    unrecorded = LatencyStats(slo_ms={}, series={}, peaks={}, endpoints=[])
    assert "not recorded" in method_facts(env, unrecorded)["generator.wrk"]


def _phased_rows() -> pd.DataFrame:
    """One series: 100 req/s passed on the short ladder runs alone; 200 passed them too, but its longer knee runs
    missed; 300 missed on the ladder."""
    rows = []
    for rate, phase, p99s in (
        (100, "ladder", (5.0,) * 5),
        (200, "ladder", (6.0,) * 5),
        (200, "knee", (15.0, 16.0)),
        (300, "ladder", (30.0,) * 5),
    ):
        for run, p99 in enumerate(p99s, start=1):
            seconds = 1.5 if phase == "ladder" else 10.0
            rows.append(
                ("go", "baseline", "json", rate, run, float(rate), p99 / 4, p99 / 2, p99, p99 * 2, 0, 0,
                 rate * seconds * 100, phase)
            )  # fmt: skip
    return pd.DataFrame.from_records(rows, columns=_ROW_COLUMNS)


def test_a_rate_from_short_runs_alone_is_marked_and_the_longer_runs_misses_are_counted() -> None:
    from report.results.latency import LatencyStats, rate_points
    from report.view.sustained import SHORT_MARK, cell, rate_cell, short_note

    points = rate_points(_phased_rows())
    by_rate = {p.offered: p for p in points}
    assert [p.phase for p in points] == ["ladder", "knee", "ladder"]
    assert by_rate[200].set_aside == 5 and len(by_rate[200].ladder_runs) == 5 and by_rate[200].p99.n == 2
    series = Series(points)
    assert series.knee(10) == Knee(100, "missed", 200)  # the knee runs alone judge 200
    assert [p.offered for p in series.short_missed(10)] == [200]
    lat = LatencyStats(slo_ms={"json": 10.0}, series={("json", "baseline", "go"): series}, peaks={}, endpoints=["json"])
    assert lat.short_only("json", "baseline", "go") and lat.short_vs_knee() == (1, 1)
    assert rate_cell(lat, "json", "baseline", "go") == "100†" + SHORT_MARK
    assert cell(series.knee(10)) == "100†"  # without the flag: no mark
    note = short_note(lat, "json", ["go"], {"go": "Go"})
    assert note.startswith(f"{SHORT_MARK} From the short ladder runs alone (Go)") and "of the one rate measured" in note
    # a file without the phase column (before the knee search) says nothing about run lengths: no mark
    bare = Series(rate_points(_phased_rows().query("phase == 'ladder'").drop(columns="phase")))
    assert all(p.phase == "" and not p.short_only for p in bare.points)


def test_a_series_with_no_rate_established_names_the_rate_that_passed_too_few_runs() -> None:
    points = (
        _point(50, 5, requests=500),  # too few requests to read a p99: not established
        _point(70, 5, n=3),  # passed its 3 knee runs: too few to count
        _point(90, 30),  # missed
    )
    series = Series(points)
    assert series.knee(10).rate is None and series.knee(10).end == "unknown"
    top = series.provisional(10)
    assert top is not None and top.offered == 70


def _with_latency(bench: Benchmarks, latency: pd.DataFrame) -> LatencyStats:
    """The bundled run's closed-loop data with `latency` as its latency.csv, computed with the default SLOs."""
    return compute(
        type(bench)(bench.environment, bench.startup, bench.memory, bench.throughput, bench.evidence, latency),
        {"json": 10.0, "db": 25.0},
        ["go", "bun", "fastapi"],
    )


def _common_rows(p99s: dict[str, tuple[float, ...]], requests: int = 20_000, limited: int = -1) -> pd.DataFrame:
    """Every stack at one offered rate (phase "common"), beside a ladder row of Go's at the same rate; run
    `limited` (0-based, of every stack) is one where the generator fell behind."""
    rows = [("go", "baseline", "json", 4000, 1, 4000.0, 1.0, 2.0, 50.0, 60.0, 0, 0, 6000, "ladder")]
    for stack, values in p99s.items():
        for i, p99 in enumerate(values):
            rows.append(
                (stack, "baseline", "json", 4000, i + 2, 4000.0, p99 / 4, p99 / 2, p99, p99 * 2, 0,
                 int(i == limited), requests, "common")
            )  # fmt: skip
    return pd.DataFrame.from_records(rows, columns=_ROW_COLUMNS)


def test_the_common_rate_runs_judge_their_rate_and_are_compared_under_the_tie_rule(data_dir: Path) -> None:
    from report.results.findings import common_area

    bench = load(data_dir).benchmarks
    rows = _common_rows(
        {
            "go": (0.40, 0.42, 0.41, 0.43, 0.40),
            "bun": (0.41, 0.44, 0.42, 0.45, 0.43),
            "fastapi": (4.0, 4.4, 9.0, 4.2, 4.1),
        },
        limited=2,
    )
    stats = _with_latency(bench, rows)
    # the common runs judge their rate like knee runs (each has 100 requests beyond its p99): the short ladder run
    # there is set aside (review 15 found FastAPI's five common runs meeting the rule while the report said "not
    # established")
    (point,) = stats.series[("json", "baseline", "go")].points
    assert (point.phase, point.p99.n, point.set_aside) == ("common", 5, 1)
    common = stats.common["json"]
    assert common.offered == 4000
    # the run where the generator fell behind counts for no stack (FastAPI's 9.0 ms is that run)
    assert {s: common.p99[s].n for s in common.p99} == {"go": 4, "bun": 4, "fastapi": 4}
    assert common.p99["fastapi"].max == 4.4
    area = common_area(stats, "json", ["go", "bun", "fastapi"])
    assert area is not None and area.kind == "latency"
    # Go's and Bun's intervals overlap: a tie for the lowest p99; FastAPI's does not reach theirs
    assert set(area.standing.leaders) == {"go", "bun"} and area.worst == "fastapi"
    assert area.gap({"go": "Go", "bun": "Bun", "fastapi": "FastAPI"}) == "9.5× to 10× lower than FastAPI"


def test_a_common_rate_p99_from_too_few_requests_is_not_compared(data_dir: Path) -> None:
    from report.results.findings import common_area

    bench = load(data_dir).benchmarks
    rows = _common_rows({"go": (0.4,) * 5, "fastapi": (4.0,) * 5}, requests=9_000)  # 90 beyond p99, not 100
    stats = _with_latency(bench, rows)
    assert stats.common["json"].p99["go"].n == 5 and not stats.common["json"].printable("go")
    assert common_area(stats, "json", ["go", "bun", "fastapi"]) is None
    # data from before the common rate (no such rows) has none
    ladder_only = rows[rows["phase"] != "common"]
    older = _with_latency(bench, ladder_only)
    assert older.common == {}
