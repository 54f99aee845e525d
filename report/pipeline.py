"""The build, top to bottom: load and validate everything, compute, draw, render, write."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from report.errors import BuildError, Collector, InputError, Problem, display_path
from report.inputs import phrases
from report.inputs.config import ReportConfig, load_config
from report.inputs.data import OTHER_MACHINE, REPRODUCTION, Benchmarks, load_benchmarks, load_benchmarks_and_evidence
from report.inputs.options import BuildOptions, same_url
from report.inputs.paths import TEMPLATES
from report.inputs.prose import CopyFile, expected_sections, load_copy, render_copy
from report.inputs.rubric import MEASURED_AREAS, Rubric, category_scores, load_rubric, overall_scores
from report.inputs.semconv import check_levels
from report.inputs.traces import trace_measures
from report.output import publish
from report.output.atomic import remove_stale_temps
from report.output.lock import locked
from report.output.manifest import MANIFEST_NAME, PDF_NAME, RESULTS_NAME, Edition
from report.output.pdf_worker import PdfWorker
from report.output.sources import Sources, for_build
from report.output.timings import Timings, since_process_start
from report.results.computed import Chart, Results
from report.results.export import results_bytes
from report.results.findings import measured_areas
from report.results.latency import compute as latency_stats
from report.results.reproduction import compare
from report.results.scoring import measured_scores, robustness
from report.results.stats import compute as compute_stats
from report.view import figures, offload
from report.view.fonts import FACES, FONT_DIRS
from report.view.html import render_html
from report.view.model import facts, view_model

HTML_NAME = "backend-language-comparison.html"
CHART_DIR = "charts"
FIXED_SECTIONS = ("summary", "methodology", "startup", "memory", "throughput", "choosing", "about")
DATA_SECTIONS = ("latency", "database")  # copy needed only when latency.csv or /db rows are present


@dataclass(frozen=True)
class Inputs:
    """Every input file, validated."""

    data_dir: Path
    config: ReportConfig
    benchmarks: Benchmarks
    rubric: Rubric
    copy: dict[str, CopyFile]
    reproduction: Benchmarks | None = None  # data/benchmarks/reproduction/, when present
    other_machine: Benchmarks | None = None  # data/benchmarks/other-machine/, when present


@dataclass
class BuildResult:
    """What a build wrote, or found already up to date."""

    pdf: Path
    pages: int
    size: int
    written: list[Path] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    sources: Sources | None = None
    up_to_date: bool = False
    timings: Timings | None = None


def load(data_dir: Path) -> Inputs:
    """Read and validate every input file; raise InputError listing every problem found."""
    shown = display_path(data_dir)
    problems = Collector()
    if not data_dir.is_dir():
        raise InputError([Problem(shown, None, "", "data folder not found")])
    config, config_problems = load_config(data_dir, shown)
    problems.extend(config_problems)
    stack_ids = config.stack_ids if config else None
    bench, evidence_rows, bench_problems = load_benchmarks_and_evidence(data_dir, shown, stack_ids)
    problems.extend(bench_problems)
    second: Benchmarks | None = None
    if (data_dir / REPRODUCTION).is_dir():  # validated like the shipped run, by the same loaders
        second, second_problems = load_benchmarks(data_dir, shown, stack_ids, REPRODUCTION)
        problems.extend(second_problems)
    other: Benchmarks | None = None
    if (data_dir / OTHER_MACHINE).is_dir():
        other, other_problems = load_benchmarks(data_dir, shown, stack_ids, OTHER_MACHINE)
        problems.extend(other_problems)
    # the rubric is checked against evidence.csv's valid rows even when another benchmark file has problems
    measures: dict[str, set[str]] | None = None
    evidence = dict(evidence_rows.values) if evidence_rows is not None else None
    if evidence is not None:
        measures = {}
        for stack, measure in evidence:
            measures.setdefault(measure, set()).add(stack)
        if bench is not None:  # measures computed from the captured traces (traces.json) score like evidence.csv's
            for (stack, measure), value_unit in trace_measures(bench.traces, stack_ids or ()).items():
                measures.setdefault(measure, set()).add(stack)
                evidence[(stack, measure)] = value_unit
    rubric, rubric_problems = load_rubric(
        data_dir,
        shown,
        stack_ids,
        measures,
        evidence,
        # without the benchmark set (another file refused) the trace measures are unknown: not reported as missing
        evidence_complete=evidence_rows is not None and evidence_rows.complete and bench is not None,
    )
    problems.extend(rubric_problems)
    categories = [c.id for c in rubric.categories] if rubric else []
    data_sections = []  # sections shown only when their data is there (older data folders lack it)
    if bench is not None and len(bench.latency):
        data_sections.append("latency")
    if bench is not None and (bench.throughput["endpoint"] == "db").any():
        data_sections.append("database")
    copy, copy_problems = load_copy(
        data_dir,
        shown,
        [*expected_sections(FIXED_SECTIONS, categories), *data_sections],
        complete=rubric is not None,
        optional=DATA_SECTIONS,
    )
    problems.extend(copy_problems)
    problems.extend(phrases.check())
    problems.extend(check_levels())  # the semantic conventions' requirement levels the trace tables and scores use
    problems.raise_if_any()
    if config is None or bench is None or rubric is None:  # each loader records why it returns nothing
        raise BuildError("an input file was refused without a problem recorded; this is a bug in lead-magnet")
    return Inputs(data_dir, config, bench, rubric, copy, second, other)


def compute(inputs: Inputs) -> Results:
    """Statistics, rubric scores and the overall weighted score."""
    stack_ids = inputs.config.stack_ids
    stats = compute_stats(inputs.benchmarks, stack_ids)
    categories = category_scores(inputs.rubric, stack_ids)
    areas = measured_areas(stats)
    scale = inputs.rubric.scale
    area_scores: dict[str, dict[str, float]] = {}
    for key in MEASURED_AREAS:
        area = areas[key]
        area_scores[key] = measured_scores(area.spreads, area.lower_is_better, scale)
    for category in categories:
        area_scores[category.id] = dict(category.scores)
    weights = inputs.rubric.area_weights()
    return Results(
        config=inputs.config,
        environment=inputs.benchmarks.environment,
        stats=stats,
        rubric=inputs.rubric,
        categories=categories,
        area_scores=area_scores,
        overall=overall_scores(area_scores, weights),
        weights=weights,
        robustness=robustness(area_scores, stack_ids),
        latency=latency_stats(
            inputs.benchmarks, {str(k): v for k, v in inputs.config.latency_slo_ms.items()}, stack_ids
        ),
        reproduction=compare(inputs.benchmarks, inputs.reproduction, stack_ids) if inputs.reproduction else None,
        portability=compare(inputs.benchmarks, inputs.other_machine, stack_ids) if inputs.other_machine else None,
        traces=inputs.benchmarks.traces,
    )


def prose(inputs: Inputs, results: Results, link: Callable[[str], str] | None = None) -> dict[str, Markup]:
    """The copy rendered to safe HTML with every placeholder filled."""
    rendered, problems = render_copy(inputs.copy, facts(results), inputs.data_dir, link=link)
    if problems:
        raise InputError(problems)
    return rendered


def check(data_dir: Path) -> Results:
    """Everything `build` validates, writing nothing."""
    inputs = load(data_dir)
    results = compute(inputs)
    prose(inputs, results)
    return results


def draw_charts(results: Results, cache: MutableMapping[str, bytes] | None = None) -> figures.Drawn:
    """Every chart as SVG bytes with its alt text, caption and source line; `cache` keeps unchanged ones."""
    return figures.draw(figures.plan(results), cache)


def font_faces() -> list[dict[str, str]]:
    """@font-face entries for the template."""
    return [
        {"family": family, "weight": str(weight), "style": style, "url": path.as_uri()}
        for (family, weight, style), path in FACES.items()
    ]


def render(
    inputs: Inputs, page_size: str, templates: Path = TEMPLATES, chart_cache: MutableMapping[str, bytes] | None = None
) -> tuple[str, figures.Drawn]:
    """Compute, draw and render the HTML; returns the HTML and the charts it refers to."""
    html, pending = prepare(inputs, page_size, templates, chart_cache, background=False)
    return html, pending.result()


def prepare(
    inputs: Inputs,
    page_size: str,
    templates: Path = TEMPLATES,
    chart_cache: MutableMapping[str, bytes] | None = None,
    *,
    background: bool = True,
    timings: Timings | None = None,
    link: Callable[[str], str] | None = None,
) -> tuple[str, figures.Pending]:
    """The HTML, and the charts it refers to as they are being drawn (in a child process when background)."""
    t = timings or Timings()
    blog = blog_links(inputs.config, link)
    with t.stage("statistics and copy"):
        results = compute(inputs)
        copy = prose(inputs, results, blog)
    with t.stage("charts: plan and start"):
        jobs = figures.plan(results)
        pending = figures.Pending(jobs, chart_cache, background=background)
    t.notes["charts: plan and start"] = f"{pending.drawn_count} of {len(jobs)} to draw, the rest cached"
    with t.stage("html"):
        relative = {
            job.key: Chart(f"{CHART_DIR}/{job.chart.file}", job.chart.alt, job.chart.caption, job.chart.source)
            for job in jobs
        }
        logo = (inputs.data_dir / inputs.config.brand.logo).resolve().as_uri()
        model = view_model(
            results, copy, relative, page_size=page_size, logo_uri=logo, font_faces=font_faces(), link=blog
        )
        html = render_html(templates, model)
    return html, pending


def blog_links(config: ReportConfig, link: Callable[[str], str] | None) -> Callable[[str], str]:
    """Campaign parameters go on links to our own sites (the CTA's and the brand's), never on third parties'."""
    from urllib.parse import urlsplit

    if link is None:
        return same_url
    hosts = {urlsplit(config.cta.url).netloc, urlsplit(config.brand.website).netloc}
    return lambda url: link(url) if urlsplit(url).netloc in hosts else url


def build(options: BuildOptions, renderer: PdfWorker | None = None) -> BuildResult:
    """Validate everything; unless the output is current, render in memory and publish the set atomically."""
    t = Timings()
    started = since_process_start()
    if started is not None:
        t.stages["start-up: interpreter and imports"] = started
    with t.stage("load and validate"):
        inputs = load(options.data_dir)  # bad input stops here, before anything under --out is touched
    with t.stage("up-to-date check"):
        found = for_build(options)  # the same list the no-op check hashes
    out = options.out_dir
    with locked(out):  # concurrent builds into one folder take turns; the later ones find it current
        with t.stage("up-to-date check"):
            current = None if options.force else publish.up_to_date(out, found)
        if current is not None:
            remove_stale_temps(out)  # a killed build's leftovers go even when nothing is rendered
            return BuildResult(
                pdf=out / PDF_NAME,
                pages=int(current["pages"]),
                size=int(current["bytes"]),
                manifest=current,
                sources=found,
                up_to_date=True,
                timings=t,
            )
        # charts are drawn in a child on the second core while this process imports WeasyPrint
        html, pending = prepare(
            inputs, options.page_size, options.templates, offload.default_cache(), timings=t, link=options.output.link()
        )
        with t.stage("charts: wait"):
            drawn = pending.result()
        base_url = options.templates.resolve().as_uri() + "/"
        memory = {f"{base_url}{CHART_DIR}/{chart.file}": svg for svg, chart in drawn.values()}
        roots = [options.templates, inputs.data_dir, *FONT_DIRS]
        if renderer is not None:  # WeasyPrint was imported in the renderer while this process did the above
            with t.stage("pdf: layout and write (renderer process)"):
                pdf = renderer.render(html, base_url, roots, memory, options.output.pdf_options())
        else:
            with t.stage("import weasyprint"):
                from report.output.pdf import SafeFetcher, write_pdf  # imported only when a build renders
            with t.stage("pdf: layout and write"):
                pdf = write_pdf(html, base_url, SafeFetcher(roots, memory), options.output.pdf_options())
        extra: list[tuple[str, bytes, str]] = [(RESULTS_NAME, results_bytes(compute(inputs)), "results")]
        if options.html:
            extra += [(f"{CHART_DIR}/{chart.file}", svg, "chart") for svg, chart in drawn.values()]
            extra.append((HTML_NAME, html.encode("utf-8"), "html"))
        about = Edition(
            title=inputs.config.title,
            edition=inputs.config.edition,
            page_size=options.page_size,
            sample_data=inputs.benchmarks.environment.sample,
            pdf_variant=options.output.pdf_variant,
        )
        with t.stage("publish: cover, manifest, files"):
            manifest = publish.publish_build(out, pdf, about, found.digest(), extra)
    written = [out / str(entry["file"]) for entry in manifest["files"]] + [out / MANIFEST_NAME]
    return BuildResult(
        pdf=out / PDF_NAME,
        pages=int(manifest["pages"]),
        size=len(pdf),
        written=written,
        manifest=manifest,
        sources=found,
        timings=t,
    )
