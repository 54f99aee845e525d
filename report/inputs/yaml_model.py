"""YAML input files: read safely with each key's line (load_yaml), and one file into one validated pydantic model
(load_model), every problem reported as file:line (used by report/inputs/config.py, report/inputs/rubric.py,
report/inputs/data.py and report/inputs/phrases.py)."""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from report.errors import Problem
from report.inputs.validation import LineMap, Loc, describe, format_loc, not_utf8, read_text, translate

M = TypeVar("M", bound=BaseModel)


def load_model(path: Path, shown: str, model: type[M]) -> tuple[M | None, LineMap, list[Problem]]:
    """Parse `path` safely and validate it as `model`: the model (None when it cannot be built), each key's line,
    and the problems found (a model can come with problems, such as a duplicate key, that its caller reports)."""
    raw, lines, problems = load_yaml(path, shown)
    if raw is None:
        return None, lines, problems
    if not isinstance(raw, dict):
        return None, lines, [*problems, Problem(shown, 1, "", "expected a mapping of keys at the top of the file")]
    try:
        return model.model_validate(raw), lines, problems
    except ValidationError as exc:
        return None, lines, [*problems, *translate(exc, shown, model, lines.line_for)]


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
