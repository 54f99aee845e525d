"""The stable OpenTelemetry semantic conventions for HTTP and database spans, read from the official package.

`opentelemetry-semantic-conventions` (pinned in requirements.lock) holds every stable attribute name in
`opentelemetry.semconv.attributes.<namespace>_attributes`, and the deprecated ones in the `_incubating` modules,
each with a docstring such as "Deprecated: Replaced by `http.request.method`." Both are read here; no attribute
name is typed in this project.
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

from opentelemetry.semconv import attributes as stable_pkg
from opentelemetry.semconv._incubating import attributes as incubating_pkg

# Which stable attribute modules each convention draws on: the HTTP server span's own namespace and the URL it
# served; the database client span's namespace.
CONVENTIONS: dict[str, tuple[str, ...]] = {
    "http": ("http_attributes", "url_attributes"),
    "db": ("db_attributes",),
}
_BACKTICKED = re.compile(r"`([a-z0-9_.]+)`")


@dataclass(frozen=True)
class Coverage:
    """One span's attributes against one convention: per stable name, how the span carries it."""

    convention: str
    # stable name -> "set" | "missing" | the old name it is set under
    marks: dict[str, str]

    @property
    def set_count(self) -> int:
        """Stable names the span sets under their current name."""
        return sum(1 for m in self.marks.values() if m == "set")

    @property
    def old_count(self) -> int:
        """Stable names the span sets only under an old (deprecated) name."""
        return sum(1 for m in self.marks.values() if m not in ("set", "missing"))


def package_version() -> str:
    """The installed conventions package, e.g. opentelemetry-semantic-conventions 0.66b2."""
    return f"opentelemetry-semantic-conventions {version('opentelemetry-semantic-conventions')}"


@cache
def stable_names(convention: str) -> tuple[str, ...]:
    """The stable attribute names of a convention, sorted (string constants only; header templates left out)."""
    names: set[str] = set()
    for module_name in CONVENTIONS[convention]:
        module = importlib.import_module(f"{stable_pkg.__name__}.{module_name}")
        names.update(
            v for k, v in vars(module).items() if k.isupper() and not k.endswith("_TEMPLATE") and isinstance(v, str)
        )
    return tuple(sorted(names))


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
    for name in stable_names(convention):
        if name in attributes:
            marks[name] = "set"
        elif name in old_for:
            marks[name] = sorted(old_for[name])[0]
        else:
            marks[name] = "missing"
    return Coverage(convention, marks)


def old_names(attributes: Mapping[str, object]) -> list[str]:
    """The span's attributes that the conventions mark deprecated."""
    return sorted(name for name in attributes if name in replaced_by())
