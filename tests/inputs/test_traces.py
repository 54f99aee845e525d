"""traces.json: its checks (one line per problem), the server-span checks, tree order and the per-stack summary.

The traces here are synthetic; the shipped data/benchmarks/traces.json comes from a harness run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from report.inputs.traces import Trace, load_traces, server_checks, summarise, trace_measures, tree_rows

STACKS = ["go", "bun", "fastapi"]


def span(i: int, parent: int | None, name: str, kind: str = "internal", **attrs: Any) -> dict[str, Any]:
    return {
        "id": i,
        "parent": parent,
        "name": name,
        "kind": kind,
        "scope": "test",
        "start_ms": 0.01 * i,
        "duration_ms": 0.5 - 0.1 * i,
        "status": "unset",
        "attributes": attrs,
    }


def trace(stack: str, endpoint: str, spans: list[dict[str, Any]], variant: str = "otel") -> dict[str, Any]:
    return {
        "stack": stack,
        "variant": variant,
        "endpoint": endpoint,
        "chosen_from": 10,
        "duration_ms": 0.5,
        "resource": {"service.name": stack},
        "spans": spans,
    }


def server(name: str = "GET /json", **attrs: Any) -> dict[str, Any]:
    return span(0, None, name, "server", **attrs)


def doc(traces: list[dict[str, Any]]) -> str:
    return json.dumps({"selection": "synthetic", "traces": traces}, indent=2) + "\n"


def valid() -> list[dict[str, Any]]:
    return [trace(s, "json", [server(**{"http.route": "/json"})]) for s in STACKS]


def _model(d: dict[str, Any]) -> Trace:
    return Trace.model_validate(d)


def test_a_valid_file_loads_and_an_absent_one_is_no_problem(tmp_path: Path) -> None:
    assert load_traces(tmp_path, "data/benchmarks", STACKS) == ((), [])
    (tmp_path / "traces.json").write_text(doc(valid()))
    traces, problems = load_traces(tmp_path, "data/benchmarks", STACKS)
    assert problems == [] and [t.stack for t in traces] == STACKS


def test_malformed_traces_give_one_line_each(tmp_path: Path) -> None:
    traces = valid()
    traces[0]["spans"].append(span(2, 7, "orphan"))  # numbered 2 at index 1, parent 7 of 2 spans
    traces[1]["spans"][0]["kind"] = "serverr"
    traces[1]["spans"][0]["duration_ms"] = -1
    del traces[2]["chosen_from"]
    traces[2]["spanz"] = []
    (tmp_path / "traces.json").write_text(doc(traces))
    _got, problems = load_traces(tmp_path, "data/benchmarks", STACKS)
    assert [str(p) for p in problems] == [
        "data/benchmarks/traces.json:54: traces[1].spans[0].kind: expected one of 'server', 'client', 'internal', "
        "'producer', 'consumer' or 'unspecified', found 'serverr'",
        "data/benchmarks/traces.json:57: traces[1].spans[0].duration_ms: expected a number of at least 0, found '-1'",
        "data/benchmarks/traces.json:65: traces[2].chosen_from: this required key is missing",
        "data/benchmarks/traces.json:88: traces[2].spanz: unknown key; did you mean 'spans'?",
    ]


def test_cross_checks_name_the_line_and_key(tmp_path: Path) -> None:
    traces = valid()
    traces[0]["spans"].append(span(2, 7, "orphan"))
    traces[1]["stack"] = "rust"
    traces.append(trace("go", "json", [server()]))
    traces.append(trace("go", "db", [server("GET /db"), span(1, None, "pg")]))
    (tmp_path / "traces.json").write_text(doc(traces))
    _got, problems = load_traces(tmp_path, "data/benchmarks", STACKS)
    assert [str(p) for p in problems] == [
        "data/benchmarks/traces.json:28: traces[0].spans[1].id: expected 1 (spans are numbered in order from 0), "
        "found 2",
        "data/benchmarks/traces.json:29: traces[0].spans[1].parent: expected the id of another span of this trace "
        "(0 to 1) or null, found 7",
        "data/benchmarks/traces.json:41: traces[1].stack: unknown stack 'rust'; expected one of the ids in "
        "report.yaml: go, bun, fastapi",
        "data/benchmarks/traces.json:90: traces[3]: a second trace for go otel /json; the first is traces[0]",
        "data/benchmarks/traces.json:122: traces[4].spans: expected exactly one root span (parent null), found 2",
        "data/benchmarks/traces.json:3: traces: no otel trace of /json for stack 'bun'; every stack needs one",
        "data/benchmarks/traces.json:3: traces: no otel trace of /db for stack 'bun'; every stack needs one",
        "data/benchmarks/traces.json:3: traces: no otel trace of /db for stack 'fastapi'; every stack needs one",
    ]


def test_not_json_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "traces.json").write_text('{"selection": "x", "traces": [\n  {"stack": }\n]}\n')
    _got, problems = load_traces(tmp_path, "data/benchmarks", STACKS)
    assert [str(p) for p in problems] == [
        "data/benchmarks/traces.json:2: this is not valid JSON (Expecting value at column 13)"
    ]


REQUIRED = {"http.request.method": "GET", "url.path": "/json", "url.scheme": "http"}


def test_server_checks_stop_at_the_first_failed() -> None:
    def checks(*spans: dict[str, Any]) -> int:
        return server_checks(_model(trace("go", "json", list(spans))))

    assert checks(span(0, None, "GET /json")) == 0  # no SERVER span
    assert checks(server("GET")) == 1
    assert checks(server("GET", **{"http.route": "/json"})) == 2
    assert checks(server("GET /json", **{"http.route": "/json", **REQUIRED, "http.method": "GET"})) == 3
    assert checks(server("GET /json", **{"http.route": "/json", **REQUIRED})) == 4
    # a name after the route without http.route stops at the second check
    assert checks(server("GET /json", **REQUIRED)) == 1


def test_a_server_span_lacking_a_required_attribute_stops_at_the_third_check() -> None:
    """Bun's captured span: method, status code, route and url.full, but not the url.path and url.scheme the stable
    HTTP server span convention requires; so 3 checks, level 4 of 5, whatever else it carries."""
    bun: dict[str, Any] = {"http.request.method": "GET", "http.response.status_code": 200, "http.route": "/json"}
    bun["url.full"] = "http://127.0.0.1/json"
    assert server_checks(_model(trace("bun", "json", [server(**bun)]))) == 3
    for name in REQUIRED:
        attrs = {"http.route": "/json", **REQUIRED, "client.address": "127.0.0.1"}
        del attrs[name]
        assert server_checks(_model(trace("go", "json", [server(**attrs)]))) == 3, name
    # Conditionally Required (other than http.route) and Recommended attributes are not scored
    assert server_checks(_model(trace("go", "json", [server(**{"http.route": "/json", **REQUIRED})]))) == 4


def test_tree_rows_are_depth_first_in_start_order() -> None:
    t = _model(
        trace(
            "fastapi",
            "json",
            [server(), span(1, 0, "a"), span(2, 1, "a.child"), span(3, 0, "b")],
        )
    )
    assert [(s.name, depth) for s, depth in tree_rows(t)] == [("GET /json", 0), ("a", 1), ("a.child", 2), ("b", 1)]


def test_summary_counts_and_marks_old_names() -> None:
    traces = (
        _model(
            trace(
                "fastapi",
                "json",
                [server(**{"http.route": "/json", "http.method": "GET", "http.target": "/json"}), span(1, 0, "send")],
            )
        ),
        _model(
            trace(
                "fastapi",
                "db",
                [server("GET /db"), span(1, 0, "SELECT", "client", **{"db.statement": "SELECT 1", "db.system": "x"})],
            )
        ),
        _model(trace("fastapi", "json", [server("GET /json")], variant="elysia")),  # not the traced variant
    )
    s = summarise(traces, "fastapi")
    assert (s.spans, s.server_spans, s.db_spans) == ({"json": 2, "db": 2}, {"json": 1, "db": 1}, 1)
    assert s.http is not None and s.db is not None
    assert (s.http.marks["http.request.method"], s.http.marks["http.route"], s.http.marks["url.path"]) == (
        "http.method",
        "set",
        "http.target",
    )
    assert s.http.marks["url.scheme"] == "missing"
    assert (s.db.marks["db.query.text"], s.db.marks["db.system.name"]) == ("db.statement", "db.system")
    assert s.old_names == ("db.statement", "db.system", "http.method", "http.target")
    # http.request.method and url.path only under old names (http.method, http.target), url.scheme not at all:
    # three Required attributes missing under their current names
    assert trace_measures(traces, ["fastapi", "go"]) == {
        ("fastapi", "trace_server_span_checks"): (3.0, "checks"),
        ("fastapi", "trace_server_missing_required"): (3.0, "attributes"),
    }
