"""The OpenTelemetry chapter's semantic-convention tables: each attribute's requirement level from the official model,
Required first, a missing Required attribute marked, and the legend from templates/phrases.yaml."""

from __future__ import annotations

import pytest

from report import pipeline
from report.inputs.phrases import phrases
from report.inputs.semconv import coverage, levels, requirements
from report.results.computed import Results
from report.view.traces import code_parts, rows, view
from tests.conftest import BUNDLED


@pytest.fixture(scope="module")
def results() -> Results:
    return pipeline.compute(pipeline.load(BUNDLED))


def test_the_json_table_shows_levels_and_marks_bun_short_of_the_required(results: Results) -> None:
    table = next(t for t in view(results, {})["endpoints"] if t["endpoint"] == "json")
    assert [s["name"] for s in table["stacks"]] == ["Go", "Bun", "FastAPI"]
    by_name = {r["name"]: r for r in table["rows"]}
    assert [r["name"] for r in table["rows"][:3]] == ["http.request.method", "url.path", "url.scheme"]
    assert {by_name[n]["level"] for n in ("http.request.method", "url.path", "url.scheme")} == {"Required"}
    # the shipped traces: Bun's server span carries url.full, not url.path and url.scheme
    for name in ("url.path", "url.scheme"):
        assert [(c["mark"], c["short"]) for c in by_name[name]["cells"]] == [
            ("set", False),
            ("missing", True),
            ("set", False),
        ]
    assert by_name["http.route"]["level"] == "Conditionally required"
    assert by_name["http.route"]["condition"] == [{"text": "If and only if it's available", "code": False}]
    assert by_name["client.address"]["level"] == "Recommended" and by_name["client.address"]["condition"] == []
    # the model's condition on a Recommended attribute is printed too (review 7)
    assert by_name["network.peer.port"]["level"] == "Recommended"
    assert by_name["network.peer.port"]["condition"] == [
        {"text": "If ", "code": False},
        {"text": "network.peer.address", "code": True},
        {"text": " is set.", "code": False},
    ]
    assert table["legend"] == phrases().say("semconv_legend_http", version=levels().version)
    assert "1.44.0" in table["legend"]


def test_opt_in_rows_appear_only_where_a_stack_sets_one() -> None:
    required = {"http.request.method": "GET", "url.path": "/", "url.scheme": "http"}
    plain = coverage("http", required)
    with_port = coverage("http", {**required, "client.port": 5000})
    opt_in = [n for n, r in requirements("http").items() if r.level == "opt_in"]
    assert "client.port" in opt_in
    assert not {r["name"] for r in rows("http", [plain, None])} & set(opt_in)
    shown = {r["name"]: r for r in rows("http", [plain, with_port])}
    assert set(shown) & set(opt_in) == {"client.port"}
    assert [c["mark"] for c in shown["client.port"]["cells"]] == ["missing", "set"]
    assert shown["client.port"]["level"] == "Opt-in"
    # a stack without the span gets '–' cells, never marked short
    assert [(c["mark"], c["short"]) for c in shown["url.path"]["cells"]] == [("set", False), ("set", False)]
    assert [(c["mark"], c["short"]) for c in rows("http", [None])[0]["cells"]] == [("none", False)]


def test_a_required_attribute_set_under_an_old_name_is_short() -> None:
    cov = coverage("http", {"http.method": "GET", "url.path": "/", "url.scheme": "http"})
    first = rows("http", [cov])[0]
    assert first["name"] == "http.request.method"
    assert first["cells"] == [{"mark": "http.method", "old": True, "short": True}]


def test_backticked_names_in_a_condition_become_code() -> None:
    assert code_parts("If and only if it's different than `http.request.method`.") == [
        {"text": "If and only if it's different than ", "code": False},
        {"text": "http.request.method", "code": True},
        {"text": ".", "code": False},
    ]
