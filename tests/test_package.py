"""The package's shape: modules import downward only (no cycle anywhere in report/, no stage importing a later
stage, the harness apart) and none outgrows 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

from report.inputs.paths import PACKAGE_DIR

MAX_LINES = 400
HARNESS = PACKAGE_DIR / "bench"  # the benchmark harness: sized separately (its two largest modules are over)
STAGES = ("inputs", "results", "view", "output")  # in build order: a stage may import itself and earlier stages
SHARED = {"report", "report.errors"}  # the version and the error family: any module may import them
DRIVERS = {"report.__main__", "report.cli", "report.pipeline", "report.preview"}  # the top: they may import anything
HARNESS_MAY_USE = {"inputs", "results"}  # e.g. the drift test; never the view, the output or the drivers


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
            # `from report.view import charts` imports the module report.view.charts; `from report.x import y` imports
            # report.x
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


def _part(module: str) -> str | None:
    """The stage (or "bench") a module belongs to; None for the top-level modules."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in {*STAGES, "bench"} else None


def stage_violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import that climbs back up the stages, crosses into or out of the harness, or leaves the top."""
    found = []
    for module, targets in sorted(graph.items()):
        here = _part(module)
        for target in sorted(targets):
            there = _part(target)
            if module in DRIVERS or target in SHARED or here == there:
                continue
            if module in SHARED or target in DRIVERS:
                found.append(f"{module} imports {target}: the shared modules and drivers are imported by none")
            elif there == "bench":
                found.append(f"{module} imports {target}: no stage imports the harness")
            elif here == "bench":
                if there not in HARNESS_MAY_USE:
                    found.append(f"{module} imports {target}: the harness uses only {sorted(HARNESS_MAY_USE)}")
            elif here is None or there is None:
                found.append(f"{module} imports {target}: a module outside the stages")
            elif STAGES.index(there) > STAGES.index(here):
                found.append(f"{module} imports {target}: a later stage")
    return found


def test_the_stage_rule_sees_each_kind_of_wrong_import() -> None:
    graph = {
        "report.cli": {"report.output.publish", "report.bench.cli"},
        "report.errors": set(),
        "report.inputs.config": {"report.errors", "report.view.html"},
        "report.view.html": {"report.inputs.config", "report.results.stats", "report.pipeline"},
        "report.results.stats": {"report.bench.stacks"},
        "report.bench.stacks": {"report.results.drift", "report.output.atomic"},
    }
    assert stage_violations(graph) == [
        "report.bench.stacks imports report.output.atomic: the harness uses only ['inputs', 'results']",
        "report.inputs.config imports report.view.html: a later stage",
        "report.results.stats imports report.bench.stacks: no stage imports the harness",
        "report.view.html imports report.pipeline: the shared modules and drivers are imported by none",
    ]


def test_no_stage_imports_a_later_stage_and_the_harness_stays_apart() -> None:
    assert stage_violations(import_graph()) == []


def test_every_module_is_in_a_stage_the_harness_or_the_top() -> None:
    top = {name for name in _modules() if _part(name) is None}
    packages = sorted(p.name for p in PACKAGE_DIR.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert top == SHARED | DRIVERS  # a new module goes into the stage whose work it does
    assert packages == sorted([*STAGES, "bench"])


def test_the_finder_sees_a_cycle_and_a_clean_graph() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_function_level_and_package_imports() -> None:
    graph = import_graph()
    assert "report.view.charts" in graph["report.view.figures"]  # `from report.view import charts` in draw_now
    assert "report.view.chart_style" in graph["report.view.charts"]
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
