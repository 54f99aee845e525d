"""templates/phrases.yaml: the words of the report's comparative sentences, each a template with {placeholders}.

report/results/claims.py decides who leads, where and whether it is a tie; this module reads the words it says that
with, and checks them: every phrase present, none unknown, and each one using exactly the placeholders its sentence
fills in, reported as file:line: key: … like every other input.
"""

from __future__ import annotations

import difflib
import functools
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from report.errors import InputError, Problem
from report.inputs.paths import TEMPLATES
from report.inputs.validation import LineMap
from report.inputs.yaml_model import load_yaml

FILE = "phrases.yaml"
SHOWN = f"templates/{FILE}"

# Every phrase and the placeholders it must use (and may only use).
PHRASES: dict[str, tuple[str, ...]] = {
    "lead": ("leader", "verb"),
    "lead_where": ("leader", "verb", "where"),
    "lead_tie": ("group", "verb", "tie"),
    "lead_tie_where": ("group", "verb", "where", "tie"),
    "tie": (),
    "group_large": ("first", "second", "others"),
    "gap": ("ratio", "than", "worst"),
    "gap_bare": ("ratio", "worst"),
    "gap_same": ("same", "worst"),
    "gap_chained": ("apart", "gap", "reach", "worst"),
    "ratio_range": ("low", "high"),
    "level": ("levels",),
    "every_level": ("levels",),
    "only_levels": ("levels",),
    "holds_some": ("lead", "elsewhere"),
    "elsewhere_separator": (),
    "level_lead": ("levels", "leader", "verb"),
    "level_tie": ("levels", "group"),
    "score_lead": ("group", "what"),
    "gap_at_level": ("gap", "level"),
    "need_lead": ("group", "need"),
    "need_tie": ("group", "need"),
    "score_tie": ("group", "what"),
    "same_order": (),
    "different_order": ("order",),
    "drift_startup": ("label", "early", "early_median", "late", "late_median", "shift"),
    "calibration": ("median", "range"),
    "on_machine": ("day",),
    "on_machine_calibrated": ("day", "calibration"),
    "rate_value": ("rate",),
    "rate_machine_limit": ("rate", "limit"),
    "rate_short_bound": ("rate",),
    "rate_above_ladder": ("rate",),
    "rate_not_established": (),
    "rate_behind": (),
    "rate_none": (),
    "rate_not_measured": (),
    "generator_kept": ("endpoint", "rate"),
    "generator_behind": ("endpoint", "rate", "runs"),
    "generator_wrk": ("cpu", "busy", "limit", "bounds"),
    "wrk_bounds_none": (),
    "wrk_bounds_some": ("n",),
    "generator_wrk_unmeasured": (),
    "runs_one": (),
    "rates_one": (),
    "rates_many": ("n",),
    "runs_many": ("n",),
    "bun_release_unnamed": (),
    "ceiling_unmeasured": (),
    "sustained_rule": ("slo", "min_runs", "max_over", "completed", "tail"),
    "common_claim": ("rate", "lead", "gap"),
    "db_placement_load": (),
    "db_placement_server": (),
    "db_placement_split": (),
    "db_placement_host": (),
    "db_gap_same": ("top", "bottom", "json_ratio", "db_ratio", "level"),
    "db_gap_narrows": ("top", "bottom", "json_ratio", "db_ratio", "level"),
    "db_gap_widens": ("top", "bottom", "json_ratio", "db_ratio", "level"),
    "memory_otel": (),
    "memory_db": (),
    "memory_otel_db": (),
    "memory_phase_order": ("where", "order"),
    "memory_order_holds": ("phases",),
    "memory_order_untraced_only": ("elsewhere",),
    "memory_order_partly": ("phases", "elsewhere"),
    "memory_phase_tied": ("where", "stacks"),
    "repro_summary": ("machines", "a_day", "b_day", "held", "total", "moved"),
    "repro_moved": ("list",),
    "repro_ranks": ("rank_held", "rank_total", "rank_moved"),
    "card_moved": ("b",),
    "repro_calibration": ("a", "b"),
    "cost_between": ("least", "most", "between", "level"),
    "repro_finished": ("day", "time"),
    "repro_one_machine": (),
    "port_summary": ("c_cpu", "c_day", "rank_held", "rank_total", "rank_moved", "held", "total"),
    "port_rank_moved": ("list",),
    "port_area_startup": (),
    "port_area_memory": (),
    "port_area_throughput": (),
    "port_area_kept": (),
    "port_largest": ("name", "a", "c"),
    "port_method": ("stacks",),
    "port_runtimes": ("list",),
    "port_spans": ("stack", "c", "a"),
    "port_claim": (),
    "port_claim_moved": ("list",),
    "port_glance": ("start", "rank_held", "rank_total", "rank_moved", "held", "total"),
    "port_glance_method": ("start", "rank_held", "rank_total", "rank_moved", "held", "total"),
    "repro_method_differs": ("stacks",),
    "knee_who_baseline": ("stack",),
    "knee_who_otel": ("stack",),
    "knee_range": ("who", "low", "high"),
    "knee_unknown": ("who", "missed"),
    "knee_provisional": ("rate", "runs"),
    "knee_provisional_short": ("rate", "runs"),
    "knee_coarse_note": ("mark", "step", "list"),
    "knee_unknown_note": ("list", "min_runs", "tail"),
    "knee_none": ("who", "missed"),
    "knee_short_bound": ("who", "rate"),
    "knee_short_bound_note": ("list",),
    "knee_none_note": ("list",),
    "knee_none_slow": ("tail",),
    "knee_short_note": ("mark", "list", "missed", "both"),
    "repro_versions_differ": ("changes",),
    "repro_versions_differ_held": ("changes",),
    "repro_duration": ("a", "b"),
    "repro_plan_differs": ("b_levels", "a_levels", "b_ladder", "a_ladder"),
    "repro_knee_differs": (),
    "repro_common_missing": (),
    "measure_otel_packages": (),
    "measure_otel_dependencies_added": (),
    "repro_version_stack": ("stack", "list"),
    "repro_tools_differ": ("list",),
    "repro_b_drift": ("flags",),
    "repro_version_item": ("name", "old", "new"),
    "repro_glance": ("a_day", "b_day", "held", "total"),
    "repro_glance_method": ("a_day", "b_day", "held", "total"),
    "repro_glance_versions": ("a_day", "b_day", "stacks", "held", "total"),
    "repro_none": ("day",),
    "repro_startup": ("top", "bottom"),
    "repro_memory": ("top", "bottom"),
    "repro_throughput": ("top", "bottom"),
    "repro_kept": ("top",),
    "methodology_hosts": ("service", "load", "database"),
    "host_machine": ("cores", "cpu", "address"),
    "host_shared": ("role",),
    "semconv_required": (),
    "semconv_conditionally_required": (),
    "semconv_recommended": (),
    "semconv_opt_in": (),
    "semconv_none_http": (),
    "semconv_none_db": ("bun",),
    "semconv_legend_http": ("version",),
    "semconv_legend_db": ("version",),
}
COMPARISONS = ("startup", "memory", "memory_idle", "throughput", "latency", "kept", "cost")
WORDS = ("one", "many", "all", "than", "same")  # one, many, all: never empty; than, same: empty when not said


@dataclass(frozen=True)
class Words:
    """How one comparison reads: what the leader does, alone and in a group, and the ratio's comparative."""

    one: str  # "starts fastest"
    many: str  # "start fastest"
    all: str  # "tie on startup time": every stack within the leader's tie, so none leads
    than: str  # "faster than"; "" when the ratio is not said as a comparative
    same: str  # "about as fast as"


@dataclass(frozen=True)
class Phrases:
    """The checked phrases: `say` fills one in, `words` gives a comparison's verbs."""

    text: Mapping[str, str]
    comparisons: Mapping[str, Words]

    def say(self, key: str, **fill: str) -> str:
        """One phrase with its placeholders filled in."""
        return self.text[key].format(**fill)


def placeholders(template: str) -> list[str]:
    """The placeholder names a template uses, in order (ValueError for an unbalanced brace)."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def _unknown(shown: str, lines: LineMap, loc: tuple[str, ...], key: str, expected: list[str]) -> Problem:
    close = difflib.get_close_matches(key, expected, n=1)
    hint = f"did you mean {close[0]}?" if close else f"expected one of: {', '.join(expected)}"
    return Problem(shown, lines.line_for(loc), ".".join(loc), f"not a phrase the report uses; {hint}")


def _check_template(
    shown: str, lines: LineMap, loc: tuple[str, ...], value: Any, wanted: tuple[str, ...]
) -> list[Problem]:
    where, line = ".".join(loc), lines.line_for(loc)
    if not isinstance(value, str):
        return [Problem(shown, line, where, f"expected text, found {type(value).__name__}")]
    try:
        used = placeholders(value)
    except ValueError:
        return [Problem(shown, line, where, "expected {placeholder} braces in pairs (a literal brace is {{ or }})")]
    out = []
    for name in used:
        if name not in wanted:
            known = ", ".join("{" + w + "}" for w in wanted) or "none"
            out.append(Problem(shown, line, where, f"unknown placeholder {{{name}}}; this phrase can use: {known}"))
    for name in wanted:
        if name not in used:
            out.append(Problem(shown, line, where, f"missing placeholder {{{name}}}; the sentence needs it"))
    return out


def _check_comparisons(shown: str, lines: LineMap, doc: Any) -> tuple[dict[str, Words], list[Problem]]:
    problems: list[Problem] = []
    found: dict[str, Words] = {}
    if not isinstance(doc, dict):
        return found, [
            Problem(shown, lines.line_for(("comparisons",)), "comparisons", "expected a mapping of comparisons")
        ]
    for kind in doc:
        if kind not in COMPARISONS:
            problems.append(_unknown(shown, lines, ("comparisons", str(kind)), str(kind), list(COMPARISONS)))
    for kind in COMPARISONS:
        entry = doc.get(kind)
        loc = ("comparisons", kind)
        if not isinstance(entry, dict):
            what = "missing" if entry is None else f"expected one, many, than and same, found {type(entry).__name__}"
            problems.append(Problem(shown, lines.line_for(loc), ".".join(loc), what))
            continue
        words: dict[str, str] = {}
        for part in entry:
            if part not in WORDS:
                problems.append(_unknown(shown, lines, (*loc, str(part)), str(part), list(WORDS)))
        for part in WORDS:
            value = entry.get(part)
            part_loc = (*loc, part)
            if value is None or (part in ("one", "many") and value == ""):
                problems.append(Problem(shown, lines.line_for(part_loc), ".".join(part_loc), "missing; expected text"))
                continue
            found_problems = _check_template(shown, lines, part_loc, value, ())
            problems += found_problems
            words[part] = str(value)
        if len(words) == len(WORDS):
            found[kind] = Words(**words)
    return found, problems


def load(path: Path, shown: str = SHOWN) -> tuple[Phrases | None, list[Problem]]:
    """Read and check the phrases; every problem at once, None when any."""
    doc, lines, problems = load_yaml(path, shown)
    if problems or doc is None:
        return None, problems
    if not isinstance(doc, dict):
        return None, [Problem(shown, 1, "", "expected a mapping of phrase names to text")]
    text: dict[str, str] = {}
    for key in doc:
        if key != "comparisons" and key not in PHRASES:
            problems.append(_unknown(shown, lines, (str(key),), str(key), [*PHRASES, "comparisons"]))
    for key, wanted in PHRASES.items():
        if key not in doc:
            problems.append(Problem(shown, None, key, "missing; the report needs this phrase"))
            continue
        found = _check_template(shown, lines, (key,), doc[key], wanted)
        problems += found
        if not found:
            text[key] = doc[key]
    comparisons, comparison_problems = _check_comparisons(shown, lines, doc.get("comparisons"))
    problems += comparison_problems
    if problems:
        return None, problems
    return Phrases(text, comparisons), []


def check() -> list[Problem]:
    """The problems of the project's phrases file (empty when it is sound), for `check` and `build`."""
    return load(TEMPLATES / FILE)[1]


def phrases() -> Phrases:
    """The project's phrases, read again only when the file changed (preview edits it live); InputError listing
    every problem when they are unsound."""
    stat = (TEMPLATES / FILE).stat()
    return _read(TEMPLATES / FILE, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=1)
def _read(path: Path, _mtime_ns: int, _size: int) -> Phrases:
    found, problems = load(path)
    if found is None:
        raise InputError(problems)
    return found
