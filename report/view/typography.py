"""One typographic style for text the report prints but did not write: the harness's notes and tool line.

Older harness runs wrote "99 %" and "thread(s)"; the report prints percentages as "99%" (report/numbers.percent)
and counts with their proper plural. Numbers are never changed, only the space before % and the "(s)".
"""

from __future__ import annotations

import re

PERCENT_SPACE = re.compile(r"(\d) %")
MAYBE_PLURAL = re.compile(r"\b(\d[\d,.]*) (\w+)\(s\)")
BARE_MAYBE_PLURAL = re.compile(r"(\w+)\(s\)")
# claims older harness runs wrote that were never measured, and what report/bench/notes.yaml says now
RETIRED = {
    "so drift hits every stack alike.": "so drift does not fall on one stack only (its size is measured: the "
    "Reproducibility table and each round's calibration).",
}


def house_style(text: str) -> str:
    """'99 %' -> '99%'; '1 thread(s)' -> '1 thread', '50 connection(s)' -> '50 connections'; other 'x(s)' -> 'xs'."""
    for old, new in RETIRED.items():
        text = text.replace(old, new)
    text = PERCENT_SPACE.sub(r"\1%", text)
    text = MAYBE_PLURAL.sub(lambda m: f"{m[1]} {m[2] if m[1] == '1' else m[2] + 's'}", text)
    return BARE_MAYBE_PLURAL.sub(r"\1s", text)


def counted(value: float, unit: str) -> str:
    """A unit after a count, in its proper number: '1 span/request', '2 spans/request', '1 library', '3 lines'."""
    if value != 1 or not unit:
        return unit
    word, sep, rest = unit.partition("/")
    if word.endswith("ies"):
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 2:
        word = word[:-1]
    return f"{word}{sep}{rest}"
