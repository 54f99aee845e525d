"""Shared input reading: text files, each key's line, and pydantic errors turned into plain words (YAML itself is
read by report/yaml_model.py)."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from report.errors import Problem

Loc = tuple[str | int, ...]


class LineMap:
    """Maps a key path inside a YAML document to the line it starts on."""

    def __init__(self) -> None:
        self.lines: dict[Loc, int] = {}

    def line_for(self, loc: Loc) -> int | None:
        """The line of the deepest part of `loc` that exists in the file."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None


def read_text(path: Path) -> str:
    """Read a text input as UTF-8 (a byte-order mark is allowed) with newlines normalised."""
    return path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")


def not_utf8(shown: str, exc: UnicodeDecodeError) -> Problem:
    """The problem for a file saved in another encoding (often Windows-1252 from Excel or Word)."""
    line = exc.object[: exc.start].count(b"\n") + 1
    how = "in Excel: Save As, then 'CSV UTF-8'" if shown.endswith(".csv") else "most editors offer it under Save As"
    return Problem(
        shown,
        line,
        "",
        f"expected UTF-8 text, found a character saved in another encoding; save the file as UTF-8 ({how})",
    )


def format_loc(loc: Iterable[str | int]) -> str:
    """`('categories', 0, 'weight')` -> `categories[0].weight`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def describe(value: object) -> str:
    """A short, quoted description of a value found in the input."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping of keys"
    if isinstance(value, list):
        return "a list"
    text = str(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"'{text}'"


def translate(
    exc: ValidationError,
    shown: str,
    model: type[BaseModel],
    line_for: typing.Callable[[Loc], int | None],
    *,
    prefix: Loc = (),
) -> list[Problem]:
    """Turn a pydantic ValidationError into one plain-words Problem per error."""
    problems = []
    errors = [(err, _clean_loc(err["loc"], err["type"])) for err in exc.errors()]
    # A misspelt key is one mistake: say "did you mean" once, not also that the real key is missing.
    suggested = {(*loc[:-1], hint) for err, loc in errors if (hint := _suggested_key(err, model, loc))}
    # A number written where a key name belongs most likely replaced one: the name it replaced is not reported.
    numbered = {loc[:-1] for err, loc in errors if err["type"] == "invalid_key"}
    for err, loc in errors:
        if err["type"] == "missing" and (loc in suggested or loc[:-1] in numbered):
            continue
        message = _message(err, model, loc)
        where = loc[:-1] if err["type"] == "invalid_key" else loc  # the key itself is what is wrong
        problems.append(Problem(shown, line_for(loc), format_loc((*prefix, *where)), message))
    return problems


def _suggested_key(err: ErrorDetails, model: type[BaseModel], loc: Loc) -> str | None:
    if err["type"] != "extra_forbidden" or not loc:
        return None
    close = difflib.get_close_matches(str(loc[-1]), allowed_keys(model, loc[:-1]), n=1)
    return close[0] if close else None


def _clean_loc(loc: tuple[int | str, ...], kind: str = "") -> Loc:
    # pydantic inserts the validator or union member name into the path; readers never wrote those. The last
    # element of an unknown-key error is the key the reader typed, whatever it looks like ("editi[]on"), so it stays.
    keep_last = kind == "extra_forbidden" and bool(loc)
    body = loc[:-1] if keep_last else loc
    cleaned = tuple(p for p in body if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
    return (*cleaned, loc[-1]) if keep_last else cleaned


def _message(err: ErrorDetails, model: type[BaseModel], loc: Loc) -> str:
    kind = err["type"]
    found = describe(err.get("input"))
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    if kind == "missing":
        return "this required key is missing"
    if kind == "extra_forbidden":
        allowed = allowed_keys(model, loc[:-1])
        hint = ""
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1) if allowed else []
        if close:
            hint = f"; did you mean '{close[0]}'?"
        elif allowed:
            hint = f"; expected one of: {', '.join(allowed)}"
        return f"unknown key{hint}"
    if kind == "invalid_key":
        return (
            f"expected a key name in letters, found the number {found}; put it in double quotes if it is meant as text"
        )
    if kind == "float_parsing" and re.fullmatch(r"-?\d+,\d+", str(err.get("input", ""))):
        return (
            f"expected a number with a dot for decimals, like {str(err.get('input')).replace(',', '.')}, found {found}"
        )
    if kind in {"float_parsing", "float_type", "int_parsing", "int_type", "finite_number"}:
        whole = kind.startswith("int")
        return f"expected {'a whole number' if whole else 'a number'}, found {found}"
    if kind == "int_from_float":
        return f"expected a whole number, found {found}"
    if kind == "greater_than":
        return f"expected a number greater than {_num(ctx.get('gt'))}, found {found}"
    if kind == "greater_than_equal":
        return f"expected a number of at least {_num(ctx.get('ge'))}, found {found}"
    if kind == "less_than_equal":
        return f"expected a number of at most {_num(ctx.get('le'))}, found {found}"
    if kind == "less_than":
        return f"expected a number less than {_num(ctx.get('lt'))}, found {found}"
    if kind == "string_type" and err.get("input") is None and loc and str(loc[-1]).endswith("color"):
        return 'expected a colour in double quotes, like "#1A2B3C", found nothing (without quotes, # starts a comment)'
    if kind in {"string_type", "string_too_short"}:
        return f"expected text, found {found}"
    if kind == "string_too_long":
        return f"expected text of at most {ctx.get('max_length')} characters, found {found}"
    if kind == "string_pattern_mismatch":
        return f"expected {_pattern_words(str(ctx.get('pattern', '')))}, found {found}"
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected')}, found {found}"
    if kind == "enum":
        return f"expected one of {ctx.get('expected')}, found {found}"
    if kind in {"bool_parsing", "bool_type"}:
        return f"expected true or false, found {found}"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"expected a date like 2026-11-21, found {found}"
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return f"expected a mapping of keys, found {found}"
    if kind in {"list_type", "tuple_type"}:
        return f"expected a list, found {found}"
    if kind in {"too_short", "too_long"}:
        return f"expected {_length_words(kind, ctx)}, found {ctx.get('actual_length')}"
    if kind in {"url_parsing", "url_scheme", "url_type"}:
        return f"expected a web address starting with https://, found {found}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return f"{err['msg'][0].lower()}{err['msg'][1:]}, found {found}"


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _pattern_words(pattern: str) -> str:
    known = {
        r"^#[0-9A-Fa-f]{6}$": "a colour like #1A2B3C",
        r"^[a-z][a-z0-9_-]*$": "an id of lower-case letters, digits, '-' or '_' starting with a letter",
        r"^https?://[^\s<>\"']+$": "a web address starting with https://",
        r"^([A-Za-z0-9._][A-Za-z0-9._-]*@)?[A-Za-z0-9][A-Za-z0-9._-]*$": "an SSH destination like bench@10.0.0.11",
        r"^[A-Za-z0-9][A-Za-z0-9.-]*$": "a host name or IPv4 address",
        r"^(/[A-Za-z0-9_][A-Za-z0-9._-]*)+$": "an absolute directory like /tmp/lead-magnet-bench",
    }
    return known.get(pattern, f"text matching {pattern}")


def _length_words(kind: str, ctx: Mapping[str, Any]) -> str:
    if kind == "too_short":
        return f"at least {ctx.get('min_length')} items"
    return f"at most {ctx.get('max_length')} items"


def allowed_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys a model accepts at `loc`, for 'did you mean' hints."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                field = next((f for f in current.model_fields.values() if f.alias == part), None)
            if field is None:
                return []
            current = field.annotation
        elif get_origin(current) in (list, tuple, dict):
            args = get_args(current)
            current = args[-1] if args else Any
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        return members[0] if len(members) == 1 else annotation
    if origin is typing.Annotated:
        return get_args(annotation)[0]
    return annotation


# Reusable field types, so every file spells ids and colours the same way.
StackId = typing.Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=32)]
Color = typing.Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]
Text = typing.Annotated[str, Field(min_length=1, max_length=400)]
PositiveFloat = typing.Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeFloat = typing.Annotated[float, Field(ge=0, allow_inf_nan=False)]
PositiveInt = typing.Annotated[int, Field(gt=0)]
NonNegativeInt = typing.Annotated[int, Field(ge=0)]


class Strict(BaseModel):
    """Base for input schemas: unknown keys are errors, so typos are caught."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
