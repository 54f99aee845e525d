"""The package's shape: modules import downward only (no cycle anywhere in report/) and none outgrows 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

from report.paths import PACKAGE_DIR

MAX_LINES = 400
HARNESS = PACKAGE_DIR / "bench"  # the benchmark harness: sized separately (its two largest modules are over)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The report modules `path` imports when it runs, at any depth (a function-level import counts too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {  # `if TYPE_CHECKING:` imports never run, so they cannot make a cycle
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from report import charts` imports the module report.charts; `from report.x import name` imports report.x
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in known and t != name}
    return found


def import_graph() -> dict[str, set[str]]:
    """Every report module and the report modules it imports."""
    modules = _modules()
    return {name: _imports(path, name, set(modules)) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_finder_sees_a_cycle_and_a_clean_graph() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_function_level_and_package_imports() -> None:
    graph = import_graph()
    assert "report.charts" in graph["report.figures"]  # `from report import charts` inside draw_now
    assert "report.chart_style" in graph["report.charts"]
    assert "report.bench.cli" in graph  # the harness is part of the package's graph
    assert "report.bench.measure" not in graph["report.bench.phases"]  # only under TYPE_CHECKING


def test_no_module_imports_itself_back() -> None:
    assert find_cycle(import_graph()) is None


def test_no_module_outside_the_harness_exceeds_the_line_limit() -> None:
    too_long = {
        _module_name(p): n
        for p in PACKAGE_DIR.rglob("*.py")
        if not p.is_relative_to(HARNESS) and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}
