from __future__ import annotations

from report.view.typography import counted, house_style


def test_percent_takes_no_space() -> None:
    assert house_style("delivered at least 99 % of spans") == "delivered at least 99% of spans"


def test_maybe_plurals_become_proper_plurals() -> None:
    assert house_style("closed loop, 1 thread(s), Lua") == "closed loop, 1 thread, Lua"
    assert house_style("wrk on /db at 50 connection(s).") == "wrk on /db at 50 connections."
    assert house_style("the load core(s) were busy") == "the load cores were busy"


def test_a_count_of_one_takes_the_singular_unit() -> None:
    assert counted(1.0, "spans/request") == "span/request"
    assert counted(3.0, "spans/request") == "spans/request"
    assert counted(1.0, "libraries") == "library"
    assert counted(1.0, "MiB") == "MiB"
