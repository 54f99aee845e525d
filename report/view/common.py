"""The latency chapters' common-rate table: every stack offered one rate untraced, lowest p99 first, and who has
the lowest tail there under the tie rule (report/results/findings.common_area)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from report.inputs.phrases import phrases
from report.results.findings import common_area
from report.results.latency import LatencyStats
from report.results.numbers import decimals_for, fmt


def common_view(
    lat: LatencyStats | None,
    endpoint: str,
    stack_ids: Sequence[str],
    names: Mapping[str, str],
    colors: Mapping[str, str],
) -> dict[str, Any] | None:
    """The table and claim of the endpoint's common-rate runs: who has the lowest p99 when every stack answers the
    same offered load (None without such runs)."""
    area = common_area(lat, endpoint, stack_ids)
    if area is None or lat is None:
        return None
    common = lat.common[endpoint]
    d = area.decimals
    d50 = decimals_for([common.p50[s] for s in area.order])
    rows = [
        {
            "stack": names[s],
            "color": colors[s],
            "p50": fmt(common.p50[s], d50),
            "p99": fmt(area.spreads[s].median, d),
            "interval": "–".join(fmt(v, d) for v in area.spreads[s].interval),
            "n": str(area.spreads[s].n),
        }
        for s in area.order
    ]
    return {
        "rate": fmt(common.offered, 0),
        "rows": rows,
        "claim": phrases().say("common_claim", rate=fmt(common.offered, 0), lead=area.lead(names), gap=area.gap(names)),
    }
