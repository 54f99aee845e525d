"""The results JSON: in the output set and the manifest, valid against its schema, and equal to the CSVs.

The expected medians are computed here from the CSV files with the csv module and statistics.median, not with
the report's own code, so a mistake in the statistics cannot hide in both.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
from collections import defaultdict
from pathlib import Path
from statistics import median
from typing import Any

import jsonschema
import pytest
import yaml

from report import pipeline
from report.inputs.paths import PACKAGE_DIR
from report.inputs.semconv import replaced_by
from report.output import publish
from report.output.atomic import file_sha256
from report.output.manifest import PDF_NAME, RESULTS_NAME
from report.results import export as results
from report.results.numbers import fmt
from tests.conftest import BUNDLED, DATA, SharedBuilds
from tests.pdf_text import Char, read_pages


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


def test_sustainable_runs_and_the_ladder_runs_set_aside_add_up_to_the_csv(built: tuple[Path, Path]) -> None:
    """A rate with knee runs is judged by those alone; its short ladder runs are set aside, and the JSON says how many,
    so every row of latency.csv is accounted for."""
    data, out = built
    if not (data / "benchmarks" / "latency.csv").exists():
        pytest.skip("no open-loop data")
    rows = _rows(data, "latency.csv")
    seen = 0
    for stack in _doc(out)["stacks"]:
        for entry in stack.get("sustainable", []):
            mine = [
                r
                for r in rows
                if (r["stack"], r["variant"], r.get("endpoint") or "json")
                == (stack["id"], entry["variant"], entry["endpoint"])
                and r.get("phase") != "common"  # the common rate's runs are accounted for below
            ]
            assert entry["runs"] + entry["ladder_runs_set_aside"] == len(mine), (stack["id"], entry)
            seen += 1
        for entry in stack["measures"].get("common_rate", []):
            mine = [
                r
                for r in rows
                if (r["stack"], r["endpoint"], r.get("phase")) == (stack["id"], entry["endpoint"], "common")
                and r["load_limited"] == "0"
            ]
            assert entry["p99"]["n"] == len(mine) and {float(r["offered_rps"]) for r in mine} == {entry["offered_rps"]}
    if not seen:
        pytest.skip("no sustainable rates in this data")


def _evidence(data: Path) -> dict[tuple[str, str], float]:
    path = data / "benchmarks" / "evidence.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        found = {(row["stack"], row["measure"]): float(row["value"]) for row in csv.DictReader(f)}
    return found | _trace_checks(data)


def _trace_checks(data: Path) -> dict[tuple[str, str], float]:
    """trace_server_span_checks worked out here from traces.json: a SERVER span, http.route on it, named
    'GET <route>', and every attribute the levels file marks Required with none the conventions package marks
    deprecated; counted until one fails."""
    path = data / "benchmarks" / "traces.json"
    if not path.exists():
        return {}
    deprecated = set(replaced_by())
    required = _required_http()
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
            not deprecated & set(attrs) and required <= set(attrs),
        ]
        out[(t["stack"], "trace_server_span_checks")] = float(next((i for i, ok in enumerate(steps) if not ok), 4))
    return out


def _required_http() -> set[str]:
    """The HTTP server span's Required attributes, read straight from the generated levels file."""
    doc = yaml.safe_load((PACKAGE_DIR / "inputs" / "semconv_levels.yaml").read_text(encoding="utf-8"))
    return {n for n, r in doc["conventions"]["http"]["attributes"].items() if r["level"] == "required"}


def _expected_score(criterion: dict[str, Any], stack: str, evidence: dict[tuple[str, str], float]) -> int:
    """The typed score, or for a measured criterion the level its evidence reaches (worked out here, not by report)."""
    rule = criterion.get("score_from")
    if rule is None or (stack, rule["measure"]) not in evidence:
        return int(criterion["scores"][stack]["score"])
    lower, margin = rule["better"] == "lower", rule.get("tie_margin", 0.0)

    def reached(value: float) -> int:
        return max(
            (
                int(lv)
                for lv, bound in rule["thresholds"].items()
                if (value < bound * (1 + margin) if lower else value >= bound * (1 - margin))
            ),
            default=1,
        )

    value = evidence[(stack, rule["measure"])]
    others = [v for (_, m), v in evidence.items() if m == rule["measure"]]
    # a stack within the margin of another (on the worse side) takes that stack's level if it is higher
    tied = [reached(o) for o in others if (value <= o * (1 + margin) if lower else value >= o * (1 - margin))]
    return max([reached(value), *tied])


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


def _json_figures(value: object, out: set[str]) -> set[str]:
    """Every way the report prints a number the JSON holds: fixed decimals 0–3, as a percentage, as written in a
    string (notes, evidence), and plain integers (a seed, a year)."""
    if isinstance(value, bool):
        return out
    if isinstance(value, int | float):
        for d in range(4):
            out.add(fmt(value, d))
            out.add(fmt(value * 100, d))
        if float(value).is_integer():
            out.add(str(int(value)))
    elif isinstance(value, str):
        out.update(re.findall(NUMBER, value))
    elif isinstance(value, dict):
        for v in value.values():
            _json_figures(v, out)
    elif isinstance(value, list):
        for v in value:
            _json_figures(v, out)
    return out


NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?"


def _words(chars: list[Char]) -> list[str]:
    """The PDF's words, split where the characters' boxes leave a gap or the line changes."""
    words: list[str] = []
    word: list[str] = []
    prev: Char | None = None
    for c in chars:
        gap = prev is not None and (abs(c.top - prev.top) > 1 or c.x0 - prev.x1 > 0.8)
        if (gap or not c.text.strip()) and word:
            words.append("".join(word))
            word = []
        if c.text.strip():
            word.append(c.text)
        prev = c
    if word:
        words.append("".join(word))
    return words


def _axis_tick(number: str) -> bool:
    """A chart's scale mark, not a figure: an integer with one or two significant digits ending in 0 (20,000, 60,
    2,000), or a fraction below 1 with one or two significant digits (a waterfall's 0.006 or 0.035 ms tick)."""
    digits = number.replace(",", "")
    if re.fullmatch(r"\d{1,2}\.(25|5|75)", digits):  # a quarter tick: a waterfall's 1.75 ms, a p99 axis's 17.5
        return True
    if re.fullmatch(r"0\.0*[1-9][27]5", digits):  # a quarter tick of a short waterfall: 0.0125, 0.0175 ms
        return True
    if digits.startswith("0.") and len(digits) > 2:
        return len(digits[2:].lstrip("0")) <= 2
    return digits.isdigit() and len(digits.rstrip("0")) <= 2 and digits.endswith("0")


def test_every_number_the_pdf_prints_is_in_the_results_json(shared: SharedBuilds) -> None:
    out = shared.out("bundled-a4")
    known = _json_figures(json.loads((out / RESULTS_NAME).read_text(encoding="utf-8")), set())
    # the report's own settings (data/report.yaml: the call to action's "Part 32" and its link) are not figures
    known |= set(re.findall(NUMBER, (BUNDLED / "report.yaml").read_text(encoding="utf-8")))
    missing = []
    for n, page in enumerate(read_pages(out / PDF_NAME), 1):
        for word in _words(page.chars):
            if re.fullmatch(r"0\d", word):  # the contents page's chapter numbers
                continue
            for number in re.findall(NUMBER, word):
                if number not in known and not _axis_tick(number):
                    missing.append(f"page {n}: {number} in {word!r}")
    assert missing == []


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
        shown = [n for n, m in http["attributes"].items() if not (m == "missing" and http["levels"][n] == "opt_in")]
        assert http["set"] + http["old_name"] + http["missing"] == len(shown)
        server = next(s for s in mine["json"]["spans"] if s["kind"] == "server")
        assert http["missing_required"] == sorted(
            _required_http() - set(server["attributes"]), key=list(http["levels"]).index
        )


def test_the_json_carries_the_round_to_round_drift_as_measured(built: tuple[Path, Path]) -> None:
    """The Methodology's drift table prints each stack's drift before calibration too: the JSON has it per load point,
    the rounds' medians' range over their median."""
    _data, out = built
    seen = 0
    for stack in _doc(out)["stacks"]:
        for point in stack["measures"]["load"]:
            values = [v for _round, v in point["rps_by_run"]]
            if len(values) > 1:
                assert point["rps_drift_measured"] == pytest.approx((max(values) - min(values)) / median(values))
                seen += 1
            else:
                assert "rps_drift_measured" not in point
    assert seen
