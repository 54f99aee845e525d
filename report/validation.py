"""Shared input reading: YAML with line numbers, and pydantic errors turned into plain words."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import yaml
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


def load_yaml(path: Path, shown: str) -> tuple[Any, LineMap, list[Problem]]:
    """Safely parse a YAML file, keeping each key's line; problems are returned, not raised."""
    lines = LineMap()
    try:
        text = read_text(path)
    except FileNotFoundError:
        return None, lines, [Problem(shown, None, "", "file not found")]
    except UnicodeDecodeError as exc:
        return None, lines, [not_utf8(shown, exc)]
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        return None, lines, [yaml_problem(exc, shown, text)]
    if node is None:
        return None, lines, [Problem(shown, None, "", "the file is empty; expected YAML keys")]
    problems: list[Problem] = []
    _index(node, (), lines, shown, problems)
    if problems and any(p.message.startswith(COMPLEX_KEY) for p in problems):
        return None, lines, problems  # such a key cannot be read at all; the other problems still stand
    try:
        data = yaml.SafeLoader("").construct_document(node)
    except yaml.YAMLError as exc:
        return None, lines, [*problems, yaml_problem(exc, shown, text)]
    except ValueError:  # a date that does not exist, like 2026-02-30, fails while being read
        return None, lines, [*problems, *_impossible_dates(node, (), shown)]
    return data, lines, problems


COMPLEX_KEY = "expected a key name"


def yaml_problem(exc: yaml.YAMLError, shown: str, text: str) -> Problem:
    """One line with the line number for any YAML error: syntax, stray control characters, refused tags."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        return Problem(
            shown,
            line,
            "",
            f"this is not valid YAML: the line contains the invisible control character U+{ord(char):04X}, "
            "usually pasted from another program; delete it (retype the line if you cannot see it)",
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        at = mark.line + 1 if mark is not None else None
        problem = " ".join((exc.problem or "").split())
        tag = re.search(r"for the tag '([^']*)'", problem)
        if tag:
            shown_tag = tag[1].replace("tag:yaml.org,2002:", "!!")
            return Problem(
                shown,
                at,
                "",
                f"this is not valid YAML: the tag '{shown_tag}' is not allowed; write plain text, numbers, "
                "lists and keys only (put a value that starts with ! in double quotes)",
            )
        if "undefined alias" in problem:
            return Problem(
                shown,
                at,
                "",
                "this is not valid YAML: a value starts with '*', which YAML reads as a reference; "
                'put the value in double quotes, like "*note"',
            )
        return Problem(shown, at, "", f"this is not valid YAML{_yaml_words(problem)}")
    return Problem(shown, None, "", f"this is not valid YAML ({' '.join(str(exc).split())})")


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


def _yaml_words(problem: str) -> str:
    # PyYAML describes the parser's state; say what the person most likely typed instead.
    if "'\\t'" in problem or "\t" in problem:
        return ": this line is indented with a tab; indent with spaces instead"
    if "mapping values are not allowed" in problem:
        return ": a value contains ': '; put the whole value in double quotes, like author: \"Name: Team\""
    if "found '<block mapping start>'" in problem or "found '<block sequence start>'" in problem:
        return (
            ": this line is indented differently from the lines around it; line it up with the other keys at its level"
        )
    if "found '<scalar>'" in problem or "unexpected end of stream" in problem:
        return ": a quote is opened but not closed here or on the line above, or the line is indented wrongly"
    return f" ({problem or 'unreadable'}); check indentation and quotes"


def _impossible_dates(node: yaml.Node, loc: Loc, shown: str) -> list[Problem]:
    if isinstance(node, yaml.MappingNode):
        return [p for key, value in node.value for p in _impossible_dates(value, (*loc, key.value), shown)]
    if isinstance(node, yaml.SequenceNode):
        return [p for i, item in enumerate(node.value) for p in _impossible_dates(item, (*loc, i), shown)]
    if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":timestamp"):
        try:
            yaml.SafeLoader("").construct_yaml_timestamp(node)
        except ValueError as exc:
            where = format_loc(loc)
            return [
                Problem(shown, node.start_mark.line + 1, where, f"expected a real date, found '{node.value}' ({exc})")
            ]
    return []


def _index(node: yaml.Node, loc: Loc, lines: LineMap, shown: str, problems: list[Problem]) -> None:
    lines.lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                kind = "a mapping ({...})" if isinstance(key_node, yaml.MappingNode) else "a list ([...])"
                problems.append(
                    Problem(
                        shown,
                        key_node.start_mark.line + 1,
                        format_loc(loc),
                        f"{COMPLEX_KEY}, found {kind} used as a key; delete it, or put the whole key in "
                        'double quotes, like "{}": …',
                    )
                )
                continue
            key = key_node.value
            if key in seen:
                problems.append(
                    Problem(
                        shown, key_node.start_mark.line + 1, format_loc((*loc, key)), "this key appears twice; keep one"
                    )
                )
            seen.add(key)
            typed_key: str | int = _int_key(key_node) if key_node.tag.endswith(":int") else key
            lines.lines[(*loc, typed_key)] = key_node.start_mark.line + 1
            if typed_key != key:
                lines.lines[(*loc, key)] = key_node.start_mark.line + 1
            _index(value_node, (*loc, typed_key), lines, shown, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*loc, i), lines, shown, problems)


def _int_key(node: yaml.ScalarNode) -> int | str:
    # YAML 1.1 also reads 0x1F, 017, 0b101 and 1:30 as whole numbers; int() would not
    try:
        value = yaml.SafeLoader("").construct_yaml_int(node)
    except ValueError:
        return str(node.value)
    return value if isinstance(value, int) else str(node.value)


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
    for err, loc in errors:
        if err["type"] == "missing" and loc in suggested:
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
