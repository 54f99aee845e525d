"""The stable semantic-convention names come from the official package, their requirement levels from the official
model (report/inputs/semconv_levels.yaml, checked here against its schema and the package), with what each deprecated
name became."""

from __future__ import annotations

import shutil
from pathlib import Path

from opentelemetry.semconv.attributes import db_attributes, http_attributes, url_attributes

from report.inputs.semconv import (
    LEVELS_FILE,
    check_levels,
    coverage,
    load_levels,
    newest_schema,
    old_names,
    package_stable_names,
    package_version,
    replaced_by,
    requirements,
    stable_names,
)
from tests.conftest import edit

SHOWN = "report/inputs/semconv_levels.yaml"


def _line(path: Path, text: str) -> int:
    return path.read_text(encoding="utf-8").splitlines().index(text) + 1


def test_the_shipped_levels_file_matches_its_schema_and_the_installed_package() -> None:
    assert check_levels() == []
    doc, problems = load_levels()
    assert problems == [] and doc is not None
    assert doc.package == package_version() and doc.version == newest_schema()
    assert {c.group for c in doc.conventions.values()} == {"span.http.server", "span.db.client"}
    for convention in doc.conventions.values():
        assert set(convention.attributes) <= package_stable_names()


def test_the_http_server_span_requires_method_path_and_scheme() -> None:
    # the stable HTTP server span convention's Required attributes, as its model resolves them
    http = requirements("http")
    assert [n for n, r in http.items() if r.level == "required"] == [
        http_attributes.HTTP_REQUEST_METHOD,
        url_attributes.URL_PATH,
        url_attributes.URL_SCHEME,
    ]
    assert http[http_attributes.HTTP_ROUTE].level == "conditionally_required"
    assert http[http_attributes.HTTP_ROUTE].condition == "If and only if it's available"
    # url.full belongs to client spans; header templates are prefixes, not attribute names
    assert url_attributes.URL_FULL not in http and not any(name.endswith(".header") for name in http)
    assert requirements("db")[db_attributes.DB_QUERY_TEXT].level == "recommended"


def test_names_are_the_conventions_in_level_order() -> None:
    http = stable_names("http")
    assert http[:3] == ("http.request.method", "url.path", "url.scheme")
    order = ["required", "conditionally_required", "recommended", "opt_in"]
    ranks = [order.index(requirements("http")[n].level) for n in http]
    assert ranks == sorted(ranks)
    assert package_version().startswith("opentelemetry-semantic-conventions ")


def test_a_levels_file_that_does_not_fit_gives_one_line_each(tmp_path: Path) -> None:
    path = tmp_path / "semconv_levels.yaml"
    shutil.copy(LEVELS_FILE, path)
    edit(path, "package: opentelemetry-semantic-conventions ", "package: opentelemetry-semantic-conventions 0.1b0 was ")
    edit(path, "version: 1.", "version: 0.")
    edit(path, "      url.path:\n        level: required", "      url.pathh:\n        level: required")
    edit(path, "      url.scheme:\n        level: required", "      url.scheme:\n        level: mandatory")
    edit(
        path,
        "        level: conditionally_required\n        condition: If request has ended with an error.",
        "        level: conditionally_required",
    )
    edit(path, "  db:\n    group:", "  dbb:\n    group:")
    _doc, problems = load_levels(path, SHOWN)
    got = [str(p) for p in problems]
    installed, newest = package_version(), newest_schema()
    again = "run scripts/semconv-levels.py for the release the installed package was generated from"
    version_line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if t.startswith("version: "))
    assert got == [
        f"{SHOWN}:{_line(path, '        level: mandatory')}: conventions.http.attributes.url.scheme.level: expected "
        "one of 'required', 'conditionally_required', 'recommended' or 'opt_in', found 'mandatory'",
    ]
    # the schema error stops the file there; the cross-checks run on a file that fits the schema
    edit(path, "        level: mandatory", "        level: required")
    _doc, problems = load_levels(path, SHOWN)
    pkg_line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if t.startswith("package: "))
    assert [str(p) for p in problems] == [
        f"{SHOWN}:{pkg_line}: package: expected {installed}, the package the attribute names come from, found "
        f"'opentelemetry-semantic-conventions 0.1b0 was {installed.split()[-1]}'; {again}",
        f"{SHOWN}:{version_line}: version: expected {newest}, the newest release {installed} knows, found "
        f"0.{newest.split('.', 1)[1]}; {again}",
        f"{SHOWN}:{_line(path, '  dbb:')}: conventions.dbb: unknown convention 'dbb'; expected one of: http, db",
        f"{SHOWN}:{_line(path, 'conventions:')}: conventions: no 'db' convention; the report checks http, db; {again}",
        f"{SHOWN}:{_line(path, '      url.pathh:')}: conventions.http.attributes.url.pathh: 'url.pathh' is not a "
        f"stable attribute name in {installed}; {again}",
        f"{SHOWN}:{_line(path, '      error.type:')}: conventions.http.attributes.error.type: expected a condition "
        "for a conditionally required attribute, found none",
    ]


def test_a_condition_on_a_required_attribute_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "semconv_levels.yaml"
    shutil.copy(LEVELS_FILE, path)
    edit(
        path,
        "      url.path:\n        level: required",
        "      url.path:\n        level: required\n        condition: x",
    )
    _doc, problems = load_levels(path, SHOWN)
    assert [str(p) for p in problems] == [
        f"{SHOWN}:{_line(path, '        condition: x')}: conventions.http.attributes.url.path.condition: expected no "
        "condition for a required attribute, found 'x'"
    ]


def test_deprecated_names_map_to_what_replaced_them() -> None:
    old = replaced_by()
    assert old["http.method"] == (http_attributes.HTTP_REQUEST_METHOD,)
    assert old["http.target"] == (url_attributes.URL_PATH, url_attributes.URL_QUERY)
    assert old["db.statement"] == (db_attributes.DB_QUERY_TEXT,)


def test_coverage_marks_set_missing_and_old_and_names_the_missing_required() -> None:
    cov = coverage("http", {"http.request.method": "GET", "http.status_code": 200, "url.full": "x", "custom": 1})
    marks = cov.marks
    assert marks["http.request.method"] == "set"
    assert marks["http.response.status_code"] == "http.status_code"
    assert marks["http.route"] == "missing"
    assert cov.missing_required == ("url.path", "url.scheme")  # url.full is not a server span attribute
    assert cov.levels["url.path"] == "required" and cov.levels["client.port"] == "opt_in"
    # an old name for a Required attribute does not satisfy it
    assert coverage("http", {"http.method": "GET", "url.path": "/", "url.scheme": "http"}).missing_required == (
        "http.request.method",
    )
    # opt-in attributes a span lacks are not counted missing
    assert cov.missing_count == sum(1 for n, m in marks.items() if m == "missing" and cov.levels[n] != "opt_in")
    assert old_names({"http.status_code": 200, "http.route": "/json"}) == ["http.status_code"]
