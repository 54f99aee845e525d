"""The stable semantic-convention names come from the official package, with what each deprecated name became."""

from __future__ import annotations

from opentelemetry.semconv.attributes import db_attributes, http_attributes, url_attributes

from report.inputs.semconv import coverage, old_names, package_version, replaced_by, stable_names


def test_names_are_the_packages_stable_constants() -> None:
    http = stable_names("http")
    assert http_attributes.HTTP_REQUEST_METHOD in http and url_attributes.URL_PATH in http
    assert db_attributes.DB_QUERY_TEXT in stable_names("db")
    # header templates are prefixes, not attribute names
    assert not any(name.endswith(".header") for name in http)
    assert package_version().startswith("opentelemetry-semantic-conventions ")


def test_deprecated_names_map_to_what_replaced_them() -> None:
    old = replaced_by()
    assert old["http.method"] == (http_attributes.HTTP_REQUEST_METHOD,)
    assert old["http.target"] == (url_attributes.URL_PATH, url_attributes.URL_QUERY)
    assert old["db.statement"] == (db_attributes.DB_QUERY_TEXT,)


def test_coverage_marks_set_missing_and_old() -> None:
    marks = coverage("http", {"http.request.method": "GET", "http.status_code": 200, "custom": 1}).marks
    assert marks["http.request.method"] == "set"
    assert marks["http.response.status_code"] == "http.status_code"
    assert marks["http.route"] == "missing"
    assert old_names({"http.status_code": 200, "http.route": "/json"}) == ["http.status_code"]
