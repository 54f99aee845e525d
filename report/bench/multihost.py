"""`lead-magnet bench --hosts`: check every host before anything starts, hold each host's lock for the run,
deploy the built artefacts (service host: Go binaries, Bun executables, FastAPI environments; load host: oha),
and describe each host for environment.yaml under its roles."""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import asdict
from pathlib import Path

from report.bench.errors import BenchError
from report.bench.hostcheck import HostFacts, check_host
from report.bench.hosts import ROLES, Host, Hosts
from report.bench.remote import RemoteLock, deploy, run
from report.bench.stacks import (
    BUN_CANDIDATES,
    BUN_CHOICE,
    FASTAPI_CANDIDATES,
    Paths,
    bun_candidate_binary,
    fastapi_candidate_venv,
)

ARTEFACTS_DIR = "artefacts"  # under each host's workdir, mirroring services/.work and services/


def check_all(hosts: Hosts, local_arch: str | None = None) -> dict[tuple[str, int | None], HostFacts]:
    """Every host reachable, with its roles' tools and the right architecture; every problem at once, one line
    per host, before anything starts."""
    got: dict[tuple[str, int | None], HostFacts] = {}
    problems: list[str] = []
    for host in hosts.distinct:
        try:
            got[host.key] = check_host(host, hosts.roles_of(host), local_arch)
        except BenchError as exc:
            problems.append(str(exc))
    if problems:
        raise BenchError("\n".join(problems))
    return got


@contextlib.contextmanager
def locked(hosts: Hosts) -> Iterator[None]:
    """Each host's lock for the run (roles on one host take it once); all released however the run ends."""
    held: list[RemoteLock] = []
    try:
        for host in hosts.distinct:
            held.append(RemoteLock(host))
        yield
    finally:
        for lock in reversed(held):
            lock.release()


def service_artefacts(paths: Paths, stacks: list[str]) -> list[Path]:
    """What the service host needs to run `stacks`: the built binaries and executables, the FastAPI
    environments (the traced variant's and each candidate's) and the FastAPI sources they import."""
    out: list[Path] = []
    if "go" in stacks:
        out += [paths.work / "go" / "server", paths.work / "go" / "server-otel"]
    if "bun" in stacks:
        out += [paths.work / "bun" / "server", paths.work / "bun" / "server-otel"]
        out += [bun_candidate_binary(paths, c) for c in BUN_CANDIDATES if c != BUN_CHOICE]
    if "fastapi" in stacks:
        out += [paths.work / "fastapi-venv", *(fastapi_candidate_venv(paths, c) for c in FASTAPI_CANDIDATES)]
        out.append(paths.services / "fastapi")
    missing = [str(p) for p in out if not p.exists()]
    if missing:
        raise BenchError(f"not built: {', '.join(missing)}; run `make bench-deps` first")
    return out


def venv_home(venv: Path) -> str | None:
    """The interpreter directory a venv was made from (its pyvenv.cfg `home`)."""
    cfg = venv / "pyvenv.cfg"
    if not cfg.is_file():
        return None
    for line in cfg.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home":
            return value.strip()
    return None


def remote_path(paths: Paths, host: Host, local: Path) -> str:
    """Where a local artefact lives on `host`: the same place relative to the checkout, under the workdir."""
    return f"{host.workdir}/{ARTEFACTS_DIR}/{local.relative_to(paths.root).as_posix()}"


def deploy_artefacts(paths: Paths, host: Host, artefacts: list[Path]) -> dict[Path, str]:
    """Copy each artefact to `host` over SSH (a real copy, whatever the hosts share) and return where each went.
    A FastAPI environment needs its interpreter on the host at the same path; its absence is one line."""
    for venv in (a for a in artefacts if (a / "pyvenv.cfg").is_file()):
        home = venv_home(venv)
        if home and run(host, f"test -d {shlex.quote(home)} && echo yes || echo no").strip() != "yes":
            raise BenchError(
                f"{host.label}: {venv.name} needs the Python it was made with at {home}; "
                "install the same CPython there first (services/README.md, the EC2 recipe)"
            )
    placed: dict[Path, str] = {}
    for art in artefacts:
        target = remote_path(paths, host, art)
        run(host, f"rm -rf {shlex.quote(target)}")
        deploy(host, art, target.rsplit("/", 1)[0])
        placed[art] = target
    return placed


def hosts_environment(
    hosts: Hosts,
    facts: dict[tuple[str, int | None], HostFacts],
    calibration: Mapping[str, list[tuple[str, float]]] | None = None,
) -> dict[str, object]:
    """environment.yaml's `hosts`: each role's machine (CPU, cores, memory, OS, kernel, clock source, tool
    versions) and, after a run, the calibration workload's times on it."""
    out: dict[str, object] = {}
    for role in ROLES:
        host = hosts.role(role)
        f = asdict(facts[host.key])
        f.pop("roles")
        doc = {"address": host.address, **f, "shared_with": [r for r in hosts.roles_of(host) if r != role]}
        if calibration and calibration.get(role):
            doc["calibration"] = [{"at": at, "ms": ms} for at, ms in calibration[role]]
        out[role] = doc
    return out


def machine(f: HostFacts) -> dict[str, object]:
    """environment.yaml's `machine` for a --hosts run: the service host, where the measured services ran."""
    return {"cpu": f.cpu, "cores": f.cores, "memory_gb": f.memory_gb, "os": f.os, "kernel": f.kernel}
