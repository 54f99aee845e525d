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
    """Safely parse a YAML file, keeping each key's line; problems are returned, not raised.

    Data comes back only when the whole file could be read: every way it can fail (syntax, anchors, nesting, a
    key that is not text or a whole number, a value YAML cannot construct) is a problem with the file's name."""
    lines = LineMap()
    try:
        text = read_text(path)
    except FileNotFoundError:
        return None, lines, [Problem(shown, None, "", "file not found")]
    except UnicodeDecodeError as exc:
        return None, lines, [not_utf8(shown, exc)]
    try:
        node = _Composer(text).get_single_node()
    except _Refused as exc:
        return None, lines, [Problem(shown, exc.line, format_loc(exc.loc), exc.message)]
    except yaml.YAMLError as exc:
        return None, lines, [yaml_problem(exc, shown, text)]
    if node is None:
        return None, lines, [Problem(shown, None, "", "the file is empty; expected YAML keys")]
    index = _Index(lines, shown)
    index.walk(node, ())
    if index.unreadable:
        return None, lines, index.problems  # a key or value that cannot be read; the other problems still stand
    try:
        data = yaml.SafeLoader("").construct_document(node)
    except yaml.YAMLError as exc:
        return None, lines, [*index.problems, yaml_problem(exc, shown, text)]
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # the walk checks every scalar; a net
        return None, lines, [*index.problems, Problem(shown, None, "", f"this is not valid YAML ({exc})")]
    return data, lines, index.problems


MAX_DEPTH = 32  # lists and keys inside one another; the deepest file (rubric.yaml) needs 7
ANCHOR = (
    "anchors (&name) and aliases (*name) are not allowed; write each value out in full, and put a value that "
    "starts with & or * in double quotes"
)
TOO_DEEP = f"expected lists and keys nested at most {MAX_DEPTH} deep, found more; check the brackets and indentation"


class _Refused(Exception):
    """What the composer will not build, where it starts."""

    def __init__(self, line: int, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.line, self.loc, self.message = line, loc, message


class _Composer(yaml.SafeLoader):
    """PyYAML's safe loader that stops at the first anchor and below MAX_DEPTH while composing.

    An alias makes two places share one node, so a document can contain itself (`&a [*a]`) or expand to billions
    of nodes from a few lines; refusing anchors before any node is shared keeps every later step linear in the
    file's size. Nesting is bounded because composing recurses once per level."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._path: list[Loc] = []

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        loc: Loc = ()
        if parent is not None:
            loc = self._path[-1]
            if isinstance(index, int):
                loc = (*loc, index)
            elif isinstance(index, yaml.ScalarNode):
                loc = (*loc, str(index.value))
        alias = self.check_event(yaml.AliasEvent)  # also reads the next event into current_event
        event = self.current_event
        if not alias and event.anchor is not None:
            raise _Refused(event.start_mark.line + 1, loc, ANCHOR)
        if len(self._path) >= MAX_DEPTH:
            raise _Refused(event.start_mark.line + 1, loc, TOO_DEEP)
        self._path.append(loc)
        try:
            return super().compose_node(parent, index)  # type: ignore[arg-type]  # the stub says int; nodes too
        finally:
            self._path.pop()


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


STR, INT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int"
# what YAML makes of an unquoted key that is not text, in words; other tags are refused when the file is read
KEY_READS_AS = {
    "tag:yaml.org,2002:null": "no value",
    "tag:yaml.org,2002:bool": "true or false",
    "tag:yaml.org,2002:float": "a number with decimals",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:merge": "a merge of another mapping",
    "tag:yaml.org,2002:binary": "binary data",
}
_CONSTRUCTOR = yaml.SafeLoader("")


class _Index:
    """One walk over the composed document: each key's line, duplicate keys, keys that are not text or whole
    numbers, and scalars YAML cannot turn into values (2026-02-30, 0x_). Anchors are refused before, so the
    document is a tree and the walk visits each node once."""

    def __init__(self, lines: LineMap, shown: str) -> None:
        self.lines, self.shown = lines, shown
        self.problems: list[Problem] = []
        self.unreadable = False  # a problem that keeps the file from being constructed at all

    def refuse(self, node: yaml.Node, loc: Loc, message: str) -> None:
        self.problems.append(Problem(self.shown, node.start_mark.line + 1, format_loc(loc), message))
        self.unreadable = True

    def walk(self, node: yaml.Node, loc: Loc) -> None:
        self.lines.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: set[str | int] = set()
            for key_node, value_node in node.value:
                key = self.key(key_node, loc)
                if key is None:
                    continue
                line = key_node.start_mark.line + 1
                if key in seen:
                    self.problems.append(
                        Problem(self.shown, line, format_loc((*loc, key)), "this key appears twice; keep one")
                    )
                seen.add(key)
                self.lines.lines[(*loc, key)] = line
                if key != key_node.value:
                    self.lines.lines[(*loc, str(key_node.value))] = line
                self.walk(value_node, (*loc, key))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.walk(item, (*loc, i))
        elif isinstance(node, yaml.ScalarNode):
            self.scalar(node, loc)

    def key(self, node: yaml.Node, loc: Loc) -> str | int | None:
        """The key as the model will see it (text, or a whole number for levels and thresholds), or None."""
        if not isinstance(node, yaml.ScalarNode):
            kind = "a mapping ({...})" if isinstance(node, yaml.MappingNode) else "a list ([...])"
            self.refuse(
                node,
                loc,
                f"{COMPLEX_KEY}, found {kind} used as a key; delete it, or put the whole key in "
                'double quotes, like "{}": …',
            )
            return None
        if node.tag == STR:
            return str(node.value)
        reads_as = KEY_READS_AS.get(node.tag)
        if node.tag == INT:
            value, error = _construct(node)
            if error is None and isinstance(value, int):  # YAML 1.1 also reads 0x1F, 017 and 1:30 as numbers
                return value
            reads_as = "a whole number, and it is not one"
        if reads_as is None:
            return str(node.value)  # another tag: refused with its own message when the file is constructed
        if node.value == "" and node.tag.endswith(":null"):
            self.refuse(node, loc, f"{COMPLEX_KEY}, found an empty key; write the key name before the ':'")
            return None
        if node.tag.endswith(":timestamp") and _construct(node)[1] is not None:
            reads_as = "a date, and that date does not exist"
        self.refuse(
            node,
            loc,
            f"{COMPLEX_KEY}, found {describe(node.value)}, which YAML reads as {reads_as}; put the key in double "
            "quotes if it is meant as text",
        )
        return None

    def scalar(self, node: yaml.ScalarNode, loc: Loc) -> None:
        """A whole number, date, number or true/false is checked as YAML will construct it."""
        error = _construct(node)[1]
        if error is None:
            return
        kind = _SCALAR_WORDS[node.tag]
        if node.tag.endswith(":timestamp") and isinstance(error, ValueError):
            message = f"expected a real date, found '{node.value}' ({error})"
        elif node.tag == INT and "digits" in str(error):  # Python reads at most 4,300 digits into a whole number
            message = f"expected a number of at most 4300 digits, found one of {len(str(node.value))} characters"
        else:
            message = f"expected {kind}, found {describe(node.value)}"
        self.refuse(node, loc, message)


def _construct(node: yaml.ScalarNode) -> tuple[object, Exception | None]:
    """The value YAML makes of a number, date or true/false scalar, or why it cannot (other scalars: as written)."""
    constructor = _SCALAR_CONSTRUCTORS.get(node.tag)
    if constructor is None:
        return node.value, None
    try:
        return constructor(node), None
    except (ValueError, KeyError, AttributeError, OverflowError) as exc:  # 2026-02-30, 0x_, !!bool maybe
        return None, exc


_SCALAR_CONSTRUCTORS: dict[str, typing.Callable[[yaml.ScalarNode], object]] = {
    INT: _CONSTRUCTOR.construct_yaml_int,
    "tag:yaml.org,2002:float": _CONSTRUCTOR.construct_yaml_float,
    "tag:yaml.org,2002:timestamp": _CONSTRUCTOR.construct_yaml_timestamp,
    "tag:yaml.org,2002:bool": _CONSTRUCTOR.construct_yaml_bool,
}
_SCALAR_WORDS = {
    INT: "a whole number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:timestamp": "a date like 2026-11-21",
    "tag:yaml.org,2002:bool": "true or false",
}


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
