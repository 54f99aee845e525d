"""Comparative claims obey the tie rule: overlapping ranges are a tie, and a claim names the levels it holds at."""

from __future__ import annotations

import re
from pathlib import Path

from report import pipeline
from report.results.claims import (
    across,
    gap,
    lead,
    lead_at_levels,
    lead_parts,
    order_scope,
    overlaps,
    score_lead,
    standing,
)
from report.results.stats import Spread, spread
from report.view.model import facts
from tests.conftest import BUNDLED

NAMES = {"go": "Go", "bun": "Bun", "fastapi": "FastAPI"}


def runs(*values: float) -> Spread:
    return spread(values)


def test_overlapping_ranges_are_a_tie_even_when_one_median_is_lower() -> None:
    # Bun's p99 runs 3.33–5.21 ms and Go's 4.03–4.52 ms: Bun's median is lower, but that is no win
    p99 = {"go": runs(4.52, 4.27, 4.03), "bun": runs(5.21, 3.61, 3.33), "fastapi": runs(17.5, 16.8, 20.8)}
    st = standing(p99, lower_is_better=True)
    assert st.best == "bun" and st.leaders == ("bun", "go") and st.tie
    sentence = lead("latency", st, NAMES)
    assert sentence == "Bun and Go have the lowest p99 latency (within confidence intervals or drift: a tie)"
    assert "Bun has the lowest" not in sentence


def test_when_every_stack_ties_none_is_said_to_lead() -> None:
    """The 8 December run's tracing cost: all three within the tie rule read "Bun, Go and FastAPI lose the most
    throughput to tracing", as if each lost the most; now they tie on the measure."""
    p99 = {"go": runs(4.5, 4.3, 4.0), "bun": runs(5.2, 3.6, 3.3), "fastapi": runs(5.0, 4.1, 6.0)}
    st = standing(p99, lower_is_better=True)
    assert st.leaders == st.order
    assert (
        lead("latency", st, NAMES)
        == "Bun, Go and FastAPI tie on p99 latency (within confidence intervals or drift: a tie)"
    )
    assert "lowest" not in lead("latency", st, NAMES)


def test_a_chained_tie_states_the_gap_only_for_the_leaders_apart_from_the_worst() -> None:
    """Review 17: at the common rate Go (0.45-0.54 ms) and Bun (0.46-7.2 ms) tie, and Bun's range reaches FastAPI's
    (2.2-622 ms) while Go's does not: "about the same as FastAPI" hid a 9.7x gap."""
    p99 = {"go": runs(0.45, 0.50, 0.54), "bun": runs(0.46, 0.51, 7.2), "fastapi": runs(2.2, 4.86, 622.0)}
    st = standing(p99, lower_is_better=True)
    assert st.leaders == ("go", "bun") and "fastapi" not in st.leaders
    said = gap("latency", st, p99, NAMES)
    assert said == ("Go 9.7× lower than FastAPI (Bun ties with FastAPI too, within confidence intervals or drift)"), (
        said
    )
    assert "about the same" not in said


def test_separated_ranges_name_one_leader_and_the_ratio() -> None:
    startup = {"go": runs(3.5, 3.7, 3.9), "bun": runs(9.0, 9.5, 10.0), "fastapi": runs(210, 217, 230)}
    st = standing(startup, lower_is_better=True)
    assert not st.tie
    assert lead("startup", st, NAMES) == "Go starts fastest"
    assert gap("startup", st, startup, NAMES) == "59× faster than FastAPI"


def test_a_tied_group_states_each_leaders_ratio_never_a_floor() -> None:
    # review 15: "at least 27×" read as a bound, which the intervals do not give; each leader's ratio of medians is
    # what the data says (303.5 ÷ 11.1 and 303.5 ÷ 7.6)
    startup = {"go": runs(6.5, 7.6, 14.5), "bun": runs(9.7, 11.1, 16.4), "fastapi": runs(295, 303.5, 340)}
    st = standing(startup, lower_is_better=True)
    assert gap("startup", st, startup, NAMES) == "27× to 40× faster than FastAPI"


def test_no_ratio_is_claimed_between_overlapping_best_and_worst() -> None:
    close = {"go": runs(10, 11, 12), "bun": runs(11.5, 12, 13)}
    st = standing(close, lower_is_better=True)
    assert gap("startup", st, close, NAMES) == "about as fast as Bun"


def test_overlap_is_inclusive_at_the_edges() -> None:
    assert overlaps(runs(1, 2), runs(2, 3))
    assert not overlaps(runs(1, 2), runs(2.01, 3))


def _kept() -> dict[int, dict[str, Spread]]:
    # the share of throughput kept with tracing: Go keeps more at 10 and 50 connections, Bun at 100 only
    return {
        10: {"go": runs(0.62, 0.71, 0.77), "bun": runs(0.58, 0.61, 0.65), "fastapi": runs(0.20, 0.204, 0.208)},
        50: {"go": runs(0.70, 0.72, 0.74), "bun": runs(0.60, 0.62, 0.65), "fastapi": runs(0.18, 0.19, 0.20)},
        100: {"go": runs(0.55, 0.59, 0.62), "bun": runs(0.66, 0.68, 0.73), "fastapi": runs(0.19, 0.19, 0.20)},
    }


def test_a_claim_that_holds_at_one_level_only_names_it() -> None:
    sentence = lead_at_levels("kept", across(_kept(), lower_is_better=False), NAMES)
    assert sentence == (
        "Bun keeps the most throughput with tracing at 100 connections only; "
        "at 10 connections Go and Bun tie; at 50 connections Go keeps the most throughput with tracing"
    )


def test_a_claim_that_holds_everywhere_says_so() -> None:
    rps = {
        c: {"go": runs(70e3, 75e3, 80e3), "bun": runs(100e3, 107e3, 110e3), "fastapi": runs(10e3, 11e3, 12e3)}
        for c in (10, 50, 100)
    }
    sentence = lead_at_levels("throughput", across(rps, lower_is_better=False), NAMES)
    assert sentence == "Bun serves the most requests at every load level measured (10, 50 and 100 connections)"


def test_a_tie_at_the_top_level_names_that_level() -> None:
    levels = _kept()
    levels[100]["go"] = runs(0.60, 0.66, 0.70)
    sentence = lead_at_levels("kept", across(levels, lower_is_better=False), NAMES)
    assert sentence.startswith("Bun and Go keep the most throughput with tracing at 100 connections (")


def test_equal_scores_tie() -> None:
    assert score_lead("deployment", {"go": 4.0, "bun": 4.001, "fastapi": 2.0}, NAMES) == (
        "Go and Bun tie for the best score on deployment"
    )
    assert score_lead("deployment", {"go": 5.0, "bun": 4.0}, NAMES) == "Go has the best score on deployment"


def test_the_report_uses_tie_wording_when_the_data_overlaps(data_dir: Path) -> None:
    # give Bun Go's own starts: the medians' confidence intervals coincide, a tie everywhere the claim is made
    text = (data_dir / "benchmarks" / "startup.csv").read_text(encoding="utf-8").splitlines()
    go = [line.split(",")[2] for line in text[1:] if line.startswith("go,")]
    bun_rows = [i for i, line in enumerate(text) if line.startswith("bun,")]
    for n, i in enumerate(bun_rows):
        stack, run, _ = text[i].split(",")
        text[i] = f"{stack},{run},{go[n % len(go)]}"
    (data_dir / "benchmarks" / "startup.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    f = facts(pipeline.check(data_dir))
    assert f["startup.lead"] == "Go and Bun start fastest (within confidence intervals or drift: a tie)"
    assert f["startup.best"] == "Go and Bun"


def test_the_shipped_report_has_none_of_the_old_slips() -> None:
    html, _ = pipeline.render(pipeline.load(BUNDLED), "a4")
    for slip in ("20+ runs", "Simplest: ", "Under load the order can change", "not fork-safe", "15.4 %"):
        assert slip not in html
    assert not re.search(r"\d (MB|GB)\b|\((MB|GB)\)", html), "binary units are labelled MiB and GiB"


def test_the_shipped_report_has_none_of_issue_19s_slips() -> None:
    html, _ = pipeline.render(pipeline.load(BUNDLED), "a4")
    text = re.sub(r"<[^>]+>", "", html)
    assert not re.search(r"\d %", text), "one percent style: 99%, never 99 %"
    assert "(s)" not in text, "proper plurals, never thread(s)"
    assert not re.search(r"\b1 spans\b", text)
    assert "narrows the gaps" not in text and "changes the picture" not in text
    assert "reproduce on other machines" not in text and "drift hits every stack alike" not in text
    assert "scores highest on" not in text, "'highest on … complexity' reads as the most complex"
    assert "Go vs Bun vs FastAPI" in text and "Bun vs FastAPI vs Go" not in text, "one stack order"
    # a claim about another level is never followed by the top level's figures
    assert not re.search(r"at 10 connections Go has the lowest p99 latency: \d", text)


def test_top_level_figures_follow_the_top_level_claim() -> None:
    p99 = {
        10: {"go": runs(2.2, 2.3, 2.4), "bun": runs(3.0, 3.1, 3.2), "fastapi": runs(18, 19, 20)},
        100: {"go": runs(4.0, 4.1, 4.2), "bun": runs(3.6, 3.7, 3.8), "fastapi": runs(18, 19, 20)},
    }
    top, elsewhere = lead_parts("latency", across(p99, lower_is_better=True), NAMES)
    assert top == "Bun has the lowest p99 latency at 100 connections only"
    assert elsewhere == "at 10 connections Go has the lowest p99 latency"


def test_the_memory_order_is_claimed_only_where_it_holds() -> None:
    peaks = {
        "otel": {"go": 26.9, "bun": 85.1, "fastapi": 67.9},
        "db": {"go": 15.3, "bun": 53.4, "fastapi": 53.0},
    }
    said = order_scope(["go", "bun", "fastapi"], peaks, NAMES)
    # one clause per order, naming every phase it holds in: never the same order twice
    assert said == "that order is the untraced /json service's only: with tracing and on /db it is Go, FastAPI and Bun"
    same = {"otel": {"go": 20.0, "bun": 40.0, "fastapi": 60.0}}
    assert order_scope(["go", "bun", "fastapi"], same, NAMES) == "the same order holds with tracing"
    assert order_scope(["go", "bun", "fastapi"], {}, NAMES) == ""


def test_the_same_tie_at_two_levels_is_said_once() -> None:
    p99 = {
        10: {"go": runs(2.0, 2.1, 2.2), "bun": runs(2.05, 2.15, 2.25), "fastapi": runs(18, 19, 20)},
        50: {"go": runs(3.05, 3.15, 3.25), "bun": runs(3.0, 3.1, 3.2), "fastapi": runs(18, 19, 20)},
        100: {"go": runs(4.0, 4.1, 4.2), "bun": runs(3.6, 3.7, 3.8), "fastapi": runs(18, 19, 20)},
    }
    _top, elsewhere = lead_parts("latency", across(p99, lower_is_better=True), NAMES)
    assert elsewhere == "at 10 and 50 connections Go and Bun tie"


def test_single_readings_closer_than_the_run_to_run_range_order_nothing() -> None:
    # /db: Bun 53.4 against FastAPI 53.0 MiB is 0.8% apart, inside a 2.4% run-to-run range: that phase says nothing
    peaks = {
        "otel": {"go": 26.9, "bun": 85.1, "fastapi": 67.9},
        "db": {"go": 15.3, "bun": 53.4, "fastapi": 53.0},
    }
    said = order_scope(["go", "bun", "fastapi"], peaks, NAMES, tie_share=0.024)
    assert said == (
        "that order is the untraced /json service's only: with tracing it is Go, FastAPI and Bun; "
        "on /db FastAPI and Bun are too close to order"
    )
    assert order_scope(["go", "bun", "fastapi"], {"db": peaks["db"]}, NAMES, tie_share=0.024) == ""


def test_a_score_lead_from_the_area_s_need_cannot_be_read_backwards() -> None:
    """Review 7: "the best score on OpenTelemetry integration complexity" reads as the most complex; the area's own
    "Which to choose when" wording says what a high score means."""
    scores = {"go": 3.9, "bun": 3.15, "fastapi": 4.1}
    assert score_lead("x", scores, NAMES, "simplest OpenTelemetry tracing") == (
        "FastAPI has the simplest OpenTelemetry tracing"
    )
    assert score_lead("x", {"go": 4.0, "bun": 4.001}, NAMES, "simplest deployment") == (
        "Go and Bun tie for the simplest deployment"
    )
