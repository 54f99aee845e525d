"""Build-speed benchmark: every configuration measured side by side, interleaved, in one run.

Absolute times drift on a shared machine, so the script reports medians over several rounds and, above all,
ratios between configurations measured in the same rounds:

1. cold    `lead-magnet build --force` of the default report, fresh process (charts from the chart cache,
           as on any machine that has built before; `cold, no chart cache` is measured beside it)
2. floor   a fresh process that only renders the same final HTML with WeasyPrint
3. no-op   `lead-magnet build` with unchanged inputs
4. peak RSS of (1), PDF size and page count
5. scale   (1) for a 12-stack, 100-runs-per-stack fixture

Usage: python perf/build_speed.py [--rounds N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PDF = "backend-language-comparison.pdf"
HTML = "backend-language-comparison.html"
TARGETS = {
    "cold_over_floor": 1.25,
    "noop_s": 0.2,
    "noop_over_cold": 0.10,
    "peak_rss_mib": 180.0,
    "pdf_kib": 250.0,
    "scale_over_cold": 1.5,
}
# The floor renders the same HTML into the same kind of PDF (tagged PDF/UA, our metadata), as our build does;
# an untagged render is measured beside it for reference.
FLOOR_SCRIPT = """
import sys
from weasyprint import HTML
options = dict(pdf_variant="pdf/ua-1", pdf_tags=True, custom_metadata=True) if sys.argv[4] == "tagged" else {}
HTML(filename=sys.argv[1], base_url=sys.argv[2]).write_pdf(sys.argv[3], **options)
"""
GNU_TIME = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)


@dataclass
class Sample:
    """One timed process: wall seconds and its peak resident memory."""

    seconds: float
    peak_rss_mib: float


@dataclass
class Series:
    """Every sample of one configuration."""

    name: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def median_s(self) -> float:
        """Median wall time."""
        return statistics.median(s.seconds for s in self.samples)

    @property
    def peak_rss_mib(self) -> float:
        """Largest peak RSS seen."""
        return max(s.peak_rss_mib for s in self.samples)


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    """Run a command to completion, returning wall time and its peak RSS (largest process of its tree).

    The peak comes from GNU time when present: Python's own fork would count this script's memory too.
    """
    rss_file = None
    if GNU_TIME:
        handle, name = tempfile.mkstemp(suffix=".rss")
        os.close(handle)
        rss_file = Path(name)
        cmd = [GNU_TIME, "-f", "%M", "-o", str(rss_file), *cmd]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"command failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr.decode()}")
    peak_kib = 0.0
    if rss_file is not None:
        text = rss_file.read_text().strip().splitlines()
        peak_kib = float(text[-1]) if text else 0.0
        rss_file.unlink(missing_ok=True)
    return Sample(elapsed, peak_kib / 1024)


def lead_magnet() -> list[str]:
    """The installed CLI of this checkout."""
    exe = ROOT / ".venv" / "bin" / "lead-magnet"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "report"]


def supports(flag: str) -> bool:
    """Whether `build` knows a flag (older checkouts may not)."""
    out = subprocess.run([*lead_magnet(), "build", "--help"], capture_output=True, text=True, cwd=ROOT, check=False)
    return flag in out.stdout


def pdf_facts(path: Path) -> tuple[int, int]:
    """Size in bytes and page count of a PDF."""
    from pypdf import PdfReader

    return path.stat().st_size, len(PdfReader(path).pages)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    args_p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args_p.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    args_p.add_argument("--json", type=Path, default=ROOT / "output" / "build-speed.json", help="where to write JSON")
    args = args_p.parse_args(argv)

    from tests.synthetic import write_synthetic

    work = Path(tempfile.mkdtemp(prefix="lm-bench-"))
    try:
        big = write_synthetic(work / "data-12x100", 12, 100)
        force = ["--force"] if supports("--force") else []
        cli = lead_magnet()
        # the floor renders exactly the HTML our build produces, with the same charts and fonts
        html_out = work / "html"
        timed([*cli, "build", "--out", str(html_out), "--html", *force], ROOT)
        series = {name: Series(name) for name in ("cold", "cold_nocache", "floor", "floor_untagged", "noop", "scale")}
        nocache = {**os.environ, "LEAD_MAGNET_CHART_CACHE": "off"}
        noop_out = work / "noop"
        timed([*cli, "build", "--out", str(noop_out)], ROOT)
        for r in range(args.rounds):
            # rotate the order so drift and caches favour no configuration
            order = ["cold", "cold_nocache", "floor", "floor_untagged", "noop", "scale"]
            order = order[r % 6 :] + order[: r % 6]
            for name in order:
                if name == "cold":
                    out = work / f"cold-{r}"
                    series[name].samples.append(timed([*cli, "build", "--out", str(out), *force], ROOT))
                elif name == "cold_nocache":
                    out = work / f"nocache-{r}"
                    series[name].samples.append(timed([*cli, "build", "--out", str(out), *force], ROOT, nocache))
                elif name in ("floor", "floor_untagged"):
                    python = str(Path(cli[0]).parent / "python") if cli[0].endswith("lead-magnet") else sys.executable
                    kind = "tagged" if name == "floor" else "plain"
                    series[name].samples.append(
                        timed(
                            [
                                python,
                                "-c",
                                FLOOR_SCRIPT,
                                str(html_out / HTML),
                                html_out.as_uri() + "/",
                                str(work / f"{name}-{r}.pdf"),
                                kind,
                            ],
                            ROOT,
                        )
                    )
                elif name == "noop":
                    series[name].samples.append(timed([*cli, "build", "--out", str(noop_out)], ROOT))
                else:
                    out = work / f"scale-{r}"
                    series[name].samples.append(
                        timed([*cli, "build", "--data", str(big), "--out", str(out), *force], ROOT)
                    )
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
        size, pages = pdf_facts(work / "cold-0" / PDF)
        big_size, big_pages = pdf_facts(work / "scale-0" / PDF)
        cold, floor, noop, scale = (series[n] for n in ("cold", "floor", "noop", "scale"))
        nocache_s = series["cold_nocache"]
        result = {
            "machine": {
                "cpu": platform.processor() or platform.machine(),
                "cores": os.cpu_count(),
                "python": platform.python_version(),
            },
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "rounds": args.rounds,
            "force_flag": bool(force),
            "median_s": {n: round(s.median_s, 3) for n, s in series.items()},
            "peak_rss_mib": {n: round(s.peak_rss_mib, 1) for n, s in series.items()},
            "pdf": {
                "kib": round(size / 1024, 1),
                "pages": pages,
                "scale_kib": round(big_size / 1024, 1),
                "scale_pages": big_pages,
            },
            "ratios": {
                "cold_over_floor": round(cold.median_s / floor.median_s, 3),
                "cold_nocache_over_floor": round(nocache_s.median_s / floor.median_s, 3),
                "noop_over_cold": round(noop.median_s / cold.median_s, 3),
                "scale_over_cold": round(scale.median_s / cold.median_s, 3),
            },
            "samples": {n: [asdict(x) for x in s.samples] for n, s in series.items()},
        }
        checks = {
            "cold_over_floor": result["ratios"]["cold_over_floor"] <= TARGETS["cold_over_floor"],
            "noop_s": noop.median_s <= TARGETS["noop_s"],
            "noop_over_cold": result["ratios"]["noop_over_cold"] <= TARGETS["noop_over_cold"],
            "peak_rss_mib": cold.peak_rss_mib <= TARGETS["peak_rss_mib"],
            "pdf_kib": size / 1024 <= TARGETS["pdf_kib"],
            "scale_over_cold": result["ratios"]["scale_over_cold"] <= TARGETS["scale_over_cold"],
        }
        result["stages"] = {
            "default": stage_table(cli, work / "stages-default", None),
            "scale": stage_table(cli, work / "stages-scale", big),
        }
        result["targets"] = TARGETS
        result["met"] = checks
        print_table(result)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def stage_table(cli: list[str], out: Path, data: Path | None) -> str:
    """Where a cold build's time goes, from `build --force --timings`."""
    extra = ["--data", str(data)] if data else []
    done = subprocess.run(
        [*cli, "build", "--out", str(out), "--force", "--timings", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stderr.strip()


def print_table(r: dict[str, object]) -> None:
    """The human summary: medians, ratios and which targets are met."""
    med = r["median_s"]
    rss = r["peak_rss_mib"]
    pdf = r["pdf"]
    ratios = r["ratios"]
    met = r["met"]
    assert isinstance(med, dict) and isinstance(rss, dict) and isinstance(pdf, dict)
    assert isinstance(ratios, dict) and isinstance(met, dict)

    def mark(key: str) -> str:
        return "met" if met[key] else "NOT MET"

    print(f"\nbuild speed, {r['rounds']} interleaved rounds, medians ({r['machine']})")
    print(f"  (1) cold build --force        {med['cold']:7.3f} s   peak RSS {rss['cold']:6.1f} MiB")
    print(f"      cold, no chart cache      {med['cold_nocache']:7.3f} s   peak RSS {rss['cold_nocache']:6.1f} MiB")
    print(f"      floor, untagged PDF       {med['floor_untagged']:7.3f} s   peak RSS {rss['floor_untagged']:6.1f} MiB")
    print(f"  (2) WeasyPrint floor          {med['floor']:7.3f} s   peak RSS {rss['floor']:6.1f} MiB")
    print(f"  (3) no-op build               {med['noop']:7.3f} s   peak RSS {rss['noop']:6.1f} MiB")
    print(f"  (5) 12 stacks x 100 runs      {med['scale']:7.3f} s   peak RSS {rss['scale']:6.1f} MiB")
    print(
        f"  PDF {pdf['kib']} KiB, {pdf['pages']} pages (12-stack: {pdf['scale_kib']} KiB, {pdf['scale_pages']} pages)"
    )
    print("\n  ratio / figure              value    target   ")
    print(f"  (1)/(2) cold over floor    {ratios['cold_over_floor']:6.2f}   <= 1.25   {mark('cold_over_floor')}")
    print(f"      no chart cache / floor {ratios['cold_nocache_over_floor']:6.2f}   (for reference)")
    print(f"  (3) no-op seconds          {med['noop']:6.2f}   <= 0.20   {mark('noop_s')}")
    print(f"  (3)/(1) no-op over cold    {ratios['noop_over_cold']:6.2f}   <= 0.10   {mark('noop_over_cold')}")
    print(f"  peak RSS of (1), MiB       {rss['cold']:6.1f}   <= 180    {mark('peak_rss_mib')}")
    print(f"  PDF size, KiB              {pdf['kib']:6.1f}   <= 250    {mark('pdf_kib')}")
    print(f"  (5)/(1) scale over cold    {ratios['scale_over_cold']:6.2f}   <= 1.50   {mark('scale_over_cold')}")
    stages = r.get("stages")
    if isinstance(stages, dict):
        for name, table in stages.items():
            print(f"\n  where a cold build's time goes ({name}; build --force --timings):")
            print("\n".join("    " + line for line in str(table).splitlines()))


if __name__ == "__main__":
    raise SystemExit(main())
