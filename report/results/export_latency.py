"""The latency figures results.json carries beside the sustainable rates (report/results/export.py): each stack at
the common offered rate, and the /db lead's gap, with the statistics the PDF prints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from report.results import claims
from report.results.findings import common_area
from report.results.latency import LatencyStats
from report.results.plain import plain as _plain
from report.results.stats import Spread


def latency_figures(lat: LatencyStats | None, sid: str, ids: Sequence[str]) -> dict[str, Any]:
    """The stack's common-rate entries and the /db gap, under the keys results.json gives them (none when absent)."""
    out: dict[str, Any] = {}
    common = _common_rate(lat, sid, ids)
    if common:
        out["common_rate"] = common
    db = _db_gap(lat, sid, ids)
    if db:
        out["db_gap"] = db
    return out


def _db_gap(lat: LatencyStats | None, sid: str, ids: Sequence[str]) -> dict[str, Any] | None:
    """The database chapter's closed-loop lead on /db ("7.8× as many as FastAPI"): the stack's peak against the
    most requests, the leaders and the gap stated (the tied group's smallest ratio; None where a leader's range
    reaches the worst's)."""
    if lat is None:
        return None
    spreads = {s: lat.peaks[("db", "baseline", s)].rps for s in ids if ("db", "baseline", s) in lat.peaks}
    if sid not in spreads or len(spreads) < 2:
        return None
    st = claims.standing(spreads, lower_is_better=False)
    best = spreads[st.best].median
    return {
        "times_the_best": best / spreads[sid].median if spreads[sid].median > 0 else None,
        "leaders": list(st.leaders),
        **_gap(st, spreads),
    }


def _common_rate(lat: LatencyStats | None, sid: str, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The stack at each endpoint's common offered rate, as the latency chapters print it: p50, p99 with its interval,
    how many times the lowest p99 it is, and the gap the claim states (the tied group's smallest ratio, None where a
    leader's interval reaches the worst's)."""
    out: list[dict[str, Any]] = []
    for endpoint, common in sorted(lat.common.items()) if lat is not None else ():
        area = common_area(lat, endpoint, ids)
        if area is None or sid not in area.spreads:
            continue
        best = area.values[area.best]
        out.append(
            {
                "endpoint": endpoint,
                "offered_rps": common.offered,
                "p50_ms": common.p50[sid],
                "p99": _plain(area.spreads[sid]),
                "p99_interval": list(area.spreads[sid].interval),
                "times_the_best": area.values[sid] / best if best > 0 else None,
                "leaders": list(area.standing.leaders),
                **_gap(area.standing, area.spreads),
            }
        )
    return out


def _gap(st: claims.Standing, spreads: Mapping[str, Spread]) -> dict[str, float | None]:
    """The gap the claim states: the leaders' lowest and highest ratio to the worst ("6.0× to 6.1×"; one leader: the
    same twice), None without a separated gap."""
    found = claims.times_range(st, spreads)
    return {"gap_stated": found[0] if found else None, "gap_stated_high": found[1] if found else None}
