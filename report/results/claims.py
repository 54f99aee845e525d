"""Comparative claims under one rule: where two stacks' medians' confidence intervals overlap, or their gap is
within either stack's round-to-round drift, the report calls it a tie.

Every sentence that ranks stacks ("starts fastest", "the most requests", "keeps", "40× faster") is decided here,
from the runs' ranges, so a headline, a caption, a placeholder and a table cannot disagree with each other or
with the methodology's own rule. A claim that holds at some load levels only names those levels. The words it
says that with are templates/phrases.yaml's (report/inputs/phrases.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from report.inputs.phrases import Words, phrases
from report.results.numbers import fmt, join_names, ratio
from report.results.stats import Spread


def words(kind: str) -> Words:
    """How one comparison reads (templates/phrases.yaml's `comparisons`)."""
    return phrases().comparisons[kind]


def say(key: str, **fill: str) -> str:
    """One phrase of templates/phrases.yaml, filled in."""
    return phrases().say(key, **fill)


MAX_NAMED = 3  # a tied group larger than this is named by its first member and a count


def group(names: Sequence[str]) -> str:
    """'Go and Bun'; 'Go, Bun and 10 other stacks' for a large tied group."""
    if len(names) <= MAX_NAMED:
        return join_names(list(names))
    return say("group_large", first=names[0], second=names[1], others=str(len(names) - 2))


def overlaps(a: Spread, b: Spread) -> bool:
    """The report's tie rule: the two medians' confidence intervals overlap, or the gap between the medians is
    no larger than either stack's round-to-round drift after calibration (the machine moved more than that)."""
    (a_low, a_high), (b_low, b_high) = a.interval, b.interval
    if a_low <= b_high and b_low <= a_high:
        return True
    low, high = sorted((a.median, b.median))
    return low > 0 and high / low - 1 <= max(a.drift, b.drift)


@dataclass(frozen=True)
class Standing:
    """Who comes first in one comparison, under the tie rule."""

    order: tuple[str, ...]  # best first by median; ties keep display order
    leaders: tuple[str, ...]  # the best and every stack whose range overlaps the best's

    @property
    def best(self) -> str:
        """The best median (only a winner when `tie` is false)."""
        return self.order[0]

    @property
    def worst(self) -> str:
        """The worst median."""
        return self.order[-1]

    @property
    def tie(self) -> bool:
        """Whether another stack's range reaches the best's."""
        return len(self.leaders) > 1


def standing(spreads: Mapping[str, Spread], lower_is_better: bool) -> Standing:
    """Rank stacks by median and group the best with every stack whose range overlaps it."""
    ids = list(spreads)
    order = sorted(ids, key=lambda s: (spreads[s].median if lower_is_better else -spreads[s].median, ids.index(s)))
    first = spreads[order[0]]
    leaders = tuple(s for s in order if overlaps(first, spreads[s]))
    return Standing(tuple(order), leaders)


def lead(kind: str, st: Standing, names: Mapping[str, str], where: str = "") -> str:
    """'Go starts fastest', or 'Go and Bun start fastest (within confidence intervals or drift: a tie)'."""
    w = words(kind)
    if not st.tie:
        leader = names[st.best]
        return (
            say("lead_where", leader=leader, verb=w.one, where=where)
            if where
            else say("lead", leader=leader, verb=w.one)
        )
    # every stack within the leader's tie: none leads, so the group ties on the measure ("Bun, Go and FastAPI lose
    # the most throughput to tracing" read as if each lost the most)
    verb = w.all if len(st.leaders) == len(st.order) else w.many
    tied, tie = group([names[s] for s in st.leaders]), say("tie")
    if where:
        return say("lead_tie_where", group=tied, verb=verb, where=where, tie=tie)
    return say("lead_tie", group=tied, verb=verb, tie=tie)


def gap(kind: str, st: Standing, spreads: Mapping[str, Spread], names: Mapping[str, str]) -> str:
    """The leaders against the worst: '40× faster than FastAPI', '28× to 40× faster than …' for a tied group (each
    leader's ratio of medians: review 15 read 'at least' as a bound the intervals do not give), or 'about as fast as
    FastAPI' when the worst ties with the best. Where the worst is no leader but a leader's range reaches it (ties
    chain), the gap is stated for the leaders apart from it, and the others are said to tie with it too (review 17:
    "Go and Bun have the lowest p99 …: about the same as FastAPI" at a tenth of FastAPI's p99)."""
    w = words(kind)
    if st.worst in st.leaders or (found := times_range(st, spreads)) is None:
        return say("gap_same", same=w.same, worst=names[st.worst])
    low, high = found
    stated = ratio(low) if ratio(low) == ratio(high) else say("ratio_range", low=ratio(low), high=ratio(high))
    said = (
        say("gap", ratio=stated, than=w.than, worst=names[st.worst])
        if w.than
        else say("gap_bare", ratio=stated, worst=names[st.worst])
    )
    reach = [s for s in st.leaders if overlaps(spreads[s], spreads[st.worst])]
    if not reach:
        return said
    apart = [names[s] for s in st.leaders if s not in reach]
    return say(
        "gap_chained", apart=group(apart), gap=said, reach=group([names[s] for s in reach]), worst=names[st.worst]
    )


def times(st: Standing, spreads: Mapping[str, Spread]) -> float | None:
    """The smallest ratio `gap` states (a tied group's lowest), or None when there is no separated gap to state."""
    found = times_range(st, spreads)
    return None if found is None else found[0]


def times_range(st: Standing, spreads: Mapping[str, Spread]) -> tuple[float, float] | None:
    """The ratios of medians to the worst's of the leaders whose ranges stay apart from it, lowest and highest (one
    leader: the same twice), or None when the worst is a leader or every leader's range reaches it."""
    worst = spreads[st.worst]
    apart = [s for s in st.leaders if not overlaps(spreads[s], worst)]
    if st.worst in st.leaders or not apart:
        return None
    found = [max(spreads[s].median, worst.median) / min(spreads[s].median, worst.median) for s in apart]
    return min(found), max(found)


@dataclass(frozen=True)
class Levels:
    """One comparison at every load level: the standing at each, and where the top level's leader holds."""

    levels: tuple[int, ...]
    standings: dict[int, Standing]

    @property
    def top(self) -> Standing:
        """The standing at the highest level."""
        return self.standings[self.levels[-1]]

    def holds(self) -> tuple[int, ...]:
        """Levels at which the top level's sole leader also leads alone."""
        top = self.top
        if top.tie:
            return ()
        return tuple(c for c in self.levels if self.standings[c].leaders == (top.best,))


def across(per_level: Mapping[int, Mapping[str, Spread]], lower_is_better: bool) -> Levels:
    """The standing at every level (levels ascending)."""
    levels = tuple(sorted(per_level))
    return Levels(levels, {c: standing(per_level[c], lower_is_better) for c in levels})


def lead_at_levels(kind: str, lv: Levels, names: Mapping[str, str]) -> str:
    """The top level's claim, naming the level(s) it holds at: every level, some, or the top one only."""
    top, elsewhere = lead_parts(kind, lv, names)
    return say("holds_some", lead=top, elsewhere=elsewhere) if elsewhere else top


def lead_parts(kind: str, lv: Levels, names: Mapping[str, str]) -> tuple[str, str]:
    """The top level's claim and, apart, what the other levels show ('' when the claim holds at all of them).

    Kept apart so figures measured at the top level follow the top level's claim, never a clause about another
    level ("at 10 connections Go has the lowest p99: 3.7 ms" printed the 100-connection values after it).
    """
    top_level = lv.levels[-1]
    if lv.top.tie or len(lv.levels) == 1:
        return lead(kind, lv.top, names, say("level", levels=str(top_level))), ""
    holds = lv.holds()
    if holds == lv.levels:
        return lead(kind, lv.top, names, say("every_level", levels=_levels(lv.levels))), ""
    grouped: dict[tuple[str, ...], list[int]] = {}
    for c in lv.levels:
        if c not in holds:  # levels with the same outcome are said once: "at 10 and 50 connections …"
            st = lv.standings[c]
            # a tied group in display order, so the same tie at two levels is said once ("at 10 and 50 …")
            tied = tuple(s for s in names if s in st.leaders)
            grouped.setdefault(tied if st.tie else (st.best,), []).append(c)
    elsewhere = say("elsewhere_separator").join(
        _at(kind, levels, leaders, names) for leaders, levels in grouped.items()
    )
    return lead(kind, lv.top, names, say("only_levels", levels=_levels(holds))), elsewhere


def _at(kind: str, levels: Sequence[int], leaders: Sequence[str], names: Mapping[str, str]) -> str:
    if len(leaders) > 1:
        return say("level_tie", levels=_levels(levels), group=group([names[s] for s in leaders]))
    return say("level_lead", levels=_levels(levels), leader=names[leaders[0]], verb=words(kind).one)


def _levels(levels: Sequence[int]) -> str:
    return join_names([str(c) for c in levels])


def score_lead(what: str, scores: Mapping[str, float], names: Mapping[str, str], need: str | None = None) -> str:
    """'Go has the simplest deployment' (from the area's `need`, which names what a high score means, so the
    sentence cannot be read backwards), else 'Go has the best score on deployment simplicity'; equal scores (to the
    printed two decimals) tie."""
    printed = {s: Decimal(fmt(v, 2).replace(",", "")) for s, v in scores.items()}  # as printed, half up
    top = max(printed.values())
    first = [names[s] for s in scores if printed[s] == top]
    if need:
        return say("need_lead" if len(first) == 1 else "need_tie", group=group(first), need=need)
    return say("score_lead" if len(first) == 1 else "score_tie", group=group(first), what=what)


OTHER_PHASES = ("otel", "db", "otel_db")  # evidence.csv's {phase}_rss_load_peak_mb: traced, /db, traced /db


def order_scope(
    load_order: Sequence[str],
    peaks: Mapping[str, Mapping[str, float]],
    names: Mapping[str, str],
    tie_share: float = 0.0,
) -> str:
    """Where the untraced /json order under load also holds: with tracing, on /db (peaks: phase -> stack -> MiB,
    single peak readings, ranked by value). A phase where two neighbours lie within `tie_share` of each other (the
    repeated measurement's run-to-run range) is left out: one reading each cannot order them. '' when no other
    phase was measured for every stack, or none could be ordered."""
    held: list[str] = []
    moved: dict[str, list[str]] = {}  # each other order, with the phases it holds in (one clause per order)
    tied: list[str] = []
    for phase in OTHER_PHASES:
        values = peaks.get(phase, {})
        if not values or any(s not in values for s in load_order):
            continue
        order = sorted(load_order, key=lambda s: (values[s], list(load_order).index(s)))
        where = say(f"memory_{phase}")
        close = [(a, b) for a, b in itertools.pairwise(order) if values[b] - values[a] <= tie_share * values[a]]
        if close:  # name the neighbours too close to order, not the whole phase
            pair = join_names([names[s] for s in dict.fromkeys(x for ab in close for x in ab)])
            tied.append(say("memory_phase_tied", where=where, stacks=pair))
            continue
        if order == list(load_order):
            held.append(where)
        else:
            moved.setdefault(join_names([names[s] for s in order]), []).append(where)
    if not held and not moved:
        return ""
    if not moved:
        said = say("memory_order_holds", phases=join_names(held))
    else:
        clauses = [say("memory_phase_order", where=join_names(w), order=o) for o, w in moved.items()]
        elsewhere = say("elsewhere_separator").join(clauses)
        # where it also holds, say so: "only" would be false
        said = (
            say("memory_order_partly", phases=join_names(held), elsewhere=elsewhere)
            if held
            else say("memory_order_untraced_only", elsewhere=elsewhere)
        )
    return "; ".join([said, *tied])


def same_order(a: Standing, b: Standing, names: Mapping[str, str]) -> str:
    """Whether a second phase ranks the stacks as the first did: 'in the same order', or the new order."""
    if a.order == b.order:
        return say("same_order")
    return say("different_order", order=join_names([names[s] for s in b.order]))
