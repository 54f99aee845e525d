"""Chart planning without matplotlib: one job per chart, a cache key that follows the inputs, cached charts reused."""

from __future__ import annotations

import dataclasses

import pytest

from report import pipeline
from report.results.computed import Results
from report.view import charts, figures
from tests.conftest import DATA


@pytest.fixture(scope="module")
def results() -> Results:
    return pipeline.compute(pipeline.load(DATA))


def test_the_plan_has_one_job_per_chart_each_drawn_by_a_chart_function(results: Results) -> None:
    jobs = figures.plan(results)
    keys = [job.key for job in jobs]
    assert keys[:5] == ["overall", "startup", "memory", "throughput", "latency"]  # the order the report shows
    assert len(set(keys)) == len(keys)
    assert len({job.chart.file for job in jobs}) == len(jobs)
    assert {f"score-{c.id}" for c in results.rubric.categories} <= set(keys)
    assert all(callable(getattr(charts, job.function, None)) for job in jobs)
    assert all(job.chart.alt and job.chart.caption and job.chart.source for job in jobs)


def test_the_startup_job_carries_every_run_in_ranking_order(results: Results) -> None:
    startup = next(job for job in figures.plan(results) if job.key == "startup")
    marks, runs = startup.args[0], startup.args[1]
    order = [s.id for s in results.config.stacks]
    fastest_first = sorted(order, key=lambda s: results.stats.startup[s].median)
    names = {s.id: s.name for s in results.config.stacks}
    assert [m.label for m in marks] == [names[s] for s in fastest_first]
    assert list(runs) == [results.stats.startup[s].values for s in fastest_first]


def test_the_cache_key_is_stable_and_follows_the_arguments(results: Results) -> None:
    job = next(job for job in figures.plan(results) if job.key == "startup")  # its last argument: decimals
    assert figures.job_key(job) == figures.job_key(dataclasses.replace(job))
    changed = dataclasses.replace(job, args=(*job.args[:-1], job.args[-1] + 1))
    assert figures.job_key(changed) != figures.job_key(job)
    renamed = dataclasses.replace(job, chart=dataclasses.replace(job.chart, caption="other words"))
    assert figures.job_key(renamed) == figures.job_key(job)  # the words are not drawn: same picture


def test_cached_charts_are_not_drawn_again(results: Results) -> None:
    jobs = figures.plan(results)
    cache = {figures.job_key(job): f"<svg>{job.key}</svg>".encode() for job in jobs}
    pending = figures.Pending(jobs, cache, background=True)
    assert pending.drawn_count == 0
    drawn = pending.result()
    assert list(drawn) == [job.key for job in jobs]
    memory = next(job for job in jobs if job.key == "memory")
    assert drawn["memory"] == (b"<svg>memory</svg>", memory.chart)


def test_only_the_missing_chart_is_drawn_and_then_cached(results: Results) -> None:
    jobs = figures.plan(results)
    cache = {figures.job_key(job): b"<svg/>" for job in jobs if job.key != "memory"}
    pending = figures.Pending(jobs, cache, background=False)
    assert pending.drawn_count == 1
    svg, _chart = pending.result()["memory"]
    assert svg.startswith(b"<?xml") and b"<svg" in svg
    assert cache[figures.job_key(next(job for job in jobs if job.key == "memory"))] == svg
