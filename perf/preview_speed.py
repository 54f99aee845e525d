"""Preview benchmark: how long a save takes to show up, and what the chart cache saves.

Measured, medians over several rounds on a copy of data/:

1. first     the first rebuild in a fresh Preview (every chart drawn)
2. copy      a rebuild after a copy edit, with the chart cache (no chart redrawn)
3. nocache   the same rebuild with an empty cache every time (what the preview would cost without it)
4. colour    a rebuild after a stack colour change (the charts that use it redrawn)
5. save      end to end: a real `lead-magnet preview` process; from writing the file to the server's version
             changing (watchfiles + rebuild). The open page adds at most its 0.4 s polling interval.

Usage: python perf/preview_speed.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report.preview import ChartCache, Preview, PreviewOptions  # noqa: E402

SUMMARY = Path("copy") / "summary.md"


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def in_process(data: Path, rounds: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"first": [], "copy": [], "nocache": [], "colour": []}
    original = (data / SUMMARY).read_text(encoding="utf-8")
    report = (data / "report.yaml").read_text(encoding="utf-8")
    for n in range(rounds):
        preview = Preview(PreviewOptions(data_dir=data))
        results["first"].append(timed(preview.rebuild))
        (data / SUMMARY).write_text(original + f"\nEdit number {n}.\n", encoding="utf-8")
        results["copy"].append(timed(preview.rebuild))
        preview.cache = ChartCache()
        results["nocache"].append(timed(preview.rebuild))
        (data / "report.yaml").write_text(report.replace("#E69F00", f"#E69F{n % 10}0"), encoding="utf-8")
        results["colour"].append(timed(preview.rebuild))
        (data / SUMMARY).write_text(original, encoding="utf-8")
        (data / "report.yaml").write_text(report, encoding="utf-8")
    return results


def version(url: str) -> str:
    with urllib.request.urlopen(url + "__preview/version", timeout=10) as response:
        return str(response.read().decode())


def end_to_end(folder: Path, rounds: int) -> list[float]:
    server = subprocess.Popen(
        [sys.executable, "-m", "report", "preview", "--data", "data", "--port", "0"],
        cwd=folder,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert server.stdout is not None
        url = next(line.rsplit(" at ", 1)[1].strip() for line in server.stdout if line.startswith("Previewing"))
        summary = folder / "data" / SUMMARY
        original = summary.read_text(encoding="utf-8")
        times = []
        for n in range(rounds):
            before = version(url)
            start = time.perf_counter()
            summary.write_text(original + f"\nSaved edit {n}.\n", encoding="utf-8")
            while version(url) == before:
                time.sleep(0.01)
            times.append(time.perf_counter() - start)
            time.sleep(0.5)
        return times
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--rounds", type=int, default=5)
    rounds = args.parse_args().rounds
    with tempfile.TemporaryDirectory(prefix="preview-speed-") as tmp:
        folder = Path(tmp)
        shutil.copytree(ROOT / "data", folder / "data")
        results = in_process(folder / "data", rounds)
        results["save"] = end_to_end(folder, rounds)
    for name, values in results.items():
        print(
            f"{name:8} median {statistics.median(values):.3f} s  (min {min(values):.3f}, max {max(values):.3f}, "
            f"{len(values)} rounds)"
        )
    saved = statistics.median(results["nocache"]) / statistics.median(results["copy"])
    print(f"the chart cache makes a copy-edit rebuild {saved:.1f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
