"""The OpenTelemetry chapter's traces: a waterfall per stack and endpoint, and the semantic-convention table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from report.inputs.semconv import package_version, stable_names
from report.inputs.traces import ENDPOINTS, db_span, server_span, summarise, traced
from report.results.computed import Chart, Results

# Which span of each endpoint's trace the table checks, and against which convention.
_CHECKED = {"json": "http", "db": "db"}


def view(results: Results, charts: Mapping[str, Chart]) -> dict[str, Any]:
    """Per endpoint: the waterfalls in the stacks' order and the table of stable attribute names by stack."""
    cfg = results.config
    endpoints = []
    for endpoint in ENDPOINTS:
        stacks = [s for s in cfg.stacks if traced(results.traces, s.id, endpoint) is not None]
        if not stacks:
            continue
        convention = _CHECKED[endpoint]
        summaries = {s.id: summarise(results.traces, s.id) for s in stacks}
        rows = []
        for name in stable_names(convention):
            cells = []
            for s in stacks:
                cov = summaries[s.id].http if convention == "http" else summaries[s.id].db
                mark = "none" if cov is None else cov.marks[name]
                cells.append({"mark": mark, "old": mark not in ("set", "missing", "none")})
            rows.append({"name": name, "cells": cells})
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
                "rows": rows,
            }
        )
    return {"endpoints": endpoints, "package": package_version() if endpoints else ""}
