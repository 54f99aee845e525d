"""Static facts about the reference services: artefact sizes, dependencies, OTel packages and setup code."""

from __future__ import annotations

import difflib
import json
import re
import subprocess
from pathlib import Path

from report.bench.artifact import dir_size, site_packages, traced_python_artifact
from report.bench.stacks import (
    BUN_CANDIDATES,
    FASTAPI_CANDIDATES,
    Paths,
    bun_candidate_sources,
    fastapi_candidate_sources,
    fastapi_candidate_venv,
    go_binary,
    go_env,
)

MB = 1024 * 1024


def venv_distributions(venv: Path) -> list[str]:
    """Names of the distributions installed in a venv, less the installer's own."""
    names = []
    for meta in site_packages(venv).glob("*.dist-info"):
        name = meta.name.removesuffix(".dist-info").rsplit("-", 1)[0].lower().replace("_", "-")
        if name not in {"pip", "setuptools", "wheel"}:
            names.append(name)
    return sorted(names)


def npm_packages(node_modules: Path) -> list[str]:
    """Names of the packages installed in a node_modules tree (nested node_modules included)."""
    names: set[str] = set()
    todo = [node_modules]
    while todo:
        nm = todo.pop()
        if not nm.is_dir():
            continue
        for entry in nm.iterdir():
            if entry.name.startswith("."):
                continue
            dirs = sorted(entry.iterdir()) if entry.name.startswith("@") and entry.is_dir() else [entry]
            for pkg in dirs:
                if (pkg / "package.json").is_file():
                    names.add(pkg.name if pkg.parent == nm else f"{pkg.parent.name}/{pkg.name}")
                    todo.append(pkg / "node_modules")
    return sorted(names)


def added_code_lines(baseline: str, variant: str, comment: str) -> int:
    """Non-blank, non-comment lines the variant adds or changes relative to the baseline."""

    def keep(lines: list[str]) -> list[str]:
        return [
            ln.strip()
            for ln in lines
            if ln.strip() and not ln.strip().startswith(comment) and not ln.strip().startswith('"""')
        ]

    a, b = keep(baseline.splitlines()), keep(variant.splitlines())
    added = 0
    for op, _, _, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op in ("replace", "insert"):
            added += j2 - j1
    return added


def go_modules(paths: Paths, binary: Path) -> list[str]:
    """Third-party Go modules linked into a built binary (`go version -m`: its `dep` lines).

    Modules, not import paths: a module is Go's unit of distribution, as a package is npm's and a distribution
    pip's, so the three stacks' dependency counts count the same kind of thing.
    """
    out = subprocess.run(
        [go_binary() or "go", "version", "-m", str(binary)],
        env=go_env(paths),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return parse_go_modules(out.stdout)


def parse_go_modules(text: str) -> list[str]:
    """Module paths from `go version -m` output (the `dep` lines; `=>` replacements keep the original path)."""
    return [parts[1] for parts in (ln.split() for ln in text.splitlines()) if len(parts) >= 2 and parts[0] == "dep"]


_IMPORT = re.compile(r"""(?:from|import)\s*["']([^"'./][^"']*)["']""")


def npm_imports(source: str) -> set[str]:
    """npm package names a TypeScript source imports (bare specifiers; Bun and Node built-ins left out)."""
    names = set()
    for spec in _IMPORT.findall(source):
        if spec == "bun" or spec.startswith(("bun:", "node:")):
            continue
        parts = spec.split("/")
        names.add("/".join(parts[:2]) if spec.startswith("@") else parts[0])
    return names


def npm_closure(lock_file: Path, roots: set[str]) -> set[str]:
    """`roots` and everything they depend on at run time, resolved through an npm package-lock.json."""
    packages: dict[str, dict[str, object]] = json.loads(lock_file.read_text()).get("packages", {})
    seen: set[str] = set()
    todo = [("", name) for name in roots]
    while todo:
        where, name = todo.pop()
        # npm's resolution: the nearest node_modules up the tree that holds the package.
        key = ""
        base = where
        while True:
            candidate = f"{base}/node_modules/{name}" if base else f"node_modules/{name}"
            if candidate in packages:
                key = candidate
                break
            if not base:
                break
            base = base.rsplit("/node_modules/", 1)[0] if "/node_modules/" in base else ""
        if not key or key in seen:
            continue
        seen.add(key)
        meta = packages[key]
        deps = {**dict(meta.get("dependencies") or {}), **dict(meta.get("optionalDependencies") or {})}  # type: ignore[call-overload]
        todo += [(key, dep) for dep in deps]
    return {k.rsplit("node_modules/", 1)[1] for k in seen}


def bun_candidate_evidence(paths: Paths) -> list[tuple[str, str, float, str]]:
    """Setup lines and packages added by each Bun candidate's tracing (static half of the candidate table)."""
    rows: list[tuple[str, str, float, str]] = []
    for candidate in BUN_CANDIDATES:
        base_src, otel_src = bun_candidate_sources(paths, candidate)
        lock = (base_src.parent if candidate == "elysia" else paths.services / "bun") / "package-lock.json"
        base, otel = base_src.read_text(), otel_src.read_text()
        added = npm_closure(lock, npm_imports(otel)) - npm_closure(lock, npm_imports(base))
        rows += [
            ("bun", f"bun_{candidate}_setup_lines", added_code_lines(base, otel, "//"), "lines"),
            ("bun", f"bun_{candidate}_packages_added", len(added), "packages"),
        ]
    return rows


def fastapi_candidate_evidence(paths: Paths) -> list[tuple[str, str, float, str]]:
    """Setup lines and distributions added by each FastAPI candidate's tracing (static half of its table)."""
    rows: list[tuple[str, str, float, str]] = []
    base = set(venv_distributions(paths.work / "fastapi-venv"))
    for candidate in FASTAPI_CANDIDATES:
        base_src, otel_src = fastapi_candidate_sources(paths, candidate)
        added = set(venv_distributions(fastapi_candidate_venv(paths, candidate))) - base
        rows += [
            (
                "fastapi",
                f"fastapi_{candidate}_setup_lines",
                added_code_lines(base_src.read_text(), otel_src.read_text(), "#"),
                "lines",
            ),
            ("fastapi", f"fastapi_{candidate}_packages_added", len(added), "packages"),
        ]
    return rows


def shared_libraries(binary: Path) -> int:
    """Shared libraries the dynamic loader maps for `binary` (0 for a static binary)."""
    try:
        out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return -1
    if "not a dynamic executable" in (out.stdout + out.stderr) or "statically linked" in out.stdout:
        return 0
    return len([ln for ln in out.stdout.splitlines() if "=>" in ln or ln.strip().startswith("/")])


def static_evidence(paths: Paths, stacks: list[str]) -> list[tuple[str, str, float, str]]:
    """Evidence rows that need no running service."""
    rows: list[tuple[str, str, float, str]] = []
    w = paths.work
    if "go" in stacks:
        base = go_modules(paths, w / "go" / "server")
        otel = go_modules(paths, w / "go" / "server-otel")
        rows += [
            ("go", "artifact_size_mb", (w / "go" / "server").stat().st_size / MB, "MiB"),
            ("go", "otel_artifact_size_mb", (w / "go" / "server-otel").stat().st_size / MB, "MiB"),
            ("go", "runtime_dependencies", len(base), "packages"),
            ("go", "shared_libraries", shared_libraries(w / "go" / "server"), "libraries"),
            ("go", "needs_installed_runtime", 0, "bool"),
            (
                "go",
                "otel_packages",
                len([p for p in otel if p.startswith("go.opentelemetry.io/")]),
                "packages",
            ),
            ("go", "otel_dependencies_added", len(set(otel) - set(base)), "packages"),
            (
                "go",
                "otel_setup_lines",
                added_code_lines(
                    (paths.services / "go" / "server" / "main.go").read_text(),
                    (paths.services / "go" / "server-otel" / "main.go").read_text(),
                    "//",
                ),
                "lines",
            ),
        ]
    if "bun" in stacks:
        lock = paths.services / "bun" / "package-lock.json"
        base_src = (paths.services / "bun" / "server.ts").read_text()
        otel_src = (paths.services / "bun" / "server-otel.ts").read_text()
        base_pkgs = npm_closure(lock, npm_imports(base_src))
        otel_pkgs = npm_closure(lock, npm_imports(otel_src))
        added = otel_pkgs - base_pkgs
        node_modules = w / "bun" / "node_modules"
        rows += [
            ("bun", "artifact_size_mb", (w / "bun" / "server").stat().st_size / MB, "MiB"),
            ("bun", "otel_artifact_size_mb", (w / "bun" / "server-otel").stat().st_size / MB, "MiB"),
            # Hono and what it needs; Bun.serve and Bun.SQL are built into the runtime.
            ("bun", "runtime_dependencies", len(base_pkgs), "packages"),
            ("bun", "shared_libraries", shared_libraries(w / "bun" / "server"), "libraries"),
            ("bun", "needs_installed_runtime", 0, "bool"),
            ("bun", "otel_packages", len([n for n in otel_pkgs if n.startswith("@opentelemetry/")]), "packages"),
            ("bun", "otel_dependencies_added", len(added), "packages"),
            ("bun", "otel_packages_size_mb", sum(dir_size(node_modules / n) for n in added) / MB, "MiB"),
            ("bun", "otel_setup_lines", added_code_lines(base_src, otel_src, "//"), "lines"),
            *bun_candidate_evidence(paths),
        ]
    if "fastapi" in stacks:
        base_venv, otel_venv = w / "fastapi-venv", fastapi_candidate_venv(paths, "builtin")
        base_d = venv_distributions(base_venv)
        otel_d = venv_distributions(otel_venv)
        app_src, app_otel_src = fastapi_candidate_sources(paths, "builtin")
        rows += [
            ("fastapi", "artifact_size_mb", traced_python_artifact(base_venv) / MB, "MiB"),
            ("fastapi", "otel_artifact_size_mb", traced_python_artifact(otel_venv) / MB, "MiB"),
            ("fastapi", "runtime_dependencies", len(base_d), "packages"),
            ("fastapi", "shared_libraries", shared_libraries(base_venv / "bin" / "python"), "libraries"),
            ("fastapi", "needs_installed_runtime", 1, "bool"),
            ("fastapi", "otel_packages", len([d for d in otel_d if d.startswith("opentelemetry")]), "packages"),
            ("fastapi", "otel_dependencies_added", len(set(otel_d) - set(base_d)), "packages"),
            (
                "fastapi",
                "otel_packages_size_mb",
                (dir_size(site_packages(otel_venv), True) - dir_size(site_packages(base_venv), True)) / MB,
                "MiB",
            ),
            (
                "fastapi",
                "otel_setup_lines",
                added_code_lines(app_src.read_text(), app_otel_src.read_text(), "#"),
                "lines",
            ),
            *fastapi_candidate_evidence(paths),
        ]
    return [(s, m, float(v), u) for s, m, v, u in rows]


# Every measure evidence.csv can hold: name -> (unit, what it is). services/README.md documents the same list.
MEASURES: dict[str, tuple[str, str]] = {
    "artifact_size_mb": (
        "MiB",
        "what a bare Debian host needs to run the baseline, runtime included: Go static binary, `bun build "
        "--compile` executable, or CPython (interpreter, libpython, standard library, host libraries beyond glibc) "
        "plus the venv's site-packages without pip/setuptools",
    ),
    "otel_artifact_size_mb": ("MiB", "the same for the traced variant (the one the report deploys)"),
    "runtime_dependencies": (
        "packages",
        "third-party packages the baseline needs at run time (Go modules linked "
        "into the binary, npm packages imported, pip distributions in the venv)",
    ),
    "shared_libraries": ("libraries", "shared libraries the artefact loads (ldd); 0 = static binary"),
    "needs_installed_runtime": ("bool", "1 when the target machine needs an interpreter installed (CPython)"),
    "otel_packages": (
        "packages",
        "OpenTelemetry packages in the traced variant (go.opentelemetry.io/* Go modules "
        "linked, @opentelemetry/* npm packages, opentelemetry-* distributions)",
    ),
    "otel_dependencies_added": (
        "packages",
        "everything the traced variant adds over the baseline, in each ecosystem's unit of distribution "
        "(Go modules, npm packages, pip distributions)",
    ),
    "otel_packages_size_mb": (
        "MiB",
        "disk size of the packages tracing adds: node_modules without bun (Bun), site-packages growth (FastAPI)",
    ),
    "otel_setup_lines": ("lines", "non-blank, non-comment source lines the traced variant adds or changes"),
    "pss_idle_mb": ("MiB", "PSS of the process tree idle after one request (median over rounds)"),
    "rss_load_median_mb": ("MiB", "median RSS of the process tree during the measured wrk runs"),
    "otel_rss_idle_mb": ("MiB", "idle RSS of the traced variant"),
    "otel_rss_load_peak_mb": ("MiB", "peak RSS of the traced variant under load"),
    "otel_throughput_ratio": (
        "ratio",
        "traced / baseline requests per second at the highest concurrency level (the report's kept with tracing)",
    ),
    "otel_spans_per_req": ("spans/request", "spans the receiver got per request, sequential requests"),
    "otel_db_spans_per_req": (
        "spans/request",
        "spans per GET /db, sequential requests (1: the server span; no stack traces its queries)",
    ),
    "otel_server_spans_per_req": ("spans/request", "SERVER-kind spans per request"),
    "otel_server_span_has_route": ("ratio", "share of server spans carrying http.route (1 = all)"),
    "otel_auto_server_spans_per_req": (
        "spans/request",
        "server spans per request from the stack's instrumentation library, with no hand-written span code",
    ),
    "otel_server_span_named_route": (
        "ratio",
        "share of server spans named after the route, e.g. `GET /json` (1 = all)",
    ),
    "otel_spans_delivered_pct": (
        "%",
        "lowest share of expected spans the receiver got in any kept traced load run (runs under 99 % are "
        "re-run with a larger batch queue and left out of the cost-of-tracing figures)",
    ),
    "otel_bsp_max_queue_size": (
        "spans",
        "largest batch span processor queue the traced variant needed to deliver ≥ 99 % (2048 unless re-run)",
    ),
    "otel_bad_payloads": (
        "payloads",
        "exports the receiver could not decode as OTLP/HTTP protobuf, or sent in another encoding (should be 0)",
    ),
}
# The candidates measured side by side, per stack: FastAPI's built-in OpenTelemetry and the contrib instrumentor with
# exclude_spans (services/fastapi/app_otel.py, services/fastapi/candidates/); Bun.serve with a hand-started span,
# Hono with @hono/otel and Elysia with @elysiajs/opentelemetry (services/bun/candidates/, services/bun/server-otel.ts).
_CANDIDATE_MEASURES = (
    (
        "fastapi",
        (
            ("builtin", "FastAPI's built-in OpenTelemetry"),
            ("contrib", "opentelemetry-instrumentation-fastapi with exclude_spans"),
        ),
        "over the untraced app.py",
        "pip distributions tracing adds over the baseline",
    ),
    (
        "bun",
        (
            ("bunserve", "Bun.serve with a hand-started server span"),
            ("hono", "Hono with @hono/otel"),
            ("elysia", "Elysia with @elysiajs/opentelemetry"),
        ),
        "over its untraced baseline",
        "npm packages tracing adds (from the lockfile)",
    ),
)
for _stack, _candidates, _baseline, _packages in _CANDIDATE_MEASURES:
    for _c, _what in _candidates:
        MEASURES.update(
            {
                f"{_stack}_{_c}_server_spans": ("spans/request", f"{_what}: SERVER-kind spans per request"),
                f"{_stack}_{_c}_spans_per_req": ("spans/request", f"{_what}: all spans per request"),
                f"{_stack}_{_c}_named_route": ("ratio", f"{_what}: share of server spans named `GET <route>`"),
                f"{_stack}_{_c}_has_route": ("ratio", f"{_what}: share of server spans carrying http.route"),
                f"{_stack}_{_c}_setup_lines": ("lines", f"{_what}: source lines added {_baseline}"),
                f"{_stack}_{_c}_packages_added": ("packages", f"{_what}: {_packages}"),
            }
        )
