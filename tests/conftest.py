"""Shared test helpers: data folders, the in-process and subprocess CLI runners, snapshots, Chromium's flags,
and the builds that read-only tests share (one build per configuration per run, whatever the number of
xdist workers)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock, Timeout

from report.cli import main

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "data"  # what `make pdf` builds: real measurements, which change with every harness run
# Rule and layout tests need inputs that never move: the prototype's sample data set, frozen here.
DATA = ROOT / "tests" / "fixtures" / "sample-data"
PDF = "backend-language-comparison.pdf"

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# The flags this machine needs: no sandbox as root, no GPU, and no calls home (the network is closed).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--window-size=1100,900",
)


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

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse exits on usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def lm(
    *args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI (`python -m report ARGS`) in a separate process and wait for it."""
    return subprocess.run(
        [sys.executable, "-m", "report", *map(str, args)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_lm(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start the real CLI in a separate process without waiting for it."""
    return subprocess.Popen(
        [sys.executable, "-m", "report", *map(str, args)],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


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

# --- builds shared by the tests that only read them --------------------------------------------------------

# name -> (data folder: "sample", "bundled" or "twelve", extra build arguments)
SHARED_BUILDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "default-a4": ("sample", ()),
    "default-letter": ("sample", ("--page-size", "letter")),
    "twelve-a4": ("twelve", ()),
    "twelve-letter": ("twelve", ("--page-size", "letter")),
    "default-pdfa": ("sample", ("--pdf-variant", "pdf/a-3b")),
    # with its HTML and charts: test_determinism compares every file, test_pipeline reads them
    "bundled-a4": ("bundled", ("--html",)),
}


class SharedBuilds:
    """Builds made once per test run, under a file lock in a folder every xdist worker sees.

    Read them, never change them: copy one first (`shutil.copytree`) to modify it.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def twelve_data(self) -> Path:
        """A 12-stack synthetic data folder with long names (5 runs each)."""
        from tests.synthetic import write_synthetic

        target = self.root / "twelve-data"
        with FileLock(str(self.root / "twelve-data.lock")):
            if not (target / ".complete").is_file():
                shutil.rmtree(target, ignore_errors=True)
                write_synthetic(target, 12, 5)
                (target / ".complete").touch()
        return target

    def data(self, kind: str) -> Path:
        """The data folder a shared build reads."""
        return {"sample": DATA, "bundled": BUNDLED}.get(kind) or self.twelve_data()

    def out(self, name: str, wait: bool = True) -> Path:
        """The output folder of the named build, built first if no worker has built it yet.

        With wait=False, return at once when another worker holds the build's lock (it is building it)."""
        kind, args = SHARED_BUILDS[name]
        target = self.root / name
        try:
            lock = FileLock(str(self.root / f"{name}.lock")).acquire(timeout=-1 if wait else 0)
        except Timeout:
            return target
        with lock:
            if not (target / "manifest.json").is_file():
                code = main(["build", "--data", str(self.data(kind)), "--out", str(target), *args])
                assert code == 0, f"the shared build {name} failed"
        return target

    def outs(self, names: list[str]) -> dict[str, Path]:
        """Several builds: first those no other worker is building (so two workers build different ones side by
        side instead of one waiting for the other), then the rest."""
        for name in names:
            self.out(name, wait=False)
        return {name: self.out(name) for name in names}

    def fresh_process(self) -> tuple[Path, Path]:
        """The bundled data built like "bundled-a4" but in a fresh `python -m report` process that differs in
        everything irrelevant: its own working folder, the data folder spelled relative to it, PYTHONHASHSEED,
        no chart cache (every chart drawn anew), a private TMPDIR and empty cache folders (matplotlib's font list is
        built anew, as on a fresh machine). Returns the output folder and that TMPDIR."""
        root = self.root / "fresh-process"
        out, tmp = root / "out", root / "tmp"
        with FileLock(str(self.root / "fresh-process.lock")):
            if not (out / "manifest.json").is_file():
                shutil.rmtree(root, ignore_errors=True)
                tmp.mkdir(parents=True)
                data = os.path.relpath(BUNDLED, root)
                env = {"PYTHONHASHSEED": "4242", "TMPDIR": str(tmp), "LEAD_MAGNET_CHART_CACHE": "off"}
                env |= {"MPLCONFIGDIR": str(root / "mplconfig"), "XDG_CACHE_HOME": str(root / "cache")}
                done = lm("build", "--data", data, "--out", "out", "--html", cwd=root, env=env)
                assert done.returncode == 0, done.stderr
        return out, tmp

    def pdf(self, name: str) -> Path:
        """The PDF of the named build."""
        return self.out(name) / PDF


@pytest.fixture(scope="session")
def shared(tmp_path_factory: pytest.TempPathFactory) -> SharedBuilds:
    """The run's shared builds; under xdist the workers' temporary folders share a parent, so they share these."""
    base = tmp_path_factory.getbasetemp()
    return SharedBuilds((base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared-builds")


@pytest.fixture(scope="session")
def built(shared: SharedBuilds) -> dict[str, Path]:
    """The sample report and a 12-stack one with long names, each at A4 and US Letter (built once per run)."""
    return {case: out / PDF for case, out in shared.outs(CASES).items()}


@pytest.fixture(scope="session")
def built_pdfa(shared: SharedBuilds) -> Path:
    """The sample report built as PDF/A-3B (`--pdf-variant pdf/a-3b`), once per run."""
    return shared.pdf("default-pdfa")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with slow tests first, in their collected order: with `--dist loadfile` each file goes to one worker,
    and a long file handed out last would leave the other worker idle at the end of the run."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: each file's tests stay together, in order
