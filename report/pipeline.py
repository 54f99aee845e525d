"""The build, top to bottom: load and validate everything, compute, draw, render, write."""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from report import publish
from report.config import ReportConfig, load_config
from report.data import Benchmarks, load_benchmarks
from report.errors import Collector, InputError, Problem, display_path
from report.fonts import FACES, FONT_DIRS, FONT_FILES
from report.prose import CopyFile, expected_sections, load_copy, render_copy
from report.render import Chart, Results, facts, measured_areas, render_html, view_model
from report.rubric import MEASURED_AREAS, Rubric, category_scores, load_rubric, overall_scores, relative_score
from report.stats import compute as compute_stats

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = PROJECT_ROOT / "templates"
PDF_NAME = publish.PDF_NAME
HTML_NAME = "backend-language-comparison.html"
CHART_DIR = "charts"
FIXED_SECTIONS = ("summary", "methodology", "startup", "memory", "throughput", "choosing", "about")


@dataclass(frozen=True)
class Inputs:
    """Every input file, validated."""

    data_dir: Path
    config: ReportConfig
    benchmarks: Benchmarks
    rubric: Rubric
    copy: dict[str, CopyFile]


@dataclass(frozen=True)
class BuildOptions:
    """What `lead-magnet build` was asked to do."""

    data_dir: Path
    out_dir: Path
    page_size: str = "a4"
    html: bool = False
    templates: Path = TEMPLATES
    force: bool = False


@dataclass
class BuildResult:
    """What a build wrote, or found already up to date."""

    pdf: Path
    pages: int
    size: int
    written: list[Path] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    sources: publish.Sources | None = None
    up_to_date: bool = False


def load(data_dir: Path) -> Inputs:
    """Read and validate every input file; raise InputError listing every problem found."""
    shown = display_path(data_dir)
    problems = Collector()
    if not data_dir.is_dir():
        raise InputError([Problem(shown, None, "", "data folder not found")])
    config, config_problems = load_config(data_dir, shown)
    problems.extend(config_problems)
    stack_ids = config.stack_ids if config else None
    bench, bench_problems = load_benchmarks(data_dir, shown, stack_ids)
    problems.extend(bench_problems)
    measures: dict[str, set[str]] | None = None
    if bench is not None:
        measures = {}
        for row in bench.evidence.itertuples(index=False):
            measures.setdefault(str(row.measure), set()).add(str(row.stack))
    rubric, rubric_problems = load_rubric(data_dir, shown, stack_ids, measures)
    problems.extend(rubric_problems)
    categories = [c.id for c in rubric.categories] if rubric else []
    copy, copy_problems = load_copy(data_dir, shown, expected_sections(FIXED_SECTIONS, categories))
    problems.extend(copy_problems)
    problems.raise_if_any()
    assert config is not None and bench is not None and rubric is not None
    return Inputs(data_dir, config, bench, rubric, copy)


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
        best = area.values[area.best]
        area_scores[key] = {
            sid: relative_score(v, best, area.lower_is_better, scale) for sid, v in area.values.items()
        }
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
    )


def prose(inputs: Inputs, results: Results) -> dict[str, Markup]:
    """The copy rendered to safe HTML with every placeholder filled."""
    rendered, problems = render_copy(inputs.copy, facts(results), inputs.data_dir)
    if problems:
        raise InputError(problems)
    return rendered


def check(data_dir: Path) -> Results:
    """Everything `build` validates, writing nothing."""
    inputs = load(data_dir)
    results = compute(inputs)
    prose(inputs, results)
    return results


def draw_charts(
    results: Results, cache: MutableMapping[str, bytes] | None = None
) -> dict[str, tuple[bytes, Chart]]:
    """Every chart as SVG bytes with its alt text, caption and source line; `cache` keeps unchanged ones."""
    from report import charts  # matplotlib is imported only when a build draws

    cfg, stats = results.config, results.stats
    names = {s.id: s.name for s in cfg.stacks}
    index = {s.id: i for i, s in enumerate(cfg.stacks)}

    def marks(order: list[str]) -> list[charts.Mark]:
        return [charts.Mark(names[s], next(x.color for x in cfg.stacks if x.id == s), index[s]) for s in order]

    areas = measured_areas(stats)
    out: dict[str, tuple[bytes, Chart]] = {}
    su = areas["startup"]
    values = [stats.startup[s].median for s in su.order]
    log = max(values) / min(values) > 20
    out["startup"] = (
        _draw(cache, charts.strip_chart, marks(su.order), [stats.startup[s].values for s in su.order], "ms", log,
              su.decimals),
        Chart(
            "startup.svg",
            alt=_alt_ranking("Startup time", su.order, names, su.text, f"{su.text(su.best)} is {_ratio(su)} faster than "
                             f"{names[su.worst]}"),
            caption=f"{names[su.best]} starts {_ratio(su)} faster than {names[su.worst]}."
            + (" Log scale: the range spans more than 20×." if log else ""),
            source=f"startup.csv, {min(stats.startup[s].n for s in su.order)}+ runs per stack; dots are runs, bars medians.",
        ),
    )
    mem = areas["memory"]
    idle = [stats.memory_idle[s].median for s in mem.order]
    load_ = [stats.memory_load[s].median for s in mem.order]
    out["memory"] = (
        _draw(cache, charts.paired_bars, marks(mem.order), idle, load_, ("idle", "under load"), "MB",
              mem.decimals),
        Chart(
            "memory.svg",
            alt=_alt_ranking("Peak memory under load", mem.order, names, mem.text,
                             f"{names[mem.best]} uses {_ratio(mem)} less than {names[mem.worst]}"),
            caption=f"{names[mem.best]} needs the least memory under load; {names[mem.worst]} needs {_ratio(mem)} as much.",
            source="memory.csv, median RSS per run; light bars idle, hatched bars peak under load.",
        ),
    )
    tp = areas["throughput"]
    levels = stats.levels
    series_order = tp.order
    med = [[stats.load[("baseline", c, s)].rps.median for c in levels] for s in series_order]
    lows = [[stats.load[("baseline", c, s)].rps.min for c in levels] for s in series_order]
    highs = [[stats.load[("baseline", c, s)].rps.max for c in levels] for s in series_order]
    out["throughput"] = (
        _draw(cache, charts.level_lines, marks(series_order), levels, med, lows, highs,
              "requests per second"),
        Chart(
            "throughput.svg",
            alt=_alt_ranking(f"Requests per second at {stats.top_level} connections", tp.order, names, tp.text,
                             f"{names[tp.best]} serves {_ratio(tp)} {names[tp.worst]}"),
            caption=f"{names[tp.best]} serves the most requests at every level measured to {stats.top_level} connections."
            if all(max(range(len(series_order)), key=lambda i: med[i][k]) == 0 for k in range(len(levels)))
            else f"At {stats.top_level} connections {names[tp.best]} serves the most requests.",
            source="throughput.csv, baseline variant; lines are medians, bands the range of runs.",
        ),
    )
    lat = areas["latency"]
    top = stats.top_level
    lat_series = [[stats.load[("baseline", top, s)].p50, stats.load[("baseline", top, s)].p90,
                   stats.load[("baseline", top, s)].p99] for s in lat.order]
    flat = [v for row in lat_series for v in row]
    lat_log = max(flat) / min(flat) > 50
    from report.numbers import decimals_for

    out["latency"] = (
        _draw(cache, charts.grouped_bars, marks(lat.order), lat_series, ("p50", "p90", "p99"), "ms", lat_log,
              decimals_for(flat)),
        Chart(
            "latency.svg",
            alt=_alt_ranking(f"p99 latency at {top} connections", lat.order, names, lat.text,
                             f"{names[lat.best]} has the lowest tail latency"),
            caption=f"{names[lat.best]} has the lowest p99 latency at {top} connections ({lat.text(lat.best)})."
            + (" Log scale." if lat_log else ""),
            source=f"throughput.csv, baseline variant at {top} connections; medians of each percentile over runs.",
        ),
    )
    cost = stats.otel_cost()
    if cost:
        order = sorted(cost, key=lambda s: -cost[s])
        base = [stats.load[("baseline", top, s)].rps.median for s in order]
        traced = [stats.load[("otel", top, s)].rps.median for s in order]
        kept = ", ".join(f"{names[s]} keeps {cost[s] * 100:.0f}%" for s in order)
        out["otel-cost"] = (
            _draw(cache, charts.paired_bars, marks(order), base, traced, ("without", "with tracing"), "req/s", 0),
            Chart(
                "otel-cost.svg",
                alt=f"Requests per second at {top} connections without and with OpenTelemetry tracing: {kept}.",
                caption=f"Tracing every request costs throughput: {kept} of its requests per second.",
                source=f"throughput.csv, baseline and otel variants at {top} connections.",
            ),
        )
    scale = (results.rubric.scale.min, results.rubric.scale.max)
    for category in results.categories:
        order = sorted(category.scores, key=lambda s: -category.scores[s])
        scores = [category.scores[s] for s in order]
        listing = ", ".join(f"{names[s]} {category.scores[s]:.2f}" for s in order)
        out[f"score-{category.id}"] = (
            _draw(cache, charts.score_bars, marks(order), scores, scale),
            Chart(
                f"score-{category.id}.svg",
                alt=f"{category.title}, weighted rubric score from {scale[0]} to {scale[1]}: {listing}.",
                caption=f"{names[order[0]]} scores highest on {category.title.lower()}.",
                source="rubric.yaml, weighted sum of criterion scores.",
            ),
        )
    return out


def _draw(cache: MutableMapping[str, bytes] | None, draw: Callable[..., bytes], *args: object) -> bytes:
    # The preview keeps charts between rebuilds: a chart is redrawn only when its inputs change.
    if cache is None:
        return draw(*args)
    # pickle, not repr: repr abbreviates long numpy arrays, and two different charts must never share a key
    key = hashlib.sha256(pickle.dumps((draw.__qualname__, args), protocol=5)).hexdigest()
    if key not in cache:
        cache[key] = draw(*args)
    return cache[key]


def _ratio(area: object) -> str:
    from report.numbers import ratio

    return ratio(area.spread_ratio)  # type: ignore[attr-defined]


def _alt_ranking(what: str, order: list[str], names: Mapping[str, str], text: object, finding: str) -> str:
    values = ", ".join(f"{names[s]} {text(s)}" for s in order)  # type: ignore[operator]
    return f"{what}, best first: {values}. {finding}."


def font_faces() -> list[dict[str, str]]:
    """@font-face entries for the template."""
    return [
        {"family": family, "weight": str(weight), "style": style, "url": path.as_uri()}
        for (family, weight, style), path in FACES.items()
    ]


def render(
    inputs: Inputs, page_size: str, templates: Path = TEMPLATES, chart_cache: MutableMapping[str, bytes] | None = None
) -> tuple[str, dict[str, tuple[bytes, Chart]]]:
    """Compute, draw and render the HTML; returns the HTML and the charts it refers to."""
    results = compute(inputs)
    copy = prose(inputs, results)
    drawn = draw_charts(results, chart_cache)
    chart_refs = {key: chart for key, (_svg, chart) in drawn.items()}
    relative = {key: Chart(f"{CHART_DIR}/{c.file}", c.alt, c.caption, c.source) for key, c in chart_refs.items()}
    logo = (inputs.data_dir / inputs.config.brand.logo).resolve().as_uri()
    model = view_model(results, copy, relative, page_size=page_size, logo_uri=logo, font_faces=font_faces())
    return render_html(templates, model), drawn


def build(options: BuildOptions) -> BuildResult:
    """Validate everything; unless the output is current, render in memory and publish the set atomically."""
    inputs = load(options.data_dir)  # bad input stops here, before anything under --out is touched
    sources = publish.sources(options.data_dir, page_size=options.page_size, html=options.html,
                              templates=options.templates, fonts=FONT_FILES.values())
    out = options.out_dir
    with publish.locked(out):  # concurrent builds into one folder take turns; the later ones find it current
        current = None if options.force else publish.up_to_date(out, sources)
        if current is not None:
            publish.remove_stale_temps(out)  # a killed build's leftovers go even when nothing is rendered
            return BuildResult(pdf=out / PDF_NAME, pages=int(current["pages"]), size=int(current["bytes"]),
                               manifest=current, sources=sources, up_to_date=True)
        from report.pdf import SafeFetcher, write_pdf  # WeasyPrint is imported only when a build renders

        html, drawn = render(inputs, options.page_size, options.templates)
        base_url = options.templates.resolve().as_uri() + "/"
        memory = {f"{base_url}{CHART_DIR}/{chart.file}": svg for svg, chart in drawn.values()}
        fetcher = SafeFetcher([options.templates, inputs.data_dir, *FONT_DIRS], memory)
        pdf = write_pdf(html, base_url, fetcher)
        extra: list[tuple[str, bytes, str]] = []
        if options.html:
            extra += [(f"{CHART_DIR}/{chart.file}", svg, "chart") for svg, chart in drawn.values()]
            extra.append((HTML_NAME, html.encode("utf-8"), "html"))
        about = publish.Edition(title=inputs.config.title, edition=inputs.config.edition,
                                page_size=options.page_size, sample_data=inputs.benchmarks.environment.sample)
        manifest = publish.publish_build(out, pdf, about, sources.digest(), extra)
    written = [out / str(entry["file"]) for entry in manifest["files"]] + [out / publish.MANIFEST_NAME]
    return BuildResult(pdf=out / PDF_NAME, pages=int(manifest["pages"]), size=len(pdf), written=written,
                       manifest=manifest, sources=sources)


def _page_count(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def atomic_write(path: Path, data: bytes) -> Path:
    """Write to a temporary file in the same folder, then rename it into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
