"""The order of one harness run: probes before any load, checkpoints between blocks, queue sizes for every stack."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from report.bench import phases
from report.bench.measure import Bench
from report.bench.options import add_arguments, make_plan
from tests.bench.test_session import make_session


class FakeReceiver:
    def __init__(self) -> None:
        self.modes: list[str] = []

    def mode(self, mode: str) -> None:
        self.modes.append(mode)


def test_probes_come_first_and_every_block_is_checkpointed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = make_session(tmp_path, "--no-db")
    bench = Bench(s.paths, s.plan, s.registry, s.pinning, s.progress, s.log_dir)
    order: list[str] = []
    monkeypatch.setattr(bench, "_new_receiver", FakeReceiver)
    monkeypatch.setattr(bench, "probe_spans", lambda: order.append("probes"))
    monkeypatch.setattr(bench, "measure_startup", lambda: order.append("startup"))
    monkeypatch.setattr(bench, "measure_load", lambda: order.append("load"))
    monkeypatch.setattr(
        phases, "ladders", lambda _b, endpoint, env, after_s: order.append(f"ladder {endpoint} +{after_s}")
    )
    bench.on_checkpoint = lambda at: order.append(f"@{at}")
    bench.results.queue_size["bun"] = 8192
    results = bench.run()
    assert order == [
        "probes",
        "@before startup",
        "startup",
        "@after startup",
        "load",
        "ladder json +0.0",  # without /db the /json ladder is the last: its knees may spend all the slack
        "@after the database phases",
    ]
    assert isinstance(bench.receiver, FakeReceiver) and bench.receiver.modes == ["count"]
    assert results.queue_size == {"go": 2048, "bun": 8192, "fastapi": 2048}


def test_the_plan_grows_with_rounds() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)

    def planned(*argv: str) -> float:
        bench = Bench.__new__(Bench)
        bench.plan = make_plan(parser.parse_args(list(argv)), ["go", "bun", "fastapi"], 1)
        return bench.planned_seconds()

    assert planned("--rounds", "2") > planned("--rounds", "1") > planned("--rounds", "1", "--no-db")
