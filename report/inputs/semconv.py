"""The stable OpenTelemetry semantic conventions for HTTP server and database client spans: attribute names from the
official package, requirement levels from the official model.

`opentelemetry-semantic-conventions` (pinned in requirements.lock) holds every stable attribute name in
`opentelemetry.semconv.attributes.<namespace>_attributes`, and the deprecated ones in the `_incubating` modules,
each with a docstring such as "Deprecated: Replaced by `http.request.method`." Which attributes a span convention
lists, and at which requirement level (Required, Conditionally Required, Recommended, Opt-In), is only in the
conventions' YAML model: scripts/semconv-levels.py resolves it at the release the package was generated from into
semconv_levels.yaml beside this module, which is checked here against the package. No attribute name or level is
typed in this project.
"""

from __future__ import annotations

import ast
import importlib
import itertools
import pkgutil
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, Literal

from opentelemetry.semconv import attributes as stable_pkg
from opentelemetry.semconv._incubating import attributes as incubating_pkg
from opentelemetry.semconv.schemas import Schemas
from pydantic import Field

from report.errors import InputError, Problem
from report.inputs.validation import Strict, Text, format_loc
from report.inputs.yaml_model import load_model

# The span conventions the report checks: the HTTP server span (/json), the database client span (/db).
CONVENTIONS = ("http", "db")
LEVELS_FILE = Path(__file__).with_name("semconv_levels.yaml")
LEVELS_SHOWN = "report/inputs/semconv_levels.yaml"
REGENERATE = "run scripts/semconv-levels.py for the release the installed package was generated from"
Level = Literal["required", "conditionally_required", "recommended", "opt_in"]
_BACKTICKED = re.compile(r"`([a-z0-9_.]+)`")


class Requirement(Strict):
    """One attribute's requirement level in a span convention, with the model's condition where it has one."""

    level: Level
    condition: Annotated[str, Field(min_length=1, max_length=2000)] | None = None


class Convention(Strict):
    """One span convention: the model's group and its stable attributes, Required first."""

    group: Text
    attributes: Annotated[dict[str, Requirement], Field(min_length=1)]


class LevelsFile(Strict):
    """The whole of semconv_levels.yaml: where it came from, and each convention."""

    source: Text
    version: Annotated[str, Field(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$")]
    commit: Annotated[str, Field(pattern=r"^[0-9a-f]{40}$")]
    package: Text
    conventions: dict[str, Convention]


def package_version() -> str:
    """The installed conventions package, e.g. opentelemetry-semantic-conventions 0.66b2."""
    return f"opentelemetry-semantic-conventions {version('opentelemetry-semantic-conventions')}"


def newest_schema() -> str:
    """The newest semantic-conventions release the installed package knows, e.g. 1.44.0: the one it was made from."""
    releases = (s.value.rsplit("/", 1)[1] for s in Schemas)
    return max(releases, key=lambda v: tuple(int(p) for p in v.split(".")))


@cache
def package_stable_names() -> frozenset[str]:
    """Every stable attribute name in the installed package (string constants; header templates left out)."""
    names: set[str] = set()
    for info in pkgutil.iter_modules(stable_pkg.__path__):
        module = importlib.import_module(f"{stable_pkg.__name__}.{info.name}")
        names.update(
            v for k, v in vars(module).items() if k.isupper() and not k.endswith("_TEMPLATE") and isinstance(v, str)
        )
    return frozenset(names)


def load_levels(path: Path = LEVELS_FILE, shown: str = LEVELS_SHOWN) -> tuple[LevelsFile | None, list[Problem]]:
    """Read the requirement levels and check them against the installed package; every problem at once."""
    doc, lines, problems = load_model(path, shown, LevelsFile)
    if doc is None:
        return None, problems

    def add(loc: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(shown, lines.line_for(loc), format_loc(loc), message))

    installed = package_version()
    if doc.package != installed:
        add(
            ("package",),
            f"expected {installed}, the package the attribute names come from, found {doc.package!r}; {REGENERATE}",
        )
    if doc.version != newest_schema():
        add(
            ("version",),
            f"expected {newest_schema()}, the newest release {installed} knows, found {doc.version}; {REGENERATE}",
        )
    for name in doc.conventions:
        if name not in CONVENTIONS:
            add(("conventions", name), f"unknown convention '{name}'; expected one of: {', '.join(CONVENTIONS)}")
    for name in CONVENTIONS:
        if name not in doc.conventions:
            add(("conventions",), f"no '{name}' convention; the report checks {', '.join(CONVENTIONS)}; {REGENERATE}")
    for cname, convention in doc.conventions.items():
        for attr, req in convention.attributes.items():
            loc = ("conventions", cname, "attributes", attr)
            if attr not in package_stable_names():
                add(loc, f"'{attr}' is not a stable attribute name in {installed}; {REGENERATE}")
            if req.level == "conditionally_required" and req.condition is None:
                add(loc, "expected a condition for a conditionally required attribute, found none")
            if req.level in ("required", "opt_in") and req.condition is not None:
                add((*loc, "condition"), f"expected no condition for a {req.level} attribute, found {req.condition!r}")
    return (doc if not problems else None), problems


def check_levels() -> list[Problem]:
    """The levels file's problems (empty when it is sound), for `check` and `build`."""
    return load_levels()[1]


@cache
def levels() -> LevelsFile:
    """The checked levels file; InputError listing every problem when it is unsound."""
    doc, problems = load_levels()
    if doc is None:
        raise InputError(problems)
    return doc


def requirements(convention: str) -> dict[str, Requirement]:
    """A convention's stable attributes and their requirement levels, Required first, then by name."""
    return dict(levels().conventions[convention].attributes)


def stable_names(convention: str) -> tuple[str, ...]:
    """The stable attribute names a convention lists, in the levels file's order (Required first)."""
    return tuple(requirements(convention))


@dataclass(frozen=True)
class Coverage:
    """One span's attributes against one convention: per stable name, how the span carries it."""

    convention: str
    # stable name -> "set" | "missing" | the old name it is set under; in the levels file's order, Required first
    marks: dict[str, str]
    levels: dict[str, str]  # stable name -> its requirement level in the convention

    @property
    def missing_required(self) -> tuple[str, ...]:
        """Required names the span does not set under their current name (missing, or only under an old name)."""
        return tuple(n for n, m in self.marks.items() if m != "set" and self.levels[n] == "required")

    @property
    def missing_count(self) -> int:
        """Names the span lacks that the convention does not leave opt-in."""
        return sum(1 for n, m in self.marks.items() if m == "missing" and self.levels[n] != "opt_in")

    @property
    def set_count(self) -> int:
        """Stable names the span sets under their current name."""
        return sum(1 for m in self.marks.values() if m == "set")

    @property
    def old_count(self) -> int:
        """Stable names the span sets only under an old (deprecated) name."""
        return sum(1 for m in self.marks.values() if m not in ("set", "missing"))


@cache
def replaced_by() -> dict[str, tuple[str, ...]]:
    """Every deprecated attribute name and the current names its docstring says replace it."""
    out: dict[str, tuple[str, ...]] = {}
    for info in pkgutil.iter_modules(incubating_pkg.__path__):
        module = importlib.import_module(f"{incubating_pkg.__name__}.{info.name}")
        source = Path(str(module.__file__)).read_text(encoding="utf-8")
        body = ast.parse(source).body
        for node, following in itertools.pairwise(body):
            if not (isinstance(node, ast.AnnAssign) and isinstance(node.value, ast.Constant)):
                continue
            if not (isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)):
                continue
            name, doc = node.value.value, following.value.value
            if isinstance(name, str) and isinstance(doc, str) and doc.strip().startswith("Deprecated:"):
                new = tuple(n for n in _BACKTICKED.findall(doc) if n != name)
                if new:
                    out[name] = new
    return out


def coverage(convention: str, attributes: Mapping[str, object]) -> Coverage:
    """Mark each stable name of `convention`: set, missing, or set under an old name that it replaced."""
    old_for: dict[str, list[str]] = {}
    for old, news in replaced_by().items():
        if old in attributes:
            for new in news:
                old_for.setdefault(new, []).append(old)
    marks = {}
    reqs = requirements(convention)
    for name in reqs:
        if name in attributes:
            marks[name] = "set"
        elif name in old_for:
            marks[name] = sorted(old_for[name])[0]
        else:
            marks[name] = "missing"
    return Coverage(convention, marks, {name: req.level for name, req in reqs.items()})


def old_names(attributes: Mapping[str, object]) -> list[str]:
    """The span's attributes that the conventions mark deprecated."""
    return sorted(name for name in attributes if name in replaced_by())
