"""Pinning: which cores the server and the load side get, and the sentence environment.yaml says about it."""

from __future__ import annotations

import os

import pytest

from report.bench.plan import Pinning, choose_pinning, db_cores


def test_the_first_core_serves_and_the_rest_carry_the_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {3, 1, 2})
    pinning = choose_pinning()
    assert (pinning.server, pinning.load) == ({1}, {2, 3})
    assert pinning.describe() == (
        "server pinned to core 1; wrk, oha, span receiver and harness pinned to core 2,3 "
        "(os.sched_setaffinity); PostgreSQL as the /db note says"
    )


def test_one_core_is_not_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0})
    pinning = choose_pinning()
    assert pinning == Pinning(None, None)
    assert pinning.describe().startswith("not pinned: fewer than 2 cores")


def test_postgresql_goes_where_the_plan_places_it() -> None:
    pinning = Pinning({0}, {1})
    assert db_cores(pinning, "load") == {1}
    assert db_cores(pinning, "server") == {0}
    assert db_cores(pinning, "split") == {0, 1}
    assert db_cores(Pinning(None, None), "server") is None
