"""The harness package's shape: no module over 400 lines, no import cycle between its modules (type-only
imports included), and the wording file the notes are rendered from ships with the package."""

from __future__ import annotations

import ast
import importlib.resources
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "report" / "bench"
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    return {p.stem: p for p in sorted(PACKAGE.glob("*.py"))}


def _imports(path: Path, names: set[str]) -> set[str]:
    """The report.bench modules one module imports, at run time or for type checking only."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "report.bench":
                out |= {a.name for a in node.names if a.name in names}
            elif node.module.startswith("report.bench."):
                out.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[2] for a in node.names if a.name.startswith("report.bench.")}
    return out


def test_no_module_is_over_400_lines() -> None:
    sizes = {name: len(path.read_text().splitlines()) for name, path in _modules().items()}
    assert {n: s for n, s in sizes.items() if s > MAX_LINES} == {}
    assert len(sizes) > 10  # the glob found the package


def test_no_import_cycle_inside_the_harness() -> None:
    modules = _modules()
    graph = {name: _imports(path, set(modules)) - {name} for name, path in modules.items()}
    assert graph["cli"] >= {"measure", "options", "environment"}  # the parser sees real imports
    done: set[str] = set()

    def visit(name: str, stack: list[str]) -> None:
        if name in stack:
            raise AssertionError("import cycle: " + " -> ".join([*stack[stack.index(name) :], name]))
        if name in done:
            return
        for dep in sorted(graph[name]):
            visit(dep, [*stack, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_the_notes_wording_is_package_data() -> None:
    text = importlib.resources.files("report.bench").joinpath("notes.yaml").read_text(encoding="utf-8")
    assert "wrk_hook:" in text
    pyproject = (PACKAGE.parents[1] / "pyproject.toml").read_text()
    assert '"bench/*.yaml"' in pyproject  # so a wheel, not only the editable install, carries it
