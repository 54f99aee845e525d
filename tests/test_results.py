"""The results JSON: in the output set and the manifest, valid against its schema, and equal to the CSVs.

The expected medians are computed here from the CSV files with the csv module and statistics.median, not with
the report's own code, so a mistake in the statistics cannot hide in both.
"""

from __future__ import annotations

import csv
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from report import pipeline, publish, results
from report.atomic import file_sha256
from report.manifest import RESULTS_NAME
from report.semconv import replaced_by
from tests.conftest import BUNDLED, DATA, SharedBuilds


@pytest.fixture(scope="module", params=["sample", "bundled"])
def built(request: pytest.FixtureRequest, shared: SharedBuilds) -> tuple[Path, Path]:
    """The shared build of the sample or the bundled data; read only."""
    if request.param == "sample":
        return DATA, shared.out("default-a4")
    return BUNDLED, shared.out("bundled-a4")


def _doc(out: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((out / RESULTS_NAME).read_text(encoding="utf-8"))
    return loaded


def _rows(data: Path, name: str) -> list[dict[str, str]]:
    with (data / "benchmarks" / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _median_by(rows: list[dict[str, str]], column: str, *keys: str) -> dict[tuple[str, ...], float]:
    groups: dict[tuple[str, ...], list[float]] = defaultdict(list)
    for row in rows:
        groups[tuple(row.get(k) or "baseline" for k in keys)].append(float(row[column]))
    return {key: statistics.median(values) for key, values in groups.items()}


def test_the_json_validates_against_its_schema(built: tuple[Path, Path]) -> None:
    schema = json.loads(results.SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(_doc(built[1]), schema, format_checker=jsonschema.FormatChecker())


def test_medians_equal_the_csvs(built: tuple[Path, Path]) -> None:
    data, out = built
    stacks = {s["id"]: s for s in _doc(out)["stacks"]}
    startup = _median_by(_rows(data, "startup.csv"), "startup_ms", "stack")
    memory = _median_by(_rows(data, "memory.csv"), "rss_mb", "stack", "phase")
    # the per-level measures are /json's (an absent endpoint column means json); /db has its own section
    throughput = [r for r in _rows(data, "throughput.csv") if r.get("endpoint", "json") in ("", "json")]
    for sid, stack in stacks.items():
        measures = stack["measures"]
        assert measures["startup"]["median"] == pytest.approx(startup[(sid,)], rel=1e-12)
        assert measures["memory_idle"]["median"] == pytest.approx(memory[(sid, "idle")], rel=1e-12)
        assert measures["memory_load"]["median"] == pytest.approx(memory[(sid, "load")], rel=1e-12)
    for column, field in (
        ("requests_per_sec", "rps"),
        ("latency_p50_ms", "p50"),
        ("latency_p90_ms", "p90"),
        ("latency_p99_ms", "p99"),
    ):
        expected = _median_by(throughput, column, "stack", "variant", "concurrency")
        found: dict[tuple[str, ...], float] = {
            (sid, p["variant"], str(p["concurrency"])): p[field]["median"] if field == "rps" else p[field]
            for sid, stack in stacks.items()
            for p in stack["measures"]["load"]
        }
        assert found.keys() == expected.keys()
        for key, value in expected.items():
            assert found[key] == pytest.approx(value, rel=1e-12), (column, key)


def _evidence(data: Path) -> dict[tuple[str, str], float]:
    path = data / "benchmarks" / "evidence.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        found = {(row["stack"], row["measure"]): float(row["value"]) for row in csv.DictReader(f)}
    return found | _trace_checks(data)


def _trace_checks(data: Path) -> dict[tuple[str, str], float]:
    """trace_server_span_checks worked out here from traces.json: a SERVER span, http.route on it, named
    'GET <route>', and no attribute the conventions package marks deprecated; counted until one fails."""
    path = data / "benchmarks" / "traces.json"
    if not path.exists():
        return {}
    deprecated = set(replaced_by())
    out = {}
    for t in json.loads(path.read_text(encoding="utf-8"))["traces"]:
        if t["variant"] != "otel" or t["endpoint"] != "json":
            continue
        server = next((s for s in t["spans"] if s["kind"] == "server"), None)
        attrs = server["attributes"] if server else {}
        steps = [
            server is not None,
            bool(attrs.get("http.route")),
            server is not None and server["name"] == f"GET {attrs.get('http.route')}",
            not deprecated & set(attrs),
        ]
        out[(t["stack"], "trace_server_span_checks")] = float(next((i for i, ok in enumerate(steps) if not ok), 4))
    return out


def _expected_score(criterion: dict[str, Any], stack: str, evidence: dict[tuple[str, str], float]) -> int:
    """The typed score, or for a measured criterion the level its evidence reaches (worked out here, not by report)."""
    rule = criterion.get("score_from")
    if rule is None or (stack, rule["measure"]) not in evidence:
        return int(criterion["scores"][stack]["score"])
    value = evidence[(stack, rule["measure"])]
    lower = rule["better"] == "lower"
    reached = [int(lv) for lv, bound in rule["thresholds"].items() if (value < bound if lower else value >= bound)]
    return max(reached, default=1)


def test_scores_follow_the_rubric_and_the_weights(built: tuple[Path, Path]) -> None:
    data, out = built
    doc = _doc(out)
    rubric = yaml.safe_load((data / "rubric.yaml").read_text(encoding="utf-8"))
    evidence = _evidence(data)
    for category in rubric["categories"]:
        for stack in doc["stacks"]:
            mine = stack["categories"][category["id"]]
            typed = {c["id"]: _expected_score(c, stack["id"], evidence) for c in category["criteria"]}
            expected = sum(c["weight"] * typed[c["id"]] for c in category["criteria"])
            assert mine["score"] == pytest.approx(expected)
            assert {k: v["score"] for k, v in mine["criteria"].items()} == typed
    for stack in doc["stacks"]:
        weighted = sum(w * stack["area_scores"][area] for area, w in doc["weights"].items())
        assert stack["overall"] == pytest.approx(weighted)
    ranks = sorted(doc["stacks"], key=lambda s: s["rank"])
    assert [s["overall"] for s in ranks] == sorted((s["overall"] for s in ranks), reverse=True)


def test_edition_sample_flag_and_stacks_come_from_the_inputs(built: tuple[Path, Path]) -> None:
    data, out = built
    doc = _doc(out)
    config = yaml.safe_load((data / "report.yaml").read_text(encoding="utf-8"))
    env = yaml.safe_load((data / "benchmarks" / "environment.yaml").read_text(encoding="utf-8"))
    assert doc["edition"] == config["edition"]
    assert doc["sample_data"] is env["sample"]
    assert [(s["id"], s["name"], s["framework"]) for s in doc["stacks"]] == [
        (s["id"], s["name"], s["framework"]) for s in config["stacks"]
    ]


def test_listed_in_the_manifest_and_published(built: tuple[Path, Path], tmp_path: Path) -> None:
    _data, out = built
    manifest = publish.verify(out)
    entry = next(e for e in manifest["files"] if e["file"] == RESULTS_NAME)
    assert entry["role"] == "results" and manifest["results"] == entry
    assert entry["sha256"] == file_sha256(out / RESULTS_NAME)
    dest = tmp_path / "static"
    publish.publish(out, dest)
    assert (dest / RESULTS_NAME).read_bytes() == (out / RESULTS_NAME).read_bytes()


def test_the_bytes_are_deterministic(built: tuple[Path, Path]) -> None:
    data, out = built
    again = results.results_bytes(pipeline.check(data))
    assert again == (out / RESULTS_NAME).read_bytes()
    assert again == results.to_bytes(json.loads(again))  # sorted keys, fixed indent, final newline


def test_span_counts_equal_the_captured_traces(built: tuple[Path, Path]) -> None:
    data, out = built
    path = data / "benchmarks" / "traces.json"
    stacks = {s["id"]: s for s in _doc(out)["stacks"]}
    if not path.exists():  # the sample data has no traces: no traces entry
        assert all("traces" not in s for s in stacks.values())
        return
    captured = json.loads(path.read_text(encoding="utf-8"))["traces"]
    for sid, stack in stacks.items():
        mine = {t["endpoint"]: t for t in captured if t["stack"] == sid and t["variant"] == "otel"}
        assert stack["traces"]["spans"] == {e: len(t["spans"]) for e, t in mine.items()}
        assert stack["traces"]["server_spans"] == {
            e: sum(1 for s in t["spans"] if s["kind"] == "server") for e, t in mine.items()
        }
        http = stack["traces"]["semconv"]["http"]
        assert http["set"] + http["old_name"] + http["missing"] == len(http["attributes"])
