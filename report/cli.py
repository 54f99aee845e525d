"""The `lead-magnet` command: parses arguments, calls the library, prints problems, sets the exit code."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from report import __version__
from report.errors import ReportError

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2


def parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    p = argparse.ArgumentParser(
        prog="lead-magnet",
        description="Build the 'Backend Language Comparison' PDF from benchmark data and a scoring rubric.",
    )
    p.add_argument("--version", action="version", version=f"lead-magnet {__version__}")
    p.add_argument("--debug", action="store_true", help="show a traceback for unexpected errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    b = sub.add_parser("build", help="validate the data and write the PDF")
    b.add_argument("--data", type=Path, default=Path("data"), help="input folder (default: data)")
    b.add_argument("--out", type=Path, default=Path("output"), help="output folder (default: output)")
    b.add_argument("--page-size", choices=("a4", "letter"), default="a4", help="paper size (default: a4)")
    b.add_argument("--html", action="store_true", help="also write the intermediate HTML and its charts")

    c = sub.add_parser("check", help="validate every input file and write nothing")
    c.add_argument("--data", type=Path, default=Path("data"), help="input folder (default: data)")

    bench = sub.add_parser("bench", help="measure the reference services and write data/benchmarks/")
    try:
        from report.bench import cli as bench_cli
    except ImportError:
        bench.set_defaults(bench_missing=True)
    else:
        bench_cli.add_arguments(bench)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ReportError as exc:
        for problem in exc.problems():
            print(f"error: {problem}", file=sys.stderr)
        count = len(exc.problems())
        print(f"lead-magnet: {count} problem{'s' if count != 1 else ''} found; nothing was written.", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("lead-magnet: interrupted; nothing was written.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: one clear line, traceback on request
        if args.debug or os.environ.get("LEAD_MAGNET_DEBUG"):
            traceback.print_exc()
        print(f"lead-magnet: internal error: {type(exc).__name__}: {exc} (run with --debug for details)",
              file=sys.stderr)
        return EXIT_INPUT


def _dispatch(args: argparse.Namespace) -> int:
    from report import pipeline

    if args.command == "check":
        results = pipeline.check(args.data)
        stacks = ", ".join(s.name for s in results.config.stacks)
        sample = " (sample data)" if results.environment.sample else ""
        print(f"{args.data}: all inputs valid: {len(results.config.stacks)} stacks ({stacks}){sample}.")
        return EXIT_OK
    if args.command == "build":
        result = pipeline.build(
            pipeline.BuildOptions(data_dir=args.data, out_dir=args.out, page_size=args.page_size, html=args.html)
        )
        print(f"wrote {result.pdf} ({result.pages} pages, {result.size / 1024:.0f} KiB)")
        return EXIT_OK
    if args.command == "bench":
        if getattr(args, "bench_missing", False):
            print("lead-magnet: the benchmark harness is not installed in this checkout", file=sys.stderr)
            return EXIT_INPUT
        from report.bench import cli as bench_cli

        return bench_cli.run(args)
    raise AssertionError(f"unhandled command {args.command}")
