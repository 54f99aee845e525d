"""Checks before anything starts, one SSH call per host: its architecture, CPU, cores, kernel, clock source and
whether its roles' tools are there; an unreachable host, a missing tool or a service host of another architecture
is one line."""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from report.bench.errors import BenchError
from report.bench.hosts import Host
from report.bench.remote import run

# Every host needs these for the supervisor, the lock, pinning and the harness's agent (report/bench/agent.py);
# each role adds its own.
BASE_TOOLS = ("bash", "setsid", "taskset", "flock", "sha256sum", "tar", "python3")
ROLE_TOOLS: Mapping[str, tuple[str, ...]] = {
    "service": (),
    "load": ("wrk",),
    "database": ("postgresql", "setpriv"),
}
# The first line of these is the tool's version for environment.yaml (wrk prints it with -v and exits 1).
VERSION_COMMANDS: Mapping[str, str] = {
    "wrk": "wrk -v 2>&1 | head -n1",
    "python3": "python3 --version 2>&1",
    "postgresql": "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)/postgres --version",
}

_FACTS = r"""
echo "arch=$(uname -m)"
echo "kernel=$(uname -r)"
echo "cores=$(nproc)"
echo "cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
echo "memory_kb=$(grep -m1 '^MemTotal:' /proc/meminfo | tr -s ' ' | cut -d' ' -f2)"
echo "os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
for t in @TOOLS@; do
  if [ "$t" = postgresql ]; then p=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -n1)
  else p=$(command -v "$t"); fi
  echo "tool:$t=$p"
done
"""


@dataclass
class HostFacts:
    """What environment.yaml records about one host."""

    roles: list[str]
    ssh: str
    arch: str
    cpu: str
    cores: int
    kernel: str
    clocksource: str
    tools: dict[str, str] = field(default_factory=dict)
    memory_gb: float = 0.0  # GiB, as environment.yaml's machine.memory_gb
    os: str = ""


def facts(host: Host, roles: Sequence[str]) -> tuple[HostFacts, list[str]]:
    """One SSH call: the host's hardware and the tools its roles need; the second value names missing tools."""
    tools = [*BASE_TOOLS, *(t for r in roles for t in ROLE_TOOLS.get(r, ()))]
    out = run(host, _FACTS.replace("@TOOLS@", " ".join(tools)))
    values: dict[str, str] = {}
    found: dict[str, str] = {}
    for line in out.splitlines():
        key, _, value = line.partition("=")
        if key.startswith("tool:"):
            found[key[5:]] = value.strip()
        else:
            values[key] = value.strip()
    missing = [t for t in tools if not found.get(t)]
    versions = {t: run(host, VERSION_COMMANDS[t]).strip() for t in tools if t in VERSION_COMMANDS and found.get(t)}
    return (
        HostFacts(
            list(roles),
            host.label,
            values.get("arch", ""),
            values.get("cpu", ""),
            int(values.get("cores") or 0),
            values.get("kernel", ""),
            values.get("clocksource", ""),
            versions,
            round(int(values.get("memory_kb") or 0) / 1024 / 1024, 1),
            values.get("os", ""),
        ),
        missing,
    )


def check_host(host: Host, roles: Sequence[str], local_arch: str | None = None) -> HostFacts:
    """Reachable, every tool present, and (for the service host) the artefacts' architecture: or one line."""
    got, missing = facts(host, roles)
    what = f"{host.label} ({', '.join(roles)} host)"
    if missing:
        raise BenchError(
            f"{what}: missing {', '.join(missing)}; install them there first (Debian: see services/README.md)"
        )
    arch = local_arch or platform.machine()
    if "service" in roles and got.arch != arch:
        raise BenchError(
            f"{what}: its CPU is {got.arch}, but the artefacts are built here for {arch}; "
            f"use a {arch} instance or run the harness on a {got.arch} machine"
        )
    return got
