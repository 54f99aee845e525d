"""Static facts about the reference services: artefact sizes, dependencies, OTel packages and setup code."""

from __future__ import annotations

import difflib
import subprocess
from pathlib import Path

from report.bench.stacks import Paths, go_env

MB = 1024 * 1024


_INSTALLER = ("pip", "setuptools", "wheel", "_distutils_hack", "pkg_resources", "distutils-precedence")


def dir_size(path: Path, skip_installer: bool = False) -> int:
    """Bytes of regular files under `path` (symlinks not followed), optionally without pip/setuptools."""
    total = 0
    for top in path.iterdir() if path.is_dir() else []:
        # pip and setuptools come with every venv and are not needed to run the service.
        if skip_installer and top.name.lower().startswith(_INSTALLER):
            continue
        files = [top] if top.is_file() else top.rglob("*")
        total += sum(p.stat().st_size for p in files if p.is_file() and not p.is_symlink())
    return total


def site_packages(venv: Path) -> Path:
    """The venv's site-packages directory."""
    found = sorted(venv.glob("lib/python*/site-packages"))
    return found[0] if found else venv / "lib" / "site-packages"


def _node_modules_size(node_modules: Path) -> int:
    # bun itself is the build tool, not a dependency of the service.
    return sum(
        dir_size(p) if p.is_dir() else p.stat().st_size
        for p in node_modules.iterdir()
        if p.name not in {"bun", "@oven", ".bin"}
    )


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


def go_nonstd_packages(paths: Paths, name: str) -> list[str]:
    """Non-standard-library Go packages linked into bench/go/<name>."""
    out = subprocess.run(
        ["go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "."],
        cwd=paths.bench / "go" / name,
        env=go_env(paths),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return [
        ln for ln in out.stdout.split() if ln and ln != "." and not ln.startswith("_")
    ]  # GOPATH mode names the main package by its directory


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
        base = go_nonstd_packages(paths, "server")
        otel = go_nonstd_packages(paths, "server-otel")
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
                    (paths.bench / "go" / "server" / "main.go").read_text(),
                    (paths.bench / "go" / "server-otel" / "main.go").read_text(),
                    "//",
                ),
                "lines",
            ),
        ]
    if "bun" in stacks:
        npm = [n for n in npm_packages(w / "bun" / "node_modules") if n != "bun" and not n.startswith("@oven/")]
        rows += [
            ("bun", "artifact_size_mb", (w / "bun" / "server").stat().st_size / MB, "MiB"),
            ("bun", "otel_artifact_size_mb", (w / "bun" / "server-otel").stat().st_size / MB, "MiB"),
            # The baseline imports nothing: Bun.serve is built into the runtime.
            ("bun", "runtime_dependencies", 0, "packages"),
            ("bun", "shared_libraries", shared_libraries(w / "bun" / "server"), "libraries"),
            ("bun", "needs_installed_runtime", 0, "bool"),
            ("bun", "otel_packages", len([n for n in npm if n.startswith("@opentelemetry/")]), "packages"),
            ("bun", "otel_dependencies_added", len(npm), "packages"),
            ("bun", "otel_packages_size_mb", _node_modules_size(w / "bun" / "node_modules") / MB, "MiB"),
            (
                "bun",
                "otel_setup_lines",
                added_code_lines(
                    (paths.bench / "bun" / "server.ts").read_text(),
                    (paths.bench / "bun" / "server-otel.ts").read_text(),
                    "//",
                ),
                "lines",
            ),
        ]
    if "fastapi" in stacks:
        base_d = venv_distributions(w / "fastapi-venv")
        otel_d = venv_distributions(w / "fastapi-otel-venv")
        rows += [
            ("fastapi", "artifact_size_mb", dir_size(site_packages(w / "fastapi-venv"), True) / MB, "MiB"),
            (
                "fastapi",
                "otel_artifact_size_mb",
                dir_size(site_packages(w / "fastapi-otel-venv"), True) / MB,
                "MiB",
            ),
            ("fastapi", "runtime_dependencies", len(base_d), "packages"),
            (
                "fastapi",
                "shared_libraries",
                shared_libraries(w / "fastapi-venv" / "bin" / "python"),
                "libraries",
            ),
            ("fastapi", "needs_installed_runtime", 1, "bool"),
            (
                "fastapi",
                "otel_packages",
                len([d for d in otel_d if d.startswith("opentelemetry")]),
                "packages",
            ),
            ("fastapi", "otel_dependencies_added", len(set(otel_d) - set(base_d)), "packages"),
            (
                "fastapi",
                "otel_packages_size_mb",
                (
                    dir_size(site_packages(w / "fastapi-otel-venv"), True)
                    - dir_size(site_packages(w / "fastapi-venv"), True)
                )
                / MB,
                "MiB",
            ),
            (
                "fastapi",
                "otel_setup_lines",
                added_code_lines(
                    (paths.bench / "fastapi" / "app.py").read_text(),
                    (paths.bench / "fastapi" / "app_otel.py").read_text(),
                    "#",
                ),
                "lines",
            ),
        ]
    return [(s, m, float(v), u) for s, m, v, u in rows]


# Every measure evidence.csv can hold: name -> (unit, what it is). bench/README.md documents the same list.
MEASURES: dict[str, tuple[str, str]] = {
    "artifact_size_mb": (
        "MiB",
        "deployable artefact of the baseline: Go static binary, `bun build --compile` "
        "executable, or the venv's site-packages without pip/setuptools (plus an interpreter)",
    ),
    "otel_artifact_size_mb": ("MiB", "the same for the OpenTelemetry variant"),
    "runtime_dependencies": (
        "packages",
        "third-party packages the baseline needs at run time (non-stdlib Go "
        "packages, npm packages imported, pip distributions in the venv)",
    ),
    "shared_libraries": ("libraries", "shared libraries the artefact loads (ldd); 0 = static binary"),
    "needs_installed_runtime": ("bool", "1 when the target machine needs an interpreter installed (CPython)"),
    "otel_packages": (
        "packages",
        "OpenTelemetry packages in the traced variant (Go packages linked, "
        "@opentelemetry/* npm packages, opentelemetry-* distributions)",
    ),
    "otel_dependencies_added": ("packages", "all packages the traced variant adds over the baseline"),
    "otel_packages_size_mb": (
        "MiB",
        "disk size of the packages tracing adds: node_modules without bun (Bun), site-packages growth (FastAPI)",
    ),
    "otel_setup_lines": ("lines", "non-blank, non-comment source lines the traced variant adds or changes"),
    "pss_idle_mb": ("MiB", "PSS of the process tree idle after one request (median over rounds)"),
    "rss_load_median_mb": ("MiB", "median RSS of the process tree during the measured wrk runs"),
    "otel_rss_idle_mb": ("MiB", "idle RSS of the traced variant"),
    "otel_rss_load_peak_mb": ("MiB", "peak RSS of the traced variant under load"),
    "otel_throughput_ratio": ("ratio", "traced / baseline requests per second (median over concurrency levels)"),
    "otel_spans_per_req": ("spans/request", "spans the receiver got per request, sequential requests"),
    "otel_server_spans_per_req": ("spans/request", "SERVER-kind spans per request"),
    "otel_server_span_has_route": ("ratio", "share of server spans carrying http.route (1 = all)"),
    "otel_auto_server_spans_per_req": (
        "spans/request",
        "server spans per request from automatic instrumentation alone, with no hand-written span code",
    ),
    "otel_auto_spans_per_req": (
        "spans/request",
        "all spans per request from automatic instrumentation alone (Bun only)",
    ),
    "otel_spans_delivered_pct": (
        "%",
        "spans delivered during a wrk burst at the highest concurrency, as a share "
        "of spans expected (the rest were dropped by the SDK's batch queue)",
    ),
    "otel_bad_payloads": ("payloads", "exports the receiver could not decode (should be 0)"),
}
