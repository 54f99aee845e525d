"""How the sustained rule's results are worded: a rate in a table cell, the note on knees the search did not
narrow, and the Methodology's facts about the rule and the load generator's reach (templates/phrases.yaml)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from report.inputs.phrases import phrases
from report.results import sustained
from report.results.latency import WRK_SATURATED_PCT, LatencyStats
from report.results.numbers import fmt, join_names, percent
from report.results.reproduction import runtimes
from report.results.sustained import Knee

COARSE_MARK = "†"  # beside a knee the search did not narrow to KNEE_STEP_PCT
SHORT_MARK = "‡"  # beside a rate that rests on the coarse ladder's short runs alone


def cell(k: Knee | None, short: bool = False) -> str:
    """A sustainable rate in a table cell: the rate, "≥ rate" for a bound (knee-length runs only), "–" when none is
    established; "†" where
    the knee lies between the rate and a missed one more than KNEE_STEP_PCT above it, "‡" where the rate rests on
    the ladder's short runs alone."""
    if k is None or k.rate is None:
        return "–"
    # a rate on short runs alone is not a lower bound even where the search stopped at a bound: longer runs may miss it
    return ("≥ " if k.bound and not short else "") + fmt(k.rate, 0) + marks(k, short)


def marks(k: Knee, short: bool = False) -> str:
    """The marks a sustainable rate carries wherever it is printed: "†" (knee wider than the step), "‡" (short runs
    alone)."""
    return (COARSE_MARK if k.coarse() else "") + (SHORT_MARK if short else "")


def rate_cell(lat: LatencyStats, endpoint: str, variant: str, sid: str) -> str:
    """`cell` for one series of `lat`; "–" where only short runs passed the rate below a bound (not established)."""
    if lat.short_bound(endpoint, variant, sid):
        return "–"
    return cell(lat.knee(endpoint, variant, sid), lat.short_only(endpoint, variant, sid))


def short_note(lat: LatencyStats, endpoint: str, stack_ids: Sequence[str], names: Mapping[str, str]) -> str:
    """Under a sustainable table: the rates that rest on the ladder's short runs alone, and how often, across this
    run, longer runs missed a rate the short runs had sustained; empty when no printed rate is short."""
    say = phrases().say
    short = [
        say(f"knee_who_{variant}", stack=names[sid])
        for variant in ("baseline", "otel")
        for sid in stack_ids
        if (endpoint, variant, sid) in lat.series
        and lat.short_only(endpoint, variant, sid)
        and not lat.short_bound(endpoint, variant, sid)
    ]
    if not short:
        return ""
    both, missed = lat.short_vs_knee()
    return say(
        "knee_short_note", mark=SHORT_MARK, list=join_names(short), missed=str(missed), both=_count(both, "rates")
    )


def coarse_note(lat: LatencyStats, endpoint: str, stack_ids: Sequence[str], names: Mapping[str, str]) -> str:
    """Under a sustainable table: each knee left wider than the step, as the range it lies in, and each series with
    no rate established below its first miss; empty when every knee was narrowed."""
    say = phrases().say
    wide: list[str] = []
    unknown: list[str] = []
    lowest: list[str] = []
    slow = False  # a series with no rate whose missed rate's runs were already too short to read a p99 from
    bounded: list[str] = []
    for variant in ("baseline", "otel"):
        for sid in stack_ids:
            k = lat.knee(endpoint, variant, sid)
            if k is None or k.next_rate is None:
                continue
            who = say(f"knee_who_{variant}", stack=names[sid])
            if k.coarse() and k.rate is not None:
                item, into = say("knee_range", who=who, low=fmt(k.rate, 0), high=fmt(k.next_rate, 0)), wide
            elif k.rate is None and k.end == "unknown":
                item, into = say("knee_unknown", who=who, missed=fmt(k.next_rate, 0)), unknown
            elif k.rate is not None and lat.short_bound(endpoint, variant, sid):
                item, into = say("knee_short_bound", who=who, rate=fmt(k.rate, 0)), bounded
            elif k.rate is None and k.end == "none":
                item, into = say("knee_none", who=who, missed=fmt(k.next_rate, 0)), lowest
                points = lat.series[(endpoint, variant, sid)].points
                missed = next((p for p in points if p.offered == k.next_rate), None)
                slow = slow or (missed is not None and not sustained.printable([r.requests for r in missed.runs], 0.99))
            else:
                continue
            top = lat.series[(endpoint, variant, sid)].provisional(lat.slo_ms[endpoint])
            if top is not None:  # passed the runs it got, too few for the rule
                key = "knee_provisional_short" if top.short_only else "knee_provisional"
                item += say(key, rate=fmt(top.offered, 0), runs=_count(top.p99.n, "runs"))
            into.append(item)
    parts = []
    if wide:
        step = percent(sustained.KNEE_STEP_PCT / 100)
        parts.append(say("knee_coarse_note", mark=COARSE_MARK, step=step, list=join_names(wide)))
    if unknown:
        parts.append(
            say(
                "knee_unknown_note",
                list=join_names(unknown),
                min_runs=str(sustained.MIN_RUNS),
                tail=str(sustained.TAIL_SAMPLES),
            )
        )
    if bounded:
        parts.append(say("knee_short_bound_note", list=join_names(bounded)))
    if lowest:
        parts.append(say("knee_none_note", list=join_names(lowest)))
        if slow:
            parts.append(say("knee_none_slow", tail=str(sustained.TAIL_SAMPLES)))
    return " ".join(parts)


def method_facts(environment: Any, lat: LatencyStats | None = None) -> dict[str, str]:
    """The Methodology's placeholders for the rule for "sustained" and what the runs show of the load generator's
    reach (from the open-loop runs themselves, not an extrapolation)."""
    say = phrases().say
    reach = []
    for endpoint in lat.endpoints if lat is not None else ():
        found = lat.generator_reach(endpoint) if lat is not None else None
        if found is None:
            continue
        top, behind, n = found
        if behind is None:
            reach.append(say("generator_kept", endpoint=endpoint, rate=fmt(top, 0)))
        else:
            reach.append(say("generator_behind", endpoint=endpoint, rate=fmt(behind, 0), runs=_count(n, "runs")))
    ceiling = join_names(reach) if reach else say("ceiling_unmeasured")
    load = lat.wrk_load if lat is not None else {}
    if load:
        bounds = len(lat.wrk_bounds) if lat is not None else 0
        wrk = say(
            "generator_wrk",
            cpu=percent(max(cpu for cpu, _ in load.values()) / 100),
            busy=percent(max(busy for _, busy in load.values()) / 100),
            limit=percent(WRK_SATURATED_PCT / 100),
            bounds=say("wrk_bounds_none") if not bounds else say("wrk_bounds_some", n=str(bounds)),
        )
    else:
        wrk = say("generator_wrk_unmeasured")
    open_loop = getattr(getattr(environment, "method", None), "open_loop", None)
    knee_s = getattr(open_loop, "knee_duration_s", None) or sustained.KNEE_MIN_S
    return {
        "sustained.min_runs": str(sustained.MIN_RUNS),
        "sustained.max_over": str(sustained.MAX_OVER),
        "sustained.tail": str(sustained.TAIL_SAMPLES),
        "sustained.completed": percent(sustained.COMPLETED_SHARE),
        "sustained.cpu_limit": percent(sustained.GENERATOR_LIMIT_PCT / 100),
        "sustained.runqueue_limit": percent(sustained.RUNQUEUE_LIMIT_PCT / 100),
        "generator.ceiling": ceiling,
        "generator.wrk": wrk,
        "db.placement": say(f"db_placement_{environment.method.db_placement}"),
        "sustained.step": percent(sustained.KNEE_STEP_PCT / 100),
        "sustained.knee_s": f"{knee_s:g} s",
        "versions.bun": bun_release(getattr(environment, "versions", {}) or {}),
    }


def bun_release(measured: dict[str, str]) -> str:
    """The Bun release measured ("bun 1.4.5", the start of environment.yaml's versions.bun), for claims about what Bun
    lacks, which hold only as of a release; "the Bun release measured" when the data names none."""
    found = runtimes(measured.get("bun", "")).get("Bun")
    return f"bun {found}" if found else phrases().say("bun_release_unnamed")


def placement(method: Any) -> str:
    """Where PostgreSQL ran, as the Methodology's list says it (environment.yaml method.db_placement)."""
    return phrases().say(f"db_placement_{getattr(method, 'db_placement', 'load')}")


def _count(n: int, noun: str) -> str:
    """A count in words with its noun in the right number (templates/phrases.yaml's runs_one/runs_many,
    rates_one/rates_many): "one run", "3 runs"."""
    return phrases().say(f"{noun}_one") if n == 1 else phrases().say(f"{noun}_many", n=str(n))


def scorecard_columns(lat: LatencyStats | None) -> list[str]:
    """The at-a-glance column for sustainable throughput on /json, when it was measured."""
    if lat is None or "json" not in lat.endpoints:
        return []
    return [f"Sustainable, /json p99 ≤ {lat.slo_ms['json']:g} ms (req\u2060/\u2060s)"]


def scorecard_cells(lat: LatencyStats | None, sid: str) -> list[dict[str, Any]]:
    """The stack's cell for scorecard_columns; the highest rate wins."""
    if lat is None or "json" not in lat.endpoints:
        return []
    stacks = sorted({s for e, v, s in lat.series if (e, v) == ("json", "baseline")})
    values = {s: lat.sustainable("json", "baseline", s) for s in stacks}
    value = values.get(sid)
    best = max((v for v in values.values() if v is not None), default=None)
    text = rate_cell(lat, "json", "baseline", sid)
    # a lower bound, or a figure beside one, is never best: no knee can be ranked against a bound; nor a figure a
    # knee left wider than the step might pass (the other's knee may lie anywhere below its lowest rate missed)
    others = [lat.knee("json", "baseline", s) for s in stacks if s != sid]
    reach = all(o is None or not o.coarse() or (o.next_rate or 0) <= (value or 0) for o in others)
    win = lat.rankable("json", "baseline", stacks) and value is not None and value == best and value > 0 and reach
    return [{"text": text, "win": win}]
