"""A second full run beside the shipped one (data/benchmarks/reproduction/): each headline ratio in both runs,
with its bootstrap interval, and whether the two intervals overlap (held) or not (moved).

Indifferent to which run is which: run A is whatever data/benchmarks/ holds, run B whatever reproduction/ holds.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import median

import pandas as pd

from report.inputs.data import Benchmarks
from report.inputs.data_schema import Environment
from report.results.findings import calibration_summary
from report.results.intervals import ratio_interval
from report.results.stats import Stats, compute


@dataclass(frozen=True)
class RunInfo:
    """Where and how one run was measured."""

    cpu: str
    measured_at: str  # ISO date
    rounds: int
    runs: int  # closed-loop runs per stack and level
    open_loop_runs: int | None  # open-loop runs per offered rate
    versions: tuple[tuple[str, str], ...] = ()  # each stack's toolchain and tracing line, as environment.yaml says
    duration_s: float = 0.0  # seconds per measured closed-loop run
    knee_note: str = ""  # the harness's note on how it searched the knee (environment.yaml notes), "" when none
    # the harness's "Tool versions" note as (tool, version) pairs, e.g. (node, v26.12.1)
    tools: tuple[tuple[str, str], ...] = ()
    drift: tuple[str, ...] = ()  # the run's own drift flags (environment.yaml's drift)
    finished: str = ""  # when the run finished, "HH:MM" UTC ("" when environment.yaml gives a date only)
    spans_per_request: tuple[tuple[str, float], ...] = ()  # each traced stack's spans per /json request (evidence)
    levels: tuple[int, ...] = ()  # the closed loop's connection counts
    ladder_pct: tuple[float, ...] = ()  # the open-loop ladder's rates as shares of each peak
    common_runs: int = 0  # runs per stack at the common offered rate (0: the run had no such phase)
    # the calibration workload's median (ms) and its range through the run as a share of it; None when not recorded
    calibration: tuple[float, float] | None = None


@dataclass(frozen=True)
class Ratio:
    """One headline ratio in both runs, with each run's 95% bootstrap interval."""

    area: str  # startup, memory, throughput, kept
    top: str  # stack id of the numerator
    bottom: str  # stack id of the denominator ("" for kept with tracing: traced ÷ untraced of `top`)
    a: float
    a_low: float
    a_high: float
    b: float
    b_low: float
    b_high: float

    @property
    def held(self) -> bool:
        """Whether the two runs' intervals overlap."""
        return self.a_low <= self.b_high and self.b_low <= self.a_high


@dataclass(frozen=True)
class Reproduction:
    """Run A (the shipped data) against run B (the reproduction)."""

    a: RunInfo
    b: RunInfo
    ratios: tuple[Ratio, ...]

    @property
    def method_differs(self) -> tuple[str, ...]:
        """The stacks whose toolchain or tracing line differs between the runs: there a moved ratio may be the
        method's doing, not the machine's."""
        a, b = dict(self.a.versions), dict(self.b.versions)
        return tuple(sid for sid in a if sid in b and a[sid] != b[sid])

    def rankings_held(self) -> dict[str, bool]:
        """Per area, whether run B orders the stacks as run A does: run A's best stays ahead of every other stack
        and the others keep their order (on "kept", the stacks ordered by the share each keeps)."""
        out: dict[str, bool] = {}
        for area in dict.fromkeys(r.area for r in self.ratios):
            rows = [r for r in self.ratios if r.area == area]
            by_a = sorted(rows, key=lambda r: r.a)
            by_b = sorted(rows, key=lambda r: r.b)
            best_kept = area == "kept" or all(r.b > 1.0 for r in rows)
            out[area] = best_kept and [(r.top, r.bottom) for r in by_a] == [(r.top, r.bottom) for r in by_b]
        return out

    def largest_move(self) -> Ratio | None:
        """The ratio that moved most between the runs (run B's median against run A's), if any."""
        return max(self.ratios, key=lambda r: abs(math.log(r.b / r.a)), default=None)

    def span_changes(self) -> tuple[tuple[str, float, float], ...]:
        """Each stack whose traced variant exported another number of spans per request: (stack, run B's, run A's)."""
        b = dict(self.b.spans_per_request)
        return tuple(
            (sid, b[sid], v) for sid, v in self.a.spans_per_request if sid in b and round(b[sid], 1) != round(v, 1)
        )

    def tool_changes(self) -> tuple[tuple[str, str, str], ...]:
        """Each tool both runs name with another version: (tool, run B's, run A's), in run A's order."""
        b = dict(self.b.tools)
        return tuple((name, b[name], v) for name, v in self.a.tools if name in b and b[name] != v)

    def version_changes(self) -> dict[str, tuple[tuple[str, str, str], ...]] | None:
        """Per stack whose line differs, each (name, run B's version, run A's version) where only version numbers
        changed; None when anything else in a line differs (another toolchain or tracing setup: no short list)."""
        a, b = dict(self.a.versions), dict(self.b.versions)
        out: dict[str, tuple[tuple[str, str, str], ...]] = {}
        for sid in self.method_differs:
            ta, tb = _tokens(a[sid]), _tokens(b[sid])
            changes: list[tuple[str, str, str]] = []
            for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, tb, ta, autojunk=False).get_opcodes():
                if op == "equal":
                    continue
                # one version for another; run A's may carry a build tag after it ("3.14.7 (PGO+LTO)")
                tagged = j2 - j1 == 2 and _BUILD.fullmatch(ta[j1 + 1]) is not None
                if op != "replace" or i2 - i1 != 1 or not (j2 - j1 == 1 or tagged) or i1 == 0:
                    return None
                if not (_VERSION.fullmatch(tb[i1]) and _VERSION.fullmatch(ta[j1])):
                    return None
                changes.append((tb[i1 - 1], tb[i1], f"{ta[j1]} ({ta[j1 + 1]})" if tagged else ta[j1]))
            out[sid] = tuple(changes)
        return out

    def runtime_changes(self) -> tuple[tuple[str, str, str], ...]:
        """Each language runtime whose release differs between the runs, as (name, run B's, run A's), in the stacks'
        order: where the method differs too, the runtimes are the part of it a reader most needs named (an
        interpreter's release moves startup and throughput by itself)."""
        a, b = dict(self.a.versions), dict(self.b.versions)
        out: list[tuple[str, str, str]] = []
        for sid in a:
            if sid not in b:
                continue
            ra, rb = runtimes(a[sid]), runtimes(b[sid])
            out += [(name, rb[name], ra[name]) for name in ra if name in rb and ra[name] != rb[name]]
        order = [name for name, _ in _RUNTIMES]
        return tuple(sorted(dict.fromkeys(out), key=lambda change: order.index(change[0])))


_VERSION = re.compile(r"(?:go|v)?\d+(?:\.\d+)+[a-z0-9]*")
# a version line's language runtime: Go's toolchain, Bun, CPython
_RUNTIMES = (
    ("Go", re.compile(r"\bgo(\d+(?:\.\d+)+)\b")),
    ("Bun", re.compile(r"\bbun (\d+(?:\.\d+)+)\b")),
    ("CPython", re.compile(r"\bCPython (\d+(?:\.\d+)+)\b")),
)


def runtimes(line: str) -> dict[str, str]:
    """The language runtimes a version line names, with their releases: "bun 1.4.5, Hono …" -> {"Bun": "1.4.5"}."""
    return {name: found[1] for name, pattern in _RUNTIMES if (found := pattern.search(line)) is not None}


_BUILD = re.compile(r"[A-Z]+(?:\+[A-Z]+)+")  # how an interpreter was compiled, e.g. PGO+LTO


def _tokens(line: str) -> list[str]:
    """A version line's words, punctuation left out: "Hono 4.13.23 on Bun.serve," -> Hono, 4.13.23, on, Bun.serve."""
    return [w.strip(",;:()'") for w in line.split() if w.strip(",;:()'")]


def run_info(env: Environment, evidence: pd.DataFrame | None = None) -> RunInfo:
    """A run's machine, day and plan, from its environment.yaml (and its spans per request, from evidence.csv)."""
    method = env.method
    spans: tuple[tuple[str, float], ...] = ()
    if evidence is not None and not evidence.empty:
        rows = evidence[evidence["measure"] == "otel_spans_per_req"]
        spans = tuple((str(sid), float(v)) for sid, v in zip(rows["stack"], rows["value"], strict=True))
    return RunInfo(
        cpu=env.machine.cpu,
        measured_at=day_of(env.measured_at),
        rounds=method.rounds or method.runs,
        runs=method.runs,
        open_loop_runs=method.open_loop.runs if method.open_loop else None,
        versions=tuple(sorted(env.versions.items())),
        duration_s=float(method.duration_s),
        knee_note=next((n for n in env.notes if n.startswith(KNEE_NOTE_START)), ""),
        tools=tools_of(next((n for n in env.notes if n.startswith(TOOLS_NOTE_START)), "")),
        drift=tuple(env.drift),
        finished=f"{env.measured_at:%H:%M}" if isinstance(env.measured_at, dt.datetime) else "",
        spans_per_request=spans,
        levels=tuple(method.concurrency) if isinstance(method.concurrency, list) else (method.concurrency,),
        ladder_pct=tuple(method.open_loop.ladder_pct) if method.open_loop else (),
        common_runs=(method.open_loop.common_runs or 0) if method.open_loop else 0,
        calibration=calibration_summary(env),
    )


TOOLS_NOTE_START = "Tool versions: "  # report/bench/notes.yaml's tool_versions


def tools_of(note: str) -> tuple[tuple[str, str], ...]:
    """The harness's "Tool versions: wrk 4.1.0; Python 3.11.7 (harness); node v26.12.1" as (tool, version) pairs,
    a parenthesised remark dropped; an item that is not "<tool> <version>" is left out."""
    out = []
    for item in note.removeprefix(TOOLS_NOTE_START).split("; "):
        words = re.sub(r"\s*\(.*?\)", "", item).split()
        if len(words) == 2 and _VERSION.search(words[1]):
            out.append((words[0], words[1]))
    return tuple(out)


# report/bench/notes.yaml's knee note, in every wording it has had ("... the harness bisects", "... searches")
KNEE_NOTE_START = "Then, per stack, variant and endpoint, the harness "


def _samples(stats: Stats, top_level: int) -> dict[str, dict[str, tuple[float, ...]]]:
    """Per area, each stack's runs; every area ordered so that the ratio is ≥ 1 against the best."""
    return {
        "startup": {s: sp.values for s, sp in stats.startup.items()},
        "memory": {s: sp.values for s, sp in stats.memory_load.items()},
        "throughput": {s: p.rps.values for (v, c, s), p in stats.load.items() if v == "baseline" and c == top_level},
    }


LOWER_IS_BETTER = {"startup": True, "memory": True, "throughput": False}


def compare(a: Benchmarks, b: Benchmarks, stack_ids: Sequence[str]) -> Reproduction:
    """Each stack against run A's best in every measured area, and each stack's throughput kept with tracing."""
    sa, sb = compute(a, stack_ids), compute(b, stack_ids)
    level = sa.top_level
    ratios: list[Ratio] = []
    runs_a, runs_b = _samples(sa, level), _samples(sb, sb.top_level if level not in sb.levels else level)
    for area, lower in LOWER_IS_BETTER.items():
        have = [s for s in stack_ids if s in runs_a[area] and s in runs_b[area]]
        if len(have) < 2:
            continue
        medians = {s: median(runs_a[area][s]) for s in have}
        best = min(have, key=medians.__getitem__) if lower else max(have, key=medians.__getitem__)
        for sid in have:
            if sid == best:
                continue
            top, bottom = (sid, best) if lower else (best, sid)  # "FastAPI ÷ Go" on time, "Bun ÷ FastAPI" on rps
            ratios.append(_ratio(area, top, bottom, runs_a[area], runs_b[area]))
    for sid in stack_ids:
        pairs = [
            (st.load.get(("otel", lv, sid)), st.load.get(("baseline", lv, sid)))
            for st, lv in ((sa, level), (sb, level))
        ]
        if all(t is not None and u is not None for t, u in pairs):
            (ta, ua), (tb, ub) = pairs
            assert ta is not None and ua is not None and tb is not None and ub is not None
            ratios.append(
                _ratio(
                    "kept", sid, "", {sid: ta.rps.values, "": ua.rps.values}, {sid: tb.rps.values, "": ub.rps.values}
                )
            )
    return Reproduction(run_info(a.environment, a.evidence), run_info(b.environment, b.evidence), tuple(ratios))


def _ratio(
    area: str, top: str, bottom: str, a: Mapping[str, Sequence[float]], b: Mapping[str, Sequence[float]]
) -> Ratio:
    a_low, a_high = ratio_interval(a[top], a[bottom])
    b_low, b_high = ratio_interval(b[top], b[bottom])
    return Ratio(
        area,
        top,
        bottom,
        median(a[top]) / median(a[bottom]),
        a_low,
        a_high,
        median(b[top]) / median(b[bottom]),
        b_low,
        b_high,
    )


def day_of(measured_at: object) -> str:
    """The ISO day of a timestamp or a date."""
    found = getattr(measured_at, "date", None)
    day = found() if callable(found) else measured_at
    return day.isoformat() if hasattr(day, "isoformat") else str(day)
