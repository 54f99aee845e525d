"""The view model: every section's values formatted, ordered best first, and consistent with each other."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from report import pipeline
from report.results.computed import Results
from report.view import figures
from report.view.context import mid_sentence, spread_cells
from report.view.model import facts, view_model
from report.view.scores import _measure_text
from tests.conftest import BUNDLED, DATA
from tests.inputs.test_data import HOSTS_YAML


@pytest.fixture(scope="module")
def results() -> Results:
    return pipeline.compute(pipeline.load(DATA))


def _model(results: Results, page_size: str = "a4", data: Path = DATA) -> dict[str, Any]:
    charts = {job.key: job.chart for job in figures.plan(results)}
    copy = pipeline.prose(pipeline.load(data), results)
    return view_model(
        results,
        copy,
        charts,
        page_size=page_size,
        logo_uri="logo.svg",
        font_faces=[],
        link=lambda url: url + "?utm=pdf",
    )


def test_every_part_of_the_report_has_its_section(results: Results) -> None:
    model = _model(results)
    for section in ("report", "glance", "env", "startup", "memory", "throughput", "latency_load", "otel_cost"):
        assert model[section], section
    assert [c["id"] for c in model["categories"]] == [c.id for c in results.rubric.categories]
    assert model["page_size"] == "A4" and _model(results, "letter")["page_size"] == "Letter"


def test_links_go_through_the_link_function(results: Results) -> None:
    report = _model(results)["report"]
    assert report["cta"]["url"] == results.config.cta.url + "?utm=pdf"
    assert report["cta"]["url_text"] == results.config.cta.url.split("://", 1)[-1]  # the printed text stays clean


def test_startup_rows_are_fastest_first_and_formatted(results: Results) -> None:
    startup = _model(results)["startup"]
    medians = [float(row["median"].replace(",", "")) for row in startup["rows"]]
    assert medians == sorted(medians)
    assert startup["best"] == startup["rows"][0]["stack"]
    assert startup["worst"] == startup["rows"][-1]["stack"]
    assert startup["headline"].startswith(startup["best"])


def test_throughput_has_one_table_per_level_most_requests_first(results: Results) -> None:
    groups = _model(results)["throughput"]["groups"]
    assert [g["level"] for g in groups] == results.stats.levels
    for group in groups:
        rps = [int(row["rps"].replace(",", "")) for row in group["rows"]]
        assert rps == sorted(rps, reverse=True)
        assert len(group["rows"]) == len(results.config.stacks)


def test_the_scorecard_has_a_cell_per_column_and_the_verdict_matches_the_overall_table(results: Results) -> None:
    model = _model(results)
    glance, overall = model["glance"], model["overall"]
    assert [row["stack"] for row in glance["rows"]] == [s.name for s in results.config.stacks]
    assert all(len(row["cells"]) == len(glance["columns"]) for row in glance["rows"])
    assert glance["verdict"]["best"] == overall["rows"][0]["stack"] == facts(results)["overall.best"]
    assert glance["verdict"]["runner_up"] == overall["rows"][1]["stack"]
    scores = [float(row["score"]) for row in overall["rows"]]
    assert scores == sorted(scores, reverse=True)
    assert sum(1 for row in glance["rows"] if row["cells"][-1]["win"]) == 1


def test_each_category_lists_its_stacks_best_first(results: Results) -> None:
    for category in _model(results)["categories"]:
        scores = [float(s["score"]) for s in category["scores"]]
        assert scores == sorted(scores, reverse=True)
        assert category["best"] == category["scores"][0]["stack"]
        assert all(len(c["rows"]) == len(results.config.stacks) for c in category["criteria"])


def test_small_formatters() -> None:
    assert mid_sentence("Deployment simplicity") == "deployment simplicity"
    assert mid_sentence("OpenTelemetry integration") == "OpenTelemetry integration"
    assert _measure_text("artifact_size_mb", 4.25, "MiB") == "artifact size: 4.3 MiB"
    assert _measure_text("otel_overhead_pct", 12.0, "%") == "OTel overhead: 12%"
    assert _measure_text("static_binary", 1, "bool") == "static binary: yes"


def test_spread_cells_print_median_quartiles_range_and_runs(results: Results) -> None:
    spread = results.stats.startup["go"]
    cells = spread_cells(spread, 1)
    assert cells["n"] == str(spread.n)
    assert cells["iqr"].count("–") == 1 and cells["range"].count("–") == 1


def test_limitations_show_each_harness_note_once() -> None:
    """Drift flags have their own list and the closed-loop caveat is the template's own: neither repeats as a note."""
    from report.view.measured import shown_notes

    drift = ["Drift: the calibration workload took 70 ms after startup and 85 ms after the ladders."]
    notes = [
        "wrk is a closed-loop load generator: each connection waits for its response before sending the next request.",
        "Startup is exec to the first HTTP 200 on /health.",
        *drift,
    ]
    assert shown_notes(notes, drift) == ["Startup is exec to the first HTTP 200 on /health."]
    assert shown_notes(notes[1:2], []) == notes[1:2]


def test_no_throughput_dot_when_wrk_itself_set_a_figure(results: Results) -> None:
    """A closed-loop peak set by a saturated wrk is a lower bound: no stack gets the throughput column's dot."""
    import dataclasses

    column = next(i for i, c in enumerate(_model(results)["glance"]["columns"]) if c.startswith("Throughput"))
    assert any(row["cells"][column]["win"] for row in _model(results)["glance"]["rows"])
    assert results.latency is not None
    top = results.stats.top_level
    saturated = dataclasses.replace(
        results, latency=dataclasses.replace(results.latency, wrk_bounds=frozenset({("json", "baseline", top, "bun")}))
    )
    assert not any(row["cells"][column]["win"] for row in _model(saturated)["glance"]["rows"])


def test_a_multi_host_run_names_each_role_s_machine_in_the_methodology(data_dir: Path) -> None:
    env = data_dir / "benchmarks" / "environment.yaml"
    env.write_text(env.read_text(encoding="utf-8") + HOSTS_YAML, encoding="utf-8")
    html, _ = pipeline.render(pipeline.load(data_dir), "a4")
    said = (
        "Measured across separate machines: the services on a 2-core Neoverse-V1 (10.0.1.11); the load generators "
        "(wrk, oha) and the span receiver on a 4-core Neoverse-V1 (10.0.1.12); PostgreSQL on the same "
        "machine as the load host. Results compare stacks with each other, not with production capacity."
    )
    assert f"<li>{said}</li>" in html
    assert "share one" not in html
    # one machine: the sentence it always had, and nothing about hosts
    local, _ = pipeline.render(pipeline.load(DATA), "a4")
    assert "Server and load generator share one" in local and "separate machines" not in local


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _earlier_run(tmp_path: Path, run: str = "reproduction") -> Path:
    """The bundled data with an earlier run as the shipped one: run B (data/benchmarks/reproduction/) or, with
    `run="1828"` or `run="0517"`, the 7 December 18:28 or 05:17 run (tests/fixtures/run-2026-12-07-*/), kept for the
    cases they alone have."""
    target = tmp_path / "data"
    shutil.copytree(BUNDLED, target)
    bench = target / "benchmarks"
    source = bench / "reproduction" if run == "reproduction" else FIXTURES / f"run-2026-12-07-{run}"
    for f in source.iterdir():
        shutil.copyfile(f, bench / f.name)
    shutil.rmtree(bench / "reproduction")
    return target


def test_what_the_bundled_run_could_not_establish_is_said_plainly() -> None:
    """Review 5: a series with no rate says why, with what its lower rates lack, and the Reproducibility text says
    how run B differs (the 8 December 01:07 run, shipped)."""
    model = _model(pipeline.compute(pipeline.load(BUNDLED)), data=BUNDLED)
    section = model["latency_load"]["sections"][0]
    # /json: Bun's knee left wide (53,111-60,482 req/s); Go with tracing's p99 hugs the SLO from its ladder's first
    # rate on, so the search walked down to 3,390 req/s and narrowed only to 4,206-4,520
    assert section["takeaway"] == "Bun 53,111† req/s, Go 48,906 req/s and FastAPI 5,223 req/s"
    assert "Bun 53,111–60,482 req/s and Go with tracing 4,206–4,520 req/s" in section["coarse"]
    assert (
        "No rate was established for Bun with tracing, below 15,663 req/s (14,999 req/s passed one run"
        in (section["coarse"])
    )
    # /db: Go's figure is its short ladder runs' (‡), its knee between 8,142 and 12,462 req/s; FastAPI's is the
    # common rate's (†)
    db = model["latency_load"]["sections"][1]
    assert db["takeaway"] == "Bun 18,364 req/s, FastAPI 1,609† req/s and Go 8,142†‡ req/s"
    assert "Go 8,142–12,462 req/s (11,919 req/s passed one run, too few to count)" in db["coarse"]
    assert (
        "No rate was established for FastAPI with tracing, below 639 req/s (586 req/s passed one run" in (db["coarse"])
    )
    # the tracing-cost card: all three within the tie rule, so none "loses the most"
    assert model["glance"]["big"][-1]["detail"] == (
        "Bun, Go and FastAPI tie on throughput lost to tracing at 100 connections (within confidence intervals or "
        "drift: a tie)"
    )
    drift = {r["stack"]: r["p99"] for r in model["env"]["round_drift"]}
    assert model["env"]["drift_levels"] == [50, 100] and drift["Bun"] == ["37%", "44%"]
    # review 17: the headline ratios that moved between runs A and B say run B's beside them (cover and glance)
    startup, _memory, throughput = model["glance"]["big"][:3]
    assert startup["label"] == "Go starts fastest: 35× faster than FastAPI; 21× in a second run"
    assert throughput["label"].endswith("; 10× in a second run")
    # and the chapters' findings too (review 18: the startup and throughput callouts stood alone)
    assert model["startup"]["headline"].endswith("35× faster than FastAPI (511.7 ms); 21× in a second run.")
    assert (
        "14× as many as FastAPI at 100 connections (8,504 req/s); 10× in a second run"
        in (model["throughput"]["headline"])
    )
    assert "in a second run" not in model["memory"]["headline"]  # memory's ratios held
    # Go's /db rate rests on the ladder's short runs alone (‡): the method never says every printed rate is from
    # knee-length runs
    assert model["latency_load"]["method"]["short_printed"]
    summary = model["reproduction"]["summary"]
    assert "on 8 December 2026 and on 7 December 2026: 7 of 9 headline ratios held" in summary
    assert "these moved: startup FastAPI ÷ Go and throughput Bun ÷ FastAPI" in summary
    assert "Between runs A and B, 3 of 4 rankings held (not on throughput kept with tracing)." in summary
    # the same releases, so nothing is said about versions; run B's knee search (no room kept for the rate below's
    # top-up) is named; both runs have the common rate
    assert "earlier releases" not in summary and "flagged drift: Drift" not in summary
    assert "Run B's knee search followed other rules (compare the knee-search notes of the two runs'" in summary
    assert "Calibration: run A's reference workload 109 ms, 36% range through the run; run B's reference workload" in (
        summary
    )
    assert "no runs at one common offered rate" not in summary
    assert [r["name"] for r in model["reproduction"]["runs"]] == ["A", "B", "C"]
    glance = model["reproduction"]["glance"]
    assert "7 of 9 headline ratios held" in glance and "with the harness's earlier method (run C)" in glance
    assert "the order of throughput kept with tracing is this run's, not one that travels" in summary


def test_what_run_b_could_not_establish_is_said_plainly(tmp_path: Path) -> None:
    """Run B (the 7 December 21:50 run, the first with the common rate) as the shipped one."""
    data = _earlier_run(tmp_path)
    model = _model(pipeline.compute(pipeline.load(data)), data=data)
    section = model["latency_load"]["sections"][0]
    # /json: FastAPI's single exploring passes were topped up only to miss, and the pool ran out before 6,398's
    # top-up (the harness now keeps room for it: services/README.md); its five runs at the common rate, 4,570 req/s,
    # sustain that rate, so its knee lies between 4,570 and 7,647 req/s (review 15)
    assert section["takeaway"] == "Bun 60,600 req/s, Go 49,723 req/s and FastAPI 4,570† req/s"
    assert "FastAPI 4,570–7,647 req/s (6,398 req/s passed one run, too few to count)" in section["coarse"]
    assert (
        "No rate was established for Go with tracing, below 10,401 req/s (9,538 req/s passed one run, too few to "
        "count) and FastAPI with tracing"
    ) in section["coarse"]
    # /db: every untraced knee and Go with tracing narrowed; two traced series without a rate
    db = model["latency_load"]["sections"][1]["coarse"]
    assert "Bun with tracing, below 7,790 req/s (3,895 req/s passed one run, too few to count)" in db
    # 728 req/s's one run went over the SLO (25.5 ms): the rate below it that passed its run is named (review 15)
    assert "FastAPI with tracing, below 760 req/s (697 req/s passed one run, too few to count)" in db
    # the tracing-cost card: Go keeps less than FastAPI with their intervals apart, Bun ties with each
    assert model["glance"]["big"][-1]["detail"] == (
        "At 100 connections Go keeps less than FastAPI, their intervals apart; Bun ties with each of them (within "
        "confidence intervals or drift)"
    )
    # review 13: the drift table also prints each stack's untraced p99 drift per level
    drift = {r["stack"]: r["p99"] for r in model["env"]["round_drift"]}
    assert model["env"]["drift_levels"] == [50, 100] and drift["Bun"] == ["20%", "24%"]
    assert [s["common"] is not None for s in model["latency_load"]["sections"]] == [True, True]


def test_what_the_1828_run_could_not_establish_is_said_plainly(tmp_path: Path) -> None:
    """The 7 December 18:28 run as the shipped one: Bun's knee a bound that names the machine's limit, two traced
    /json series whose p99 hugs the SLO without a rate, two /db knees left wide with their brackets."""
    data = _earlier_run(tmp_path, "1828")
    model = _model(pipeline.compute(pipeline.load(data)), data=data)
    section = model["latency_load"]["sections"][0]
    assert section["takeaway"] == (
        "Bun at least 74,223 req/s (the load generator fell behind at 106,033 req/s, this machine's limit), "
        "Go 51,132 req/s and FastAPI 8,144 req/s"
    )
    assert section["coarse"].startswith(
        "No rate was established for Go with tracing, below 12,658 req/s (6,329 req/s passed 5 runs of the short "
        "ladder, too short to count) and FastAPI with tracing, below 1,127 req/s (1,033 req/s passed one run, too few"
    )
    db = model["latency_load"]["sections"][1]["coarse"]
    assert "Bun 19,566–21,391 req/s and FastAPI 2,240–2,677 req/s" in db
    assert "No rate was established for Go with tracing, below 9,686 req/s (8,104 req/s passed one run" in db
    assert "Bun with tracing, below 7,449 req/s (3,724 req/s passed 5 runs of the short ladder" in db
    # its own run had no common-rate runs: the tail is wrk's, said so
    assert all(s["common"] is None for s in model["latency_load"]["sections"])


_ONE_PLURAL = re.compile(r"(?<![\d.,])1 (runs|rates|spans|requests|rounds|connections|packages|libraries|lines)\b")


@pytest.mark.parametrize("which", ["bundled", "reproduction", "1828", "0517"])
def test_no_count_of_one_takes_a_plural(which: str, tmp_path: Path) -> None:
    """Review 7 found "passed its 1 runs" under the /db table: a count of one reads in the singular everywhere."""
    data = BUNDLED if which == "bundled" else _earlier_run(tmp_path, which)
    html, _ = pipeline.render(pipeline.load(data), "a4")
    text = re.sub(r"<[^>]+>", " ", html)
    assert not _ONE_PLURAL.findall(text), _ONE_PLURAL.findall(text)


def test_what_an_earlier_run_could_not_establish_is_said_plainly(tmp_path: Path) -> None:
    """Review 5 and 6 on the 05:17 run: a rate on short runs alone is no lower bound, and a series whose lowest rate
    missed with runs too short to read a p99 from says so."""
    data = _earlier_run(tmp_path, "0517")
    model = _model(pipeline.compute(pipeline.load(data)), data=data)
    json_rows = {r["stack"]: r for r in model["latency_load"]["sections"][0]["rows"]}
    section = model["latency_load"]["sections"][0]
    # only Bun's 1.5 s ladder runs passed 78,681 below the generator's limit: neither a bound nor a knee, so not
    # established, listed last, no figure in its row, and the note under the table says why
    assert "Bun not established (78,681 req/s passed short runs only)" in section["takeaway"]
    assert section["takeaway"].index("Go") < section["takeaway"].index("Bun")
    assert (json_rows["Bun"]["sustainable"], json_rows["Bun"]["share"], json_rows["Bun"]["p99"]) == ("–", "–", "–")
    assert "No rate was established for Bun (78,681 req/s passed short runs;" in section["coarse"]
    assert "Bun" not in section["short"]  # no ‡ figure printed for it
    # FastAPI with tracing on /db: even 463 req/s missed, in 20 s runs with fewer than 100 requests beyond p99
    db = model["latency_load"]["sections"][1]
    assert "FastAPI with tracing (even 463 req/s missed)" in db["coarse"]
    assert "At such slow rates even the harness's longest knee run ends before 100 requests" in db["coarse"]
    # the tracing-cost card: Bun ties with both the stack keeping the least (Go) and the most (FastAPI)
    assert model["glance"]["big"][-1]["detail"] == (
        "At 100 connections Go keeps less than FastAPI, their intervals apart; Bun ties with each of them (within "
        "confidence intervals or drift)"
    )


def test_tail_latency_is_compared_open_loop_with_every_stack_at_the_common_rate() -> None:
    results = pipeline.compute(pipeline.load(BUNDLED))
    model = _model(results, data=BUNDLED)
    assert results.latency is not None
    rate = results.latency.common["json"].offered
    column = next(c for c in model["glance"]["columns"] if c.startswith("p99"))
    assert column.startswith(f"p99 at {rate:,.0f} req") and model["glance"]["common_rate"] == f"{rate:,.0f}"
    row = next(r for r in model["choose"] if r["need"] == "Lowest tail latency")
    assert f"every stack offered {rate:,.0f} req/s (open loop)" in row["why"] and "wrk" not in row["why"]
    # the latency chapters print the table behind it, lowest p99 first
    for section in model["latency_load"]["sections"]:
        common = section["common"]
        assert common is not None and common["rate"] == f"{results.latency.common[section['endpoint']].offered:,.0f}"
        p99s = [float(r["p99"]) for r in common["rows"]]
        assert p99s == sorted(p99s) and "every stack offered" in common["claim"]


def test_without_common_rate_runs_the_tail_is_wrks_and_says_so(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(BUNDLED, data)
    latency = data / "benchmarks" / "latency.csv"
    rows = pd.read_csv(latency)
    rows[rows["phase"] != "common"].to_csv(latency, index=False)
    older = pipeline.compute(pipeline.load(data))
    assert older.latency is not None and older.latency.common == {}
    model = _model(older, data=data)
    assert any(c.startswith("p99 (wrk)") for c in model["glance"]["columns"])
    row = next(r for r in model["choose"] if r["need"] == "Lowest tail latency")
    assert row["why"].endswith("closed loop (wrk)")
    assert all(s["common"] is None for s in model["latency_load"]["sections"])
