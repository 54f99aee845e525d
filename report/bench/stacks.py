"""The three reference services: where their sources and built artefacts live and how each is started."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from report.bench.errors import BenchError

STACK_IDS = ("go", "bun", "fastapi")
LOOPBACK = "127.0.0.1"  # where services listen and spans go when everything runs on this machine
VARIANTS = ("baseline", "otel")


def repo_root() -> Path:
    """The checkout holding services/: the working directory when it has one, else this package's checkout."""
    env = os.environ.get("LEAD_MAGNET_ROOT")
    if env:
        return Path(env).resolve()
    cwd = Path.cwd()
    if (cwd / "services" / "wrk" / "report.lua").is_file():
        return cwd
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Paths:
    """Fixed locations under the checkout."""

    root: Path

    @property
    def services(self) -> Path:
        """Sources of the reference services."""
        return self.root / "services"

    @property
    def work(self) -> Path:
        """Build artefacts and virtual environments (git-ignored)."""
        return self.root / "services" / ".work"

    @property
    def lua(self) -> Path:
        """The wrk done() hook."""
        return self.services / "wrk" / "report.lua"


@dataclass(frozen=True)
class Launch:
    """How to start one variant of one service."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path


BASE_ENV_KEYS = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")  # what a service inherits from the harness


def base_env() -> dict[str, str]:
    """A small, predictable environment: no inherited OTEL_* or proxy settings leak into a service."""
    env = {k: os.environ[k] for k in BASE_ENV_KEYS if k in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    return env


# Every traced variant: OTLP/HTTP protobuf to the one receiver, with the same batch span processor settings.
# The Go SDK, the Python SDK and the JS 2.x SDK (Elysia candidate) read OTEL_BSP_* themselves; the JS 3.x SDK
# (Bun's variant) no longer does, so server-otel.ts passes the same variables to its BatchSpanProcessor.
BSP_DEFAULTS: dict[str, int] = {
    "OTEL_BSP_MAX_QUEUE_SIZE": 2048,
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": 512,
    "OTEL_BSP_SCHEDULE_DELAY": 1000,
    "OTEL_BSP_EXPORT_TIMEOUT": 30000,
}

# Bun's traced variant is Hono + @hono/otel (services/bun/server*.ts); these candidates are measured beside it.
BUN_CHOICE = "hono"
BUN_CANDIDATES = ("bunserve", "hono", "elysia")


# FastAPI's traced variant is its built-in OpenTelemetry (services/fastapi/app_otel.py, FastAPI's documented path);
# the contrib instrumentor (services/fastapi/candidates/contrib_otel.py, own venv) is measured beside it.
FASTAPI_CHOICE = "builtin"
FASTAPI_CANDIDATES = ("builtin", "contrib")


def fastapi_candidate_sources(paths: Paths, candidate: str) -> tuple[Path, Path]:
    """The (baseline, traced) sources of one FastAPI candidate."""
    fastapi = paths.services / "fastapi"
    if candidate == FASTAPI_CHOICE:
        return fastapi / "app.py", fastapi / "app_otel.py"
    return fastapi / "app.py", fastapi / "candidates" / f"{candidate}_otel.py"


def fastapi_candidate_venv(paths: Paths, candidate: str) -> Path:
    """The virtual environment one FastAPI candidate's traced variant runs in."""
    return paths.work / ("fastapi-otel-venv" if candidate == FASTAPI_CHOICE else f"fastapi-{candidate}-venv")


def bun_candidate_sources(paths: Paths, candidate: str) -> tuple[Path, Path]:
    """The (baseline, traced) sources of one Bun candidate."""
    bun = paths.services / "bun"
    if candidate == BUN_CHOICE:
        return bun / "server.ts", bun / "server-otel.ts"
    if candidate == "elysia":
        return bun / "candidates" / "elysia" / "server.ts", bun / "candidates" / "elysia" / "server-otel.ts"
    return bun / "candidates" / f"{candidate}.ts", bun / "candidates" / f"{candidate}-otel.ts"


def bun_candidate_binary(paths: Paths, candidate: str) -> Path:
    """The compiled traced executable of one Bun candidate."""
    if candidate == BUN_CHOICE:
        return paths.work / "bun" / "server-otel"
    if candidate == "elysia":
        return paths.work / "bun-elysia" / "server-otel"
    return paths.work / "bun" / f"{candidate}-otel"


def launch(
    paths: Paths,
    stack: str,
    variant: str,
    port: int,
    receiver_port: int | None,
    bsp: dict[str, int] | None = None,
    candidate: str | None = None,
    *,
    listen: str = LOOPBACK,
    receiver_host: str = LOOPBACK,
) -> Launch:
    """The argv, environment and directory that start `stack`'s `variant` on `listen`:`port` (loopback unless the
    load generator is on another host), exporting spans to the receiver on `receiver_host`:`receiver_port`."""
    env = base_env()
    env["PORT"] = str(port)
    env["LISTEN_ADDRESS"] = listen
    otel = variant == "otel"
    if otel:
        if receiver_port is None:
            raise BenchError("the OpenTelemetry variant needs the span receiver")
        env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = f"http://{receiver_host}:{receiver_port}/{stack}/v1/traces"
        env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf"
        env["OTEL_TRACES_EXPORTER"] = "otlp"
        env["OTEL_PROPAGATORS"] = "tracecontext"
        # Read by the SDKs that build their resource from the environment (FastAPI's built-in auto-configuration).
        env["OTEL_SERVICE_NAME"] = f"bench-{stack}"
        # The SDKs' own metrics/log exporters stay off: only traces are compared.
        env["OTEL_METRICS_EXPORTER"] = "none"
        env["OTEL_LOGS_EXPORTER"] = "none"
        env.update({k: str(v) for k, v in (bsp or BSP_DEFAULTS).items()})
    # The database endpoint is opt-in: without DATABASE_URL a service never touches a database.
    for key in ("DATABASE_URL", "DB_POOL_SIZE"):
        if key in os.environ:
            env[key] = os.environ[key]
    suffix = "-otel" if otel else ""
    if stack == "go":
        return Launch([str(paths.work / "go" / f"server{suffix}")], env, paths.work / "go")
    if stack == "bun":
        if candidate and otel:
            binary = bun_candidate_binary(paths, candidate)
            return Launch([str(binary)], env, binary.parent)
        return Launch([str(paths.work / "bun" / f"server{suffix}")], env, paths.work / "bun")
    if stack == "fastapi":
        choice = candidate or FASTAPI_CHOICE
        venv = fastapi_candidate_venv(paths, choice) if otel else paths.work / "fastapi-venv"
        app = "app:app"
        if otel:
            app = "app_otel:app" if choice == FASTAPI_CHOICE else f"candidates.{choice}_otel:app"
        argv = [
            str(venv / "bin" / "python"),
            "-m",
            "uvicorn",
            app,
            "--host",
            listen,
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        return Launch(argv, env, paths.services / "fastapi")
    raise BenchError(f"unknown stack {stack!r}: expected one of {', '.join(STACK_IDS)}")


def _run(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    try:
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError as exc:
        raise BenchError(f"{argv[0]} not found: run `make bench-deps`") from exc
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{' '.join(argv)}: timed out after {timeout:.0f} s") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise BenchError(f"{' '.join(argv)} failed (exit {done.returncode}):\n  " + "\n  ".join(tail))
    return done.stdout


# Every go command the harness runs uses Go 1.27.3 (services/go/go.mod's toolchain line; install-deps.sh, the Makefile
# and .ci/run export the same): the machine's go (1.21+) fetches it from the Go module proxy.
GO_TOOLCHAIN = "go1.27.3"


def go_binary() -> str | None:
    """The go command: on PATH, else the official tarball's /usr/local/go/bin/go."""
    found = shutil.which("go")
    if found:
        return found
    fallback = Path("/usr/local/go/bin/go")
    return str(fallback) if fallback.is_file() else None


def go_env(paths: Paths) -> dict[str, str]:
    """Module mode, pinned by services/go/go.mod + go.sum; modules come from the Go module proxy (GOPROXY)."""
    env = base_env()
    env.update(CGO_ENABLED="0", GOFLAGS="-trimpath -mod=readonly")
    env["GOTOOLCHAIN"] = GO_TOOLCHAIN
    for key in ("GOPROXY", "GOMODCACHE", "GOCACHE", "GOPATH"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def _stale(target: Path, sources: list[Path]) -> bool:
    if not target.exists():
        return True
    mtime = target.stat().st_mtime
    return any(s.stat().st_mtime > mtime for s in sources)


def _bun_compile(bun: Path, src: Path, work: Path, name: str) -> None:
    """Compile one TypeScript source with `bun build --compile`, beside the node_modules it imports from."""
    staged = work / f"{name}.ts"
    if not staged.exists() or staged.read_bytes() != src.read_bytes():
        shutil.copyfile(src, staged)
    if _stale(work / name, [staged]):
        _run([str(bun), "build", "--compile", "--minify", staged.name, "--outfile", name], cwd=work)


def build(paths: Paths, stacks: list[str]) -> None:
    """Build the Go binaries and the Bun executables when missing or older than their sources."""
    missing: list[str] = []
    if "go" in stacks:
        go = go_binary()
        if go is None:
            missing.append(f"go 1.21+ to fetch {GO_TOOLCHAIN} (the official tarball from go.dev/dl, in /usr/local/go)")
        else:
            (paths.work / "go").mkdir(parents=True, exist_ok=True)
            mod = [paths.services / "go" / "go.mod", paths.services / "go" / "go.sum"]
            for name in ("server", "server-otel"):
                out = paths.work / "go" / name
                if _stale(out, [*mod, *(paths.services / "go" / name).glob("*.go")]):
                    _run(
                        [go, "build", "-ldflags=-s -w", "-o", str(out), f"./{name}"],
                        cwd=paths.services / "go",
                        env=go_env(paths),
                    )
    if "bun" in stacks:
        bun = paths.work / "bun" / "node_modules" / ".bin" / "bun"
        if not bun.exists() or not (paths.work / "bun-elysia" / "node_modules").is_dir():
            missing.append(f"bun and the candidates' packages ({bun}; npm ci via make bench-deps)")
        else:
            bun_dir = paths.services / "bun"
            _bun_compile(bun, bun_dir / "server.ts", paths.work / "bun", "server")
            _bun_compile(bun, bun_dir / "server-otel.ts", paths.work / "bun", "server-otel")
            for candidate in BUN_CANDIDATES:
                if candidate != BUN_CHOICE:
                    binary = bun_candidate_binary(paths, candidate)
                    _bun_compile(bun, bun_candidate_sources(paths, candidate)[1], binary.parent, binary.name)
    if "fastapi" in stacks:
        for venv in ("fastapi-venv", *(fastapi_candidate_venv(paths, c).name for c in FASTAPI_CANDIDATES)):
            if not (paths.work / venv / "bin" / "python").exists():
                missing.append(f"{paths.work / venv} (pip: services/fastapi/requirements*.txt, candidates/)")
    if missing:
        raise BenchError("missing toolchain: " + "; ".join(missing) + ". Run `make bench-deps` first.")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unknown"


def _go_module_versions(binary: Path) -> dict[str, str]:
    """Module path -> version, and "go" -> toolchain, from `go version -m` on a built binary."""
    go = go_binary() or "go"
    out: dict[str, str] = {}
    for line in _run([go, "version", "-m", str(binary)], env=go_env(Paths(repo_root()))).splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].endswith(":"):
            out["go"] = parts[1]
        elif len(parts) >= 3 and parts[0] == "dep":
            out[parts[1]] = parts[2]
    return out


def lock_versions(lock_file: Path) -> dict[str, str]:
    """Package name -> version of every top-level package in an npm package-lock.json (lockfileVersion 3)."""
    try:
        doc = json.loads(lock_file.read_text())
    except (OSError, ValueError):
        return {}
    out: dict[str, str] = {}
    for key, meta in (doc.get("packages") or {}).items():
        name = key.removeprefix("node_modules/")
        if key.startswith("node_modules/") and "/node_modules/" not in name and isinstance(meta, dict):
            out[name] = str(meta.get("version", "unknown"))
    return out


def versions(paths: Paths, stacks: list[str]) -> dict[str, str]:
    """One version line per stack, read from the built binaries, the lockfiles and the venvs, never typed."""
    out: dict[str, str] = {}
    if "go" in stacks:
        m = _go_module_versions(paths.work / "go" / "server-otel")
        contrib = "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
        out["go"] = (
            f"{m.get('go', 'unknown')} net/http, CGO_ENABLED=0 static binary; pgx {m.get('github.com/jackc/pgx/v5')}; "
            f"OTel: otelhttp {m.get(contrib)}, SDK {m.get('go.opentelemetry.io/otel/sdk')}, otlptracehttp "
            f"{m.get('go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp')} (OTLP/HTTP protobuf)"
        )
    if "bun" in stacks:
        bun = _first_line(_run([str(paths.work / "bun" / "node_modules" / ".bin" / "bun"), "--version"]))
        v = lock_versions(paths.services / "bun" / "package-lock.json")
        out["bun"] = (
            f"bun {bun}, Hono {v.get('hono')} on Bun.serve, bun build --compile; Bun.SQL; OTel: @hono/otel "
            f"{v.get('@hono/otel')}, @opentelemetry/sdk-trace {v.get('@opentelemetry/sdk-trace')}, "
            f"exporter-trace-otlp-proto {v.get('@opentelemetry/exporter-trace-otlp-proto')} (OTLP/HTTP protobuf)"
        )
    if "fastapi" in stacks:
        py = paths.work / "fastapi-otel-venv" / "bin" / "python"
        code = (
            "import sys, sysconfig, importlib.metadata as m; v = m.version; "
            "a = sysconfig.get_config_var('CONFIG_ARGS') or ''; "
            "b = '+'.join(n for n, f in (('PGO', '--enable-optimizations'), ('LTO', '--with-lto')) if f in a); "
            "print(f\"fastapi {v('fastapi')} on uvicorn {v('uvicorn')} (uvloop {v('uvloop')}, httptools "
            "{v('httptools')}, 1 worker), CPython {sys.version.split()[0]} ({b or 'no PGO or LTO'}); "
            "asyncpg {v('asyncpg')}; "
            "OTel: FastAPI's built-in tracing, SDK {v('opentelemetry-sdk')}, exporter-otlp-proto-http "
            "{v('opentelemetry-exporter-otlp-proto-http')} (OTLP/HTTP protobuf)\")"
        )
        contrib_py = fastapi_candidate_venv(paths, "contrib") / "bin" / "python"
        version = "import importlib.metadata as m; print(m.version('opentelemetry-instrumentation-fastapi'))"
        instrumentor = _first_line(_run([str(contrib_py), "-c", version]))
        builtin = _first_line(_run([str(py), "-c", code]))
        out["fastapi"] = f"{builtin}; candidate: instrumentation-fastapi {instrumentor}"
    return out


def tool_version(argv: list[str], path: str | None = None) -> str:
    """First line a tool prints about its version (wrk prints it to stdout and exits 1); `path`: its PATH."""
    env = {**os.environ, "PATH": path} if path is not None else None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    return _first_line(done.stdout or done.stderr)
