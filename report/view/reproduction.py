"""The Reproducibility section: each headline ratio in runs A, B and C, and what the text says held or moved."""

from __future__ import annotations

import datetime as dt
from typing import Any

from report.inputs.phrases import phrases
from report.results.findings import day
from report.results.numbers import decimals_for, fmt, join_names, percent
from report.results.reproduction import Reproduction, RunInfo
from report.view.context import Context


def reproduction(ctx: Context) -> dict[str, Any]:
    """The Reproducibility table: each headline ratio in run A and run B, with intervals, held or moved."""
    rep, names = ctx.results.reproduction, ctx.names
    if rep is None:
        none = phrases().say("repro_none", day=ctx.measured_day)
        return {"rows": [], "summary": none, "glance": none}
    port = ctx.results.portability
    on_c = {(r.area, r.top, r.bottom): r for r in port.ratios} if port is not None else {}
    rows = []
    for r in rep.ratios:
        cell = _kept_cell if r.area == "kept" else _ratio_cell
        c = on_c.get((r.area, r.top, r.bottom))
        rows.append(
            {
                "area": r.area,
                "top": names[r.top],
                "bottom": names.get(r.bottom, ""),
                "a": cell(r.a, r.a_low, r.a_high, RATIO_DECIMALS),
                "b": cell(r.b, r.b_low, r.b_high, RATIO_DECIMALS),
                "held": r.held,
                "c": cell(c.b, c.b_low, c.b_high, RATIO_DECIMALS) if c is not None else "–",
                "c_held": c.held if c is not None else None,
            }
        )
    moved = [r for r in rep.ratios if not r.held]
    listing = join_names([_ratio_name(r.area, names[r.top], names.get(r.bottom, "")) for r in moved])
    a_day, b_day = _when(rep.a, rep.b), _when(rep.b, rep.a)
    summary = phrases().say(
        "repro_summary",
        machines=rep.a.cpu if rep.a.cpu == rep.b.cpu else join_names([rep.a.cpu, rep.b.cpu]),
        a_day=a_day,
        b_day=b_day,
        held=str(len(rep.ratios) - len(moved)),
        total=str(len(rep.ratios)),
        moved=phrases().say("repro_moved", list=listing) if moved else "",
    )
    # which orders held between runs A and B, as run C's are said (review: a changed order between A and B went unsaid)
    ab_ranks = rep.rankings_held()
    summary = f"{summary} " + phrases().say(
        "repro_ranks",
        rank_held=str(sum(ab_ranks.values())),
        rank_total=str(len(ab_ranks)),
        rank_moved=_ranks_moved(ab_ranks),
    )
    if rep.a.calibration and rep.b.calibration:  # how fast and how steady each run's machine was (review 18)
        summary = f"{summary} " + phrases().say(
            "repro_calibration",
            a=_calibrated(rep.a.calibration),
            b=_calibrated(rep.b.calibration),
        )
    changes = rep.version_changes()
    other_method = bool(rep.method_differs) and changes is None
    if other_method:  # run B measured other toolchains or another tracing setup for these stacks
        differs = join_names([names[sid] for sid in rep.method_differs if sid in names])
        summary = f"{summary} {phrases().say('repro_method_differs', stacks=differs)}"
    elif changes:  # the same method; only some components' releases differ
        say = phrases().say
        listed = [
            say(
                "repro_version_stack",
                stack=names[sid],
                list=join_names([say("repro_version_item", name=n, old=o, new=v) for n, o, v in items]),
            )
            for sid, items in changes.items()
            if sid in names and items
        ]
        key = "repro_versions_differ" if moved else "repro_versions_differ_held"
        summary = f"{summary} {say(key, changes='; '.join(listed))}"
    tools = rep.tool_changes()
    if tools:  # the harness's own tools (the load generators, the Node and npm that installed packages)
        say = phrases().say
        items = join_names([say("repro_version_item", name=n, old=o, new=v) for n, o, v in tools])
        summary = f"{summary} {say('repro_tools_differ', list=items)}"
    if rep.b.drift:  # what run B's own harness flagged: a ratio from that run carries it
        # the harness's notes start "Drift: ..." where the phrase already says so: not "flagged drift: Drift: ..."
        flags = " ".join(f.removeprefix("Drift: ") for f in rep.b.drift)
        summary = f"{summary} {phrases().say('repro_b_drift', flags=flags)}"
    if rep.a.knee_note and rep.b.knee_note and rep.a.knee_note != rep.b.knee_note:
        summary = f"{summary} {phrases().say('repro_knee_differs')}"
    if rep.a.common_runs and not rep.b.common_runs:  # the phase came after run B: no ratio here rests on it
        summary = f"{summary} {phrases().say('repro_common_missing')}"
    if (rep.a.levels, rep.a.ladder_pct) != (rep.b.levels, rep.b.ladder_pct):
        summary = f"{summary} " + phrases().say(
            "repro_plan_differs",
            b_levels=join_names([str(c) for c in rep.b.levels]),
            a_levels=join_names([str(c) for c in rep.a.levels]),
            b_ladder=", ".join(f"{p:g}" for p in rep.b.ladder_pct),
            a_ladder=", ".join(f"{p:g}" for p in rep.a.ladder_pct),
        )
    if rep.a.duration_s != rep.b.duration_s:
        summary = f"{summary} {phrases().say('repro_duration', a=f'{rep.a.duration_s:g}', b=f'{rep.b.duration_s:g}')}"
    summary = f"{summary} {_portability(port, names) if port is not None else phrases().say('repro_one_machine')}"
    runs = [
        {
            "name": name,
            "cpu": info.cpu,
            "day": day(dt.date.fromisoformat(info.measured_at)),
            "rounds": str(info.rounds),
            "runs": str(info.runs),
            "open_loop_runs": str(info.open_loop_runs or "–"),
            "duration_s": f"{info.duration_s:g}",
        }
        for name, info in (("A", rep.a), ("B", rep.b), *((("C", port.b),) if port is not None else ()))
    ]
    held, total = str(len(rep.ratios) - len(moved)), str(len(rep.ratios))
    if changes:  # run B on older releases of some stacks' components: say which, it is no plain reproduction
        stacks = join_names([names[sid] for sid, items in changes.items() if sid in names and items])
        glance = phrases().say("repro_glance_versions", a_day=a_day, b_day=b_day, stacks=stacks, held=held, total=total)
    else:
        key = "repro_glance_method" if other_method else "repro_glance"
        glance = phrases().say(key, a_day=a_day, b_day=b_day, held=held, total=total)
    if port is not None:
        ranks = port.rankings_held()
        glance = phrases().say(
            "port_glance_method" if port.method_differs else "port_glance",
            start=glance,
            rank_held=str(sum(ranks.values())),
            rank_total=str(len(ranks)),
            rank_moved=_ranks_moved(ranks),
            held=str(sum(1 for r in port.ratios if r.held)),
            total=str(len(port.ratios)),
        )
    return {"rows": rows, "summary": summary, "runs": runs, "glance": glance, "other_machine": port is not None}


def _calibrated(calibration: tuple[float, float]) -> str:
    median, swing = calibration
    return phrases().say("calibration", median=fmt(median, decimals_for([median])), range=percent(swing))


def _moved_areas(ranks: dict[str, bool]) -> list[str]:
    """The areas whose ranking did not hold, as the text names them ("throughput kept with tracing")."""
    return [phrases().say(f"port_area_{area}") for area, held in ranks.items() if not held]


def _ranks_moved(ranks: dict[str, bool]) -> str:
    """ " (not on throughput kept with tracing)", or "" when every ranking held."""
    moved = _moved_areas(ranks)
    return phrases().say("port_rank_moved", list=join_names(moved)) if moved else ""


def _when(run: RunInfo, other: RunInfo) -> str:
    """A run's day, with the time it finished when the other run is of the same day."""
    said = day(dt.date.fromisoformat(run.measured_at))
    if run.measured_at == other.measured_at and run.finished:
        return phrases().say("repro_finished", day=said, time=run.finished)
    return said


def _portability(port: Reproduction, names: dict[str, str]) -> str:
    """What run C, on another machine, shows of the rankings and the ratios (report/results/reproduction.py)."""
    say = phrases().say
    ranks = port.rankings_held()
    move = port.largest_move()
    differs = join_names([names[sid] for sid in port.method_differs if sid in names])
    text = say(
        "port_summary",
        c_cpu="" if port.b.cpu == port.a.cpu else f" ({port.b.cpu})",
        c_day=day(dt.date.fromisoformat(port.b.measured_at)),
        rank_held=str(sum(ranks.values())),
        rank_total=str(len(ranks)),
        rank_moved=_ranks_moved(ranks),
        held=str(sum(1 for r in port.ratios if r.held)),
        total=str(len(port.ratios)),
    )
    if move is not None:
        text = f"{text} " + say(
            "port_largest",
            name=_ratio_name(move.area, names[move.top], names.get(move.bottom, "")),
            a=_ratio_value(move.area, move.a),
            c=_ratio_value(move.area, move.b),
        )
    if differs:
        runtimes = port.runtime_changes()
        text = f"{text} " + say("port_method", stacks=differs)
        if runtimes:  # an interpreter's or toolchain's release can move a ratio by itself: name them
            items = join_names([say("repro_version_item", name=n, old=o, new=v) for n, o, v in runtimes])
            text = f"{text} " + say("port_runtimes", list=items)
    for sid, there, here in port.span_changes():
        text = f"{text} " + say("port_spans", stack=names[sid], c=fmt(there, 1), a=fmt(here, 1))
    moved = _moved_areas(ranks)
    return f"{text} " + (say("port_claim_moved", list=join_names(moved)) if moved else say("port_claim"))


RATIO_DECIMALS = 2  # a ratio that moved by less than 0.05 must not print the same in both runs


def _ratio_cell(value: float, low: float, high: float, d: int) -> str:
    return f"{fmt(value, d)}× ({fmt(low, d)}–{fmt(high, d)})"


def _kept_cell(value: float, low: float, high: float, _d: int) -> str:
    return f"{percent(value)} ({percent(low)}–{percent(high)})"


def _ratio_value(area: str, value: float) -> str:
    return percent(value) if area == "kept" else f"{fmt(value, RATIO_DECIMALS)}×"


def _ratio_name(area: str, top: str, bottom: str) -> str:
    return phrases().say(f"repro_{area}", top=top, bottom=bottom)
