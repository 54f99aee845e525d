"""The three reference services: where their sources and built artefacts live and how each is started."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from report.bench.errors import BenchError

STACK_IDS = ("go", "bun", "fastapi")
VARIANTS = ("baseline", "otel")


def repo_root() -> Path:
    """The checkout holding bench/: the working directory when it has one, else this package's checkout."""
    env = os.environ.get("LEAD_MAGNET_ROOT")
    if env:
        return Path(env).resolve()
    cwd = Path.cwd()
    if (cwd / "bench" / "wrk" / "report.lua").is_file():
        return cwd
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Paths:
    """Fixed locations under the checkout."""

    root: Path

    @property
    def bench(self) -> Path:
        """Sources of the reference services."""
        return self.root / "bench"

    @property
    def work(self) -> Path:
        """Build artefacts and virtual environments (git-ignored)."""
        return self.root / "bench" / ".work"

    @property
    def lua(self) -> Path:
        """The wrk done() hook."""
        return self.bench / "wrk" / "report.lua"


@dataclass(frozen=True)
class Launch:
    """How to start one variant of one service."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path


def base_env() -> dict[str, str]:
    """A small, predictable environment: no inherited OTEL_* or proxy settings leak into a service."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    return env


def launch(paths: Paths, stack: str, variant: str, port: int, receiver_port: int | None) -> Launch:
    """The argv, environment and directory that start `stack`'s `variant` on 127.0.0.1:`port`."""
    env = base_env()
    env["PORT"] = str(port)
    otel = variant == "otel"
    if otel:
        if receiver_port is None:
            raise BenchError("the OpenTelemetry variant needs the span receiver")
        base = f"http://127.0.0.1:{receiver_port}/{stack}"
        env["OTEL_EXPORTER_JAEGER_ENDPOINT"] = f"{base}/api/traces"
        env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = f"{base}/v1/traces"
        # The SDKs' own metrics/log exporters stay off: only traces are compared.
        env["OTEL_METRICS_EXPORTER"] = "none"
        env["OTEL_LOGS_EXPORTER"] = "none"
    suffix = "-otel" if otel else ""
    if stack == "go":
        return Launch([str(paths.work / "go" / f"server{suffix}")], env, paths.work / "go")
    if stack == "bun":
        return Launch([str(paths.work / "bun" / f"server{suffix}")], env, paths.work / "bun")
    if stack == "fastapi":
        venv = paths.work / ("fastapi-otel-venv" if otel else "fastapi-venv")
        app = "app_otel:app" if otel else "app:app"
        argv = [
            str(venv / "bin" / "python"),
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        return Launch(argv, env, paths.bench / "fastapi")
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


def go_env(paths: Paths) -> dict[str, str]:
    """GOPATH mode over Debian's /usr/share/gocode: no module proxy is reachable here."""
    env = base_env()
    env.update(
        GO111MODULE="off",
        GOPATH="/usr/share/gocode",
        GOCACHE=str(paths.work / "go" / "cache"),
        CGO_ENABLED="0",
        GOFLAGS="-trimpath",
    )
    return env


def _stale(target: Path, sources: list[Path]) -> bool:
    if not target.exists():
        return True
    mtime = target.stat().st_mtime
    return any(s.stat().st_mtime > mtime for s in sources)


def build(paths: Paths, stacks: list[str]) -> None:
    """Build the Go binaries and the Bun executables when missing or older than their sources."""
    missing: list[str] = []
    if "go" in stacks:
        if shutil.which("go") is None:
            missing.append("go (apt: golang-go)")
        else:
            (paths.work / "go").mkdir(parents=True, exist_ok=True)
            for name in ("server", "server-otel"):
                src = paths.bench / "go" / name
                out = paths.work / "go" / name
                if _stale(out, list(src.glob("*.go"))):
                    _run(["go", "build", "-ldflags=-s -w", "-o", str(out), "."], cwd=src, env=go_env(paths))
    if "bun" in stacks:
        bun = paths.work / "bun" / "node_modules" / ".bin" / "bun"
        if not bun.exists():
            missing.append(f"bun ({bun}; npm: bun)")
        else:
            for name in ("server", "server-otel"):
                src = paths.bench / "bun" / f"{name}.ts"
                staged = paths.work / "bun" / f"{name}.ts"
                out = paths.work / "bun" / name
                # Compiled beside node_modules so the OpenTelemetry imports resolve.
                if not staged.exists() or staged.read_bytes() != src.read_bytes():
                    shutil.copyfile(src, staged)
                if _stale(out, [staged]):
                    _run(
                        [str(bun), "build", "--compile", "--minify", staged.name, "--outfile", name],
                        cwd=paths.work / "bun",
                    )
    if "fastapi" in stacks:
        for venv in ("fastapi-venv", "fastapi-otel-venv"):
            if not (paths.work / venv / "bin" / "python").exists():
                missing.append(f"{paths.work / venv} (pip: bench/fastapi/requirements*.txt)")
    if missing:
        raise BenchError("missing toolchain: " + "; ".join(missing) + ". Run `make bench-deps` first.")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unknown"


def versions(paths: Paths, stacks: list[str]) -> dict[str, str]:
    """One free-text version line per stack: runtime, framework, OpenTelemetry pieces and exporter."""
    out: dict[str, str] = {}
    if "go" in stacks:
        go = _first_line(_run(["go", "version"])).replace("go version ", "")
        otel = _debian_version("golang-opentelemetry-otel-dev")
        out["go"] = (
            f"{go} net/http, CGO_ENABLED=0 static stripped binary; OTel: Go SDK {otel} "
            "(Debian golang-opentelemetry-otel-dev), Jaeger Thrift/HTTP exporter, hand-written server-span "
            "middleware"
        )
    if "bun" in stacks:
        bun = _first_line(_run([str(paths.work / "bun" / "node_modules" / ".bin" / "bun"), "--version"]))
        nm = paths.work / "bun" / "node_modules" / "@opentelemetry"
        sdk = _npm_version(nm / "sdk-trace")
        exp = _npm_version(nm / "exporter-trace-otlp-http")
        out["bun"] = (
            f"bun {bun} Bun.serve, bun build --compile; OTel: @opentelemetry/sdk-trace {sdk}, "
            f"exporter-trace-otlp-http {exp} (OTLP/HTTP JSON)"
        )
    if "fastapi" in stacks:
        py = paths.work / "fastapi-otel-venv" / "bin" / "python"
        code = (
            "import sys, importlib.metadata as m; v = m.version; "
            "print(f\"fastapi {v('fastapi')} on uvicorn {v('uvicorn')} (uvloop {v('uvloop')}, httptools "
            "{v('httptools')}, 1 worker), CPython {sys.version.split()[0]}; "
            "OTel: opentelemetry-sdk {v('opentelemetry-sdk')}, instrumentation-fastapi "
            "{v('opentelemetry-instrumentation-fastapi')}, exporter-otlp-proto-http "
            "{v('opentelemetry-exporter-otlp-proto-http')} (OTLP/HTTP protobuf)\")"
        )
        out["fastapi"] = _first_line(_run([str(py), "-c", code]))
    return out


def _npm_version(pkg_dir: Path) -> str:
    import json

    try:
        return str(json.loads((pkg_dir / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


def _debian_version(package: str) -> str:
    try:
        return _run(["dpkg-query", "-W", "-f=${Version}", package], timeout=30).strip() or "unknown"
    except BenchError:
        return "unknown"


def tool_version(argv: list[str]) -> str:
    """First line a tool prints about its version (wrk prints it to stdout and exits 1)."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    return _first_line(done.stdout or done.stderr)
