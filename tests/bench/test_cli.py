"""`lead-magnet bench`'s entry: a bad option is one line on stderr and exit 1; the summary names every stack."""

from __future__ import annotations

import pytest

from report.bench import cli
from report.bench.results import Results, ThroughputRow


def test_an_unknown_stack_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--stacks", "rust"]) == 1
    err = capsys.readouterr().err
    assert err == "lead-magnet bench: error: --stacks: unknown rust; expected some of go, bun, fastapi\n"


def test_the_summary_prints_medians_per_stack(capsys: pytest.CaptureFixture[str]) -> None:
    res = Results(
        startup=[("go", 1, 2.0), ("go", 2, 4.0)],
        memory=[("go", "idle", 1, 7.5), ("go", "load", 1, 99.0)],
        throughput=[
            ThroughputRow("go", "baseline", 10, 1, 1000.0, 1, 2, 3, 0, 0.0, 0.0, 1, False),
            ThroughputRow("go", "otel", 10, 1, 800.0, 1, 2, 3, 0, 0.0, 0.0, 1, False, 100.0, endpoint="db"),
        ],
    )
    cli._summary(res, ["go", "bun"])
    go, bun = capsys.readouterr().out.splitlines()
    # the /db run is not a /json figure: otel has none
    assert go.split() == [
        *("go", "startup", "3.00", "ms", "idle", "RSS", "7.5", "MB"),
        *("baseline", "1000", "req/s", "otel", "0", "req/s"),
    ]
    assert bun.split()[:3] == ["bun", "startup", "0.00"]
