"""The `lead-magnet` command: parses arguments, calls the library, prints problems, sets the exit code."""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from report import __version__
from report.errors import ReportError
from report.inputs.options import DEFAULT_PORT

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
    b.add_argument("--force", action="store_true", help="rebuild even when the output is up to date")
    b.add_argument("--depfile", type=Path, metavar="FILE", help="also write a Make dependency file listing every input")
    b.add_argument("--timings", action="store_true", help="print how long each stage took (to stderr)")
    b.add_argument(
        "--pdf-variant",
        choices=("pdf/ua-1", "pdf/a-3b"),
        default="pdf/ua-1",
        help="PDF flavour: pdf/ua-1 (tagged, accessible; default) or pdf/a-3b (archiving)",
    )
    b.add_argument("--utm-campaign", metavar="NAME", help="add UTM parameters to the CTA and blog links")
    b.add_argument("--utm-source", default="lead-magnet", metavar="NAME", help="utm_source (default: lead-magnet)")
    b.add_argument("--utm-medium", default="pdf", metavar="NAME", help="utm_medium (default: pdf)")

    pub = sub.add_parser("publish", help="copy the verified latest build into another folder, atomically")
    pub.add_argument("--out", type=Path, default=Path("output"), help="build folder to copy from (default: output)")
    pub.add_argument("--dest", type=Path, required=True, help="folder to publish into, e.g. the blog's static files")

    v = sub.add_parser("verify", help="check the latest build against its manifest (exit 0 or 1)")
    v.add_argument("--out", type=Path, default=Path("output"), help="build folder to check (default: output)")

    c = sub.add_parser("check", help="validate every input file and write nothing")
    c.add_argument("--data", type=Path, default=Path("data"), help="input folder (default: data)")

    pv = sub.add_parser("preview", help="serve the report on 127.0.0.1 and rebuild it whenever a file changes")
    pv.add_argument("--data", type=Path, default=Path("data"), help="input folder (default: data)")
    pv.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 (default: {DEFAULT_PORT})")
    pv.add_argument("--page-size", choices=("a4", "letter"), default="a4", help="paper size (default: a4)")

    ne = sub.add_parser("new-edition", help="start the next edition: bump edition and published in report.yaml")
    ne.add_argument("edition", metavar="EDITION", help='the new edition, e.g. "2027.01"')
    ne.add_argument("--data", type=Path, default=Path("data"), help="input folder (default: data)")
    ne.add_argument("--out", type=Path, default=Path("output"), help="output folder (default: output)")
    ne.add_argument("--published", type=_date, default=None, help="publication date (default: today)")

    bench = sub.add_parser("bench", help="measure the reference services and write data/benchmarks/")
    try:
        from report.bench import cli as bench_cli
    except ImportError:
        bench.set_defaults(bench_missing=True)
    else:
        bench_cli.add_arguments(bench)
    return p


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-11-21, found {text!r}") from None


LONG_LIVED = {"preview", "bench"}


def run() -> NoReturn:
    """Console entry point: main(), then exit at once.

    One-shot commands run without the cyclic garbage collector (they allocate millions of short-lived
    layout objects and end within seconds), and skip the interpreter's teardown of pandas, matplotlib and
    WeasyPrint: every file is written and fsynced and every child reaped before main() returns.
    """
    if not LONG_LIVED.intersection(sys.argv[1:2]):
        gc.disable()
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


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
        print(
            f"lead-magnet: internal error: {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr
        )
        return EXIT_INPUT


def _publishing(args: argparse.Namespace) -> int:
    from report.output import publish  # light: the up-to-date path must not import the PDF worker's WeasyPrint
    from report.output.manifest import describe

    if args.command == "verify":
        print(describe(args.out, publish.verify(args.out), "verified"))
        return EXIT_OK
    if args.command == "publish":
        manifest, written = publish.publish(args.out, args.dest)
        print(describe(args.dest, manifest, f"published {len(written)} changed file(s) to"))
        return EXIT_OK
    from report.inputs.options import BuildOptions, OutputOptions
    from report.output.sources import write_depfile

    options = BuildOptions(
        data_dir=args.data,
        out_dir=args.out,
        page_size=args.page_size,
        html=args.html,
        force=args.force,
        output=OutputOptions(args.pdf_variant, args.utm_campaign, args.utm_source, args.utm_medium),
    )
    found = None if args.force else publish.quick_check(options)
    if found is None:
        from report.output import pdf_worker

        # started before the heavy imports below, so WeasyPrint loads on the other core meanwhile
        worker = pdf_worker.start()
        try:
            from report import pipeline

            result = pipeline.build(options, renderer=worker)
        finally:
            if worker is not None:
                worker.cancel()
        assert result.sources is not None
        found = (result.manifest, result.sources)
        state = "up to date, nothing rendered (--force rebuilds):" if result.up_to_date else "wrote"
        if args.timings and result.timings is not None:
            print(result.timings.table(), file=sys.stderr)
    else:
        state = "up to date, nothing rendered (--force rebuilds):"
        if args.timings:
            print("timings: inputs and output unchanged, so no stage ran (the hash check only)", file=sys.stderr)
    if args.depfile:
        write_depfile(args.depfile, found[1], args.out)
    print(describe(args.out, found[0], state))
    return EXIT_OK


def _dispatch(args: argparse.Namespace) -> int:
    if args.command in ("build", "publish", "verify"):
        return _publishing(args)
    from report import pipeline

    if args.command == "check":
        results = pipeline.check(args.data)
        stacks = ", ".join(s.name for s in results.config.stacks)
        sample = " (sample data)" if results.environment.sample else ""
        print(f"{args.data}: all inputs valid: {len(results.config.stacks)} stacks ({stacks}){sample}.")
        return EXIT_OK
    if args.command == "preview":
        from report import preview

        options = preview.PreviewOptions(data_dir=args.data, port=args.port, page_size=args.page_size)
        preview.serve(options, log=lambda line: print(line, flush=True))
        return EXIT_OK
    if args.command == "new-edition":
        from report.output import edition

        started = edition.new_edition(args.data, args.out, args.edition, args.published)
        print(started.summary())
        return EXIT_OK
    if args.command == "bench":
        if getattr(args, "bench_missing", False):
            print("lead-magnet: the benchmark harness is not installed in this checkout", file=sys.stderr)
            return EXIT_INPUT
        from report.bench import cli as bench_cli

        return bench_cli.run(args)
    raise AssertionError(f"unhandled command {args.command}")
