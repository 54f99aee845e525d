"""Shared fixtures: a writable copy of the bundled data, an in-process CLI runner, output snapshots."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from report.cli import main

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "data"  # what `make pdf` builds: real measurements, which change with every harness run
# Rule and layout tests need inputs that never move: the prototype's sample data set, frozen here.
DATA = ROOT / "tests" / "fixtures" / "sample-data"


@dataclass
class CliResult:
    """Exit code and captured streams of one CLI run."""

    code: int
    out: str
    err: str


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A private copy of the bundled data folder that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run `lead-magnet ARGS` in-process and capture what it prints."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse exits on usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under a folder with a hash of its bytes (and its mtime), to prove nothing changed."""
    if not folder.exists():
        return {}
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            out[str(path.relative_to(folder))] = f"{digest}:{path.stat().st_mtime_ns}"
    return out


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace text in a fixture file, failing loudly if the text is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


@pytest.fixture
def make_stacks(tmp_path: Path) -> Iterator[Callable[[int, int], Path]]:
    """Build a synthetic data folder with N stacks and R runs each (marked as sample data)."""
    from tests.synthetic import write_synthetic

    def make(n: int, runs: int = 5) -> Path:
        return write_synthetic(tmp_path / f"data-{n}", n, runs)

    yield make


# every top-level section, in order: the PDF's outline and extracted text are checked against it
SECTIONS = [
    "Contents",
    "At a glance",
    "Methodology",
    "Startup time",
    "Memory usage",
    "Throughput and latency",
    "OpenTelemetry integration complexity",
    "Deployment simplicity",
    "Which to choose when",
    "Appendix: scales and summary tables",
    "About this report",
]
CASES = ["default-a4", "default-letter", "twelve-a4", "twelve-letter"]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The bundled report and a 12-stack one with long names, each at A4 and US Letter (built once per run)."""
    from tests.synthetic import write_synthetic

    root = tmp_path_factory.mktemp("docs")
    twelve = write_synthetic(root / "twelve-data", 12, 5)
    out = {}
    for case in CASES:
        data = DATA if case.startswith("default") else twelve
        target = root / case
        assert main(["build", "--data", str(data), "--out", str(target), "--page-size", case.split("-")[1]]) == 0
        out[case] = target / "backend-language-comparison.pdf"
    return out


@pytest.fixture(scope="session")
def built_pdfa(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled report built as PDF/A-3B (`--pdf-variant pdf/a-3b`), once per run."""
    target = tmp_path_factory.mktemp("pdfa") / "out"
    assert main(["build", "--data", str(DATA), "--out", str(target), "--pdf-variant", "pdf/a-3b"]) == 0
    return target / "backend-language-comparison.pdf"
