"""`build --timings`: stages add up in the order they first ran, and the table stays readable."""

from __future__ import annotations

from report.output.timings import Timings, since_process_start


def test_stages_accumulate_in_first_run_order() -> None:
    t = Timings()
    with t.stage("load"):
        pass
    with t.stage("render"):
        pass
    with t.stage("load"):
        pass
    assert list(t.stages) == ["load", "render"]
    assert all(seconds >= 0 for seconds in t.stages.values())


def test_the_table_has_a_header_a_row_per_stage_with_notes_and_a_total() -> None:
    t = Timings(stages={"charts": 0.75, "pdf": 0.25}, notes={"charts": "2 of 7 drawn"})
    lines = t.table().splitlines()
    assert lines[0].split() == ["stage", "seconds", "share"]
    assert lines[1].split() == ["charts", "0.750", "75%", "2", "of", "7", "drawn"]
    assert lines[2].split() == ["pdf", "0.250", "25%"]
    assert lines[3].split() == ["total", "1.000"]


def test_an_empty_table_does_not_divide_by_zero() -> None:
    assert Timings().table().splitlines()[-1].split() == ["total", "0.000"]


def test_the_process_started_before_now() -> None:
    started = since_process_start()
    assert started is None or started > 0  # None where /proc is missing
