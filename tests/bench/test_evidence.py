"""Static evidence: measure names, counting added OTel lines, packages in node_modules and venvs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from report.bench.evidence import (
    MEASURES,
    added_code_lines,
    dir_size,
    npm_closure,
    npm_imports,
    npm_packages,
    venv_distributions,
)


def test_measure_names_fit_the_report_loader() -> None:
    for name, (unit, text) in MEASURES.items():
        assert re.fullmatch(r"[a-z][a-z0-9_-]*", name) and len(name) <= 32, name
        assert 0 < len(unit) <= 20 and text


def test_measures_are_documented_in_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "services" / "README.md").read_text()
    for name in MEASURES:
        assert f"`{name}`" in readme, name


def test_added_lines_ignore_blanks_and_comments() -> None:
    base = "import a\n\nx = 1\nprint(x)\n"
    variant = "import a\nimport otel  # setup\n\n# a comment\nsetup()\nx = 1\nprint(x)\n"
    assert added_code_lines(base, variant, "#") == 2


def test_added_lines_count_changed_lines() -> None:
    assert added_code_lines("f(x)\ng(y)\n", "traced(f, x)\ng(y)\n", "//") == 1


def _pkg(path: Path, name: str) -> None:
    path.mkdir(parents=True)
    (path / "package.json").write_text(json.dumps({"name": name}))


def test_npm_packages_include_scoped_and_nested(tmp_path: Path) -> None:
    nm = tmp_path / "node_modules"
    _pkg(nm / "debug", "debug")
    _pkg(nm / "@opentelemetry" / "api", "@opentelemetry/api")
    _pkg(nm / "debug" / "node_modules" / "ms", "ms")
    (nm / ".bin").mkdir()
    assert npm_packages(nm) == ["@opentelemetry/api", "debug", "ms"]


def test_venv_distributions_skip_installer(tmp_path: Path) -> None:
    sp = tmp_path / "lib" / "python3.11" / "site-packages"
    for d in (
        "pip-24.0.dist-info",
        "setuptools-69.dist-info",
        "fastapi-0.165.0.dist-info",
        "opentelemetry_sdk-1.45.2.dist-info",
    ):
        (sp / d).mkdir(parents=True)
    assert venv_distributions(tmp_path) == ["fastapi", "opentelemetry-sdk"]
    (sp / "pip").mkdir()
    (sp / "pip" / "big.py").write_text("x" * 1000)
    (sp / "fastapi").mkdir()
    (sp / "fastapi" / "a.py").write_text("x" * 10)
    assert dir_size(sp, skip_installer=True) == 10
    assert dir_size(sp) == 1010


def test_npm_imports_keep_bare_packages_only() -> None:
    src = (
        'import { SQL } from "bun";\nimport { Hono } from "hono";\nimport { x } from "@hono/otel";\n'
        'import { y } from "@opentelemetry/sdk-trace/build";\nimport "./local";\nimport fs from "node:fs";\n'
    )
    assert npm_imports(src) == {"hono", "@hono/otel", "@opentelemetry/sdk-trace"}


def test_npm_closure_follows_lockfile_dependencies_and_nesting(tmp_path: Path) -> None:
    lock = tmp_path / "package-lock.json"
    lock.write_text(
        json.dumps(
            {
                "packages": {
                    "": {"dependencies": {"a": "1"}},
                    "node_modules/a": {"version": "1", "dependencies": {"b": "^1", "c": "1"}},
                    "node_modules/b": {"version": "1.0.0"},
                    "node_modules/a/node_modules/c": {"version": "1", "dependencies": {"b": "^1"}},
                    "node_modules/unused": {"version": "9"},
                }
            }
        )
    )
    assert npm_closure(lock, {"a"}) == {"a", "b", "c"}
    assert npm_closure(lock, set()) == set()


def test_go_dependencies_are_counted_in_modules_from_go_version_m() -> None:
    """Modules, as `go version -m` lists them: one per module however many of its packages are imported."""
    from report.bench.evidence import parse_go_modules

    text = (
        "services/.work/go/server-otel: go1.26.8\n"
        "\tpath\tbench/server-otel\n"
        "\tmod\tbench\t(devel)\t\n"
        "\tdep\tgo.opentelemetry.io/otel\tv1.47.0\th1:abc=\n"
        "\tdep\tgithub.com/jackc/pgx/v5\tv5.13.0\th1:def=\n"
        "\t=>\tgithub.com/fork/pgx/v5\tv5.13.1\th1:ghi=\n"
        "\tbuild\tCGO_ENABLED=0\n"
    )
    assert parse_go_modules(text) == ["go.opentelemetry.io/otel", "github.com/jackc/pgx/v5"]
