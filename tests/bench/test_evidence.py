"""Static evidence: measure names, counting added OTel lines, packages in node_modules and venvs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from report.bench.artifact import dir_size
from report.bench.evidence import (
    MEASURES,
    added_code_lines,
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


def _file(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


def test_cpython_runtime_counts_what_a_service_loads_and_leaves_out_the_rest(tmp_path: Path) -> None:
    from report.bench.artifact import cpython_runtime_files

    prefix = tmp_path / "3.13.0"
    exe = _file(prefix / "bin" / "python3.13", 10)
    (prefix / "bin" / "python3").symlink_to("python3.13")
    libpython = _file(prefix / "lib" / "libpython3.13.so.1.0", 100)
    (prefix / "lib" / "libpython3.13.so").symlink_to("libpython3.13.so.1.0")
    stdlib = prefix / "lib" / "python3.13"
    kept = [
        _file(stdlib / "os.py", 1),
        _file(stdlib / "json" / "__init__.py", 1),
        _file(stdlib / "lib-dynload" / "_ssl.cpython-313-x86_64-linux-gnu.so", 1),
        _file(stdlib / "__pycache__" / "os.cpython-313.pyc", 1),
    ]
    _file(stdlib / "__pycache__" / "os.cpython-313.opt-1.pyc", 1000)
    _file(stdlib / "__pycache__" / "os.cpython-313.opt-2.pyc", 1000)
    for left_out in (
        "test/test_os.py",
        "idlelib/idle.py",
        "tkinter/__init__.py",
        "ensurepip/_bundled/pip.whl",
        "site-packages/README.txt",
        "config-3.13-x86_64-linux-gnu/libpython3.13.a",
        "lib2to3/main.py",
    ):
        _file(stdlib / left_out, 1000)
    _file(prefix / "include" / "python3.13" / "Python.h", 1000)
    got = cpython_runtime_files(prefix, stdlib, prefix / "bin" / "python3")
    assert sorted(got) == sorted([exe, libpython, *kept])


def test_host_libraries_leave_glibc_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    from report.bench import artifact

    ldd = (
        "\tlinux-vdso.so.1 (0x00007ffd)\n"
        "\tlibssl.so.3 => /usr/lib/x86_64-linux-gnu/libssl.so.3 (0x00007f71)\n"
        "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f70)\n"
        "\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f6f)\n"
        "\t/lib64/ld-linux-x86-64.so.2 (0x00007f72)\n"
    )
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout=ldd, stderr=""))
    assert artifact.host_libraries([tmp_path / "_ssl.so"]) == {Path("/usr/lib/x86_64-linux-gnu/libssl.so.3").resolve()}


def test_fastapi_candidates_count_their_own_setup_lines_and_packages(tmp_path: Path) -> None:
    from report.bench.evidence import fastapi_candidate_evidence
    from report.bench.stacks import Paths

    fastapi = tmp_path / "services" / "fastapi"
    _file(fastapi / "app.py", 0).write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    (fastapi / "app_otel.py").write_text('from fastapi import FastAPI\napp = FastAPI(telemetry={"a": 1})\n')
    _file(fastapi / "candidates" / "contrib_otel.py", 0).write_text(
        "from fastapi import FastAPI\nimport otel\nsetup()\napp = FastAPI()\ninstrument(app)\n"
    )
    work = tmp_path / "services" / ".work"
    for venv, dists in (
        ("fastapi-venv", ["fastapi-0.165.0"]),
        ("fastapi-otel-venv", ["fastapi-0.165.0", "opentelemetry_sdk-1.45.2", "protobuf-7.36.2"]),
        ("fastapi-contrib-venv", ["fastapi-0.165.0", "opentelemetry_sdk-1.45.2", "wrapt-2.5.2", "asgiref-3.13.0"]),
    ):
        for d in dists:
            (work / venv / "lib" / "python3.13" / "site-packages" / f"{d}.dist-info").mkdir(parents=True)
    rows = {m: v for _, m, v, _ in fastapi_candidate_evidence(Paths(tmp_path))}
    assert rows == {
        "fastapi_builtin_setup_lines": 1,
        "fastapi_builtin_packages_added": 2,
        "fastapi_contrib_setup_lines": 3,
        "fastapi_contrib_packages_added": 3,
    }
