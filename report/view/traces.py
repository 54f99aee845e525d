"""The OpenTelemetry chapter's traces: a waterfall per stack and endpoint, and the semantic-convention table with
each attribute's requirement level."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from report.inputs.phrases import phrases
from report.inputs.semconv import Coverage, levels, package_version, requirements
from report.inputs.traces import ENDPOINTS, db_span, server_span, summarise, traced
from report.results.computed import Chart, Results
from report.view.sustained import bun_release

# Which span of each endpoint's trace the table checks, and against which convention.
_CHECKED = {"json": "http", "db": "db"}


def _none(convention: str, results: Results) -> str:
    """The sentence that stands for an empty convention table; the /db one names the Bun release it speaks of."""
    say = phrases().say
    if convention != "db":
        return say(f"semconv_none_{convention}")
    env = results.environment
    return say("semconv_none_db", bun=bun_release(getattr(env, "versions", {}) or {}))


def view(results: Results, charts: Mapping[str, Chart]) -> dict[str, Any]:
    """Per endpoint: the waterfalls in the stacks' order and the table of stable attribute names by stack."""
    cfg = results.config
    say = phrases().say
    endpoints = []
    for endpoint in ENDPOINTS:
        stacks = [s for s in cfg.stacks if traced(results.traces, s.id, endpoint) is not None]
        if not stacks:
            continue
        convention = _CHECKED[endpoint]
        summaries = {s.id: summarise(results.traces, s.id) for s in stacks}
        covs = [summaries[s.id].http if convention == "http" else summaries[s.id].db for s in stacks]
        counts = []
        for s in stacks:
            trace = traced(results.traces, s.id, endpoint)
            assert trace is not None
            checked = server_span(trace) if convention == "http" else db_span(trace)
            counts.append(
                {
                    "spans": str(len(trace.spans)),
                    "server": str(sum(1 for sp in trace.spans if sp.kind == "server")),
                    "checked": checked.name if checked is not None else "",
                }
            )
        endpoints.append(
            {
                "endpoint": endpoint,
                "convention": convention,
                "charts": [charts[f"trace-{endpoint}-{s.id}"] for s in stacks if f"trace-{endpoint}-{s.id}" in charts],
                "stacks": [{"name": s.name, "color": s.color} for s in stacks],
                "counts": counts,
                "rows": rows(convention, covs),
                "legend": say(f"semconv_legend_{convention}", version=levels().version),
                # no stack's trace has the span the convention is about: one sentence instead of an empty table
                "none": "" if any(c["checked"] for c in counts) else _none(convention, results),
            }
        )
    return {
        "endpoints": endpoints,
        "package": package_version() if endpoints else "",
        "release": levels().version if endpoints else "",
    }


def rows(convention: str, covs: list[Coverage | None]) -> list[dict[str, Any]]:
    """One row per attribute of the convention, Required first: its level (and condition), and each stack's mark.
    Opt-in attributes are listed only where a stack sets one; a Required one a stack lacks is marked `short`."""
    say = phrases().say
    out = []
    for name, req in requirements(convention).items():
        marks = ["none" if cov is None else cov.marks[name] for cov in covs]
        if req.level == "opt_in" and all(m in ("missing", "none") for m in marks):
            continue
        out.append(
            {
                "name": name,
                "level": say(f"semconv_{req.level}"),
                # a conditional Recommended one too (network.peer.port: if network.peer.address is set)
                "condition": code_parts(req.condition) if req.condition else [],
                "cells": [
                    {
                        "mark": mark,
                        "old": mark not in ("set", "missing", "none"),
                        "short": req.level == "required" and mark not in ("set", "none"),
                    }
                    for mark in marks
                ],
            }
        )
    return out


def code_parts(text: str) -> list[dict[str, Any]]:
    """The model's condition text in parts, an attribute name in backticks (`http.request.method`) as code."""
    return [{"text": part, "code": i % 2 == 1} for i, part in enumerate(re.split(r"`([^`]+)`", text)) if part]
