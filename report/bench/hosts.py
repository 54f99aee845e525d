"""`lead-magnet bench --hosts hosts.yaml`: which machine plays which role (service, load, database), validated
like every other input (one `file:line: key: …` line per problem, unknown keys refused, nothing started on a bad
file). Roles may share a host; a host is one SSH destination and port."""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from report.bench.errors import BenchError
from report.errors import Problem
from report.inputs.validation import Strict
from report.inputs.yaml_model import load_model

ROLES = ("service", "load", "database")
DEFAULT_WORKDIR = "/tmp/lead-magnet-bench"

# `[user@]host`: a host name, an IPv4 address or a Host alias of ~/.ssh/config; never an option (no leading '-').
Destination = typing.Annotated[str, Field(pattern=r"^([A-Za-z0-9._][A-Za-z0-9._-]*@)?[A-Za-z0-9][A-Za-z0-9._-]*$")]
Address = typing.Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9.-]*$")]
# An absolute directory on the host; plain characters only, since it is used in remote shell commands.
RemoteDir = typing.Annotated[str, Field(pattern=r"^(/[A-Za-z0-9_][A-Za-z0-9._-]*)+$", max_length=200)]


class HostSpec(Strict):
    """One role's host."""

    ssh: Destination
    port: typing.Annotated[int, Field(ge=1, le=65535)] | None = None
    # where the other hosts reach this one (the load host connects to the service, the services to the database);
    # default: the host part of `ssh`
    address: Address | None = None
    # the harness's directory on that host: deployed artefacts, logs, the lock
    workdir: RemoteDir = DEFAULT_WORKDIR


class HostsFile(Strict):
    """The whole hosts file."""

    service: HostSpec
    load: HostSpec
    database: HostSpec
    # an ssh_config file for every connection (ssh -F), relative to the hosts file; default: the user's own
    ssh_config: typing.Annotated[str, Field(min_length=1, max_length=400)] | None = None


@dataclass(frozen=True)
class Host:
    """A machine reached over SSH; roles that share a destination and port share one Host."""

    destination: str
    port: int | None
    address: str
    workdir: str
    ssh_config: Path | None

    @property
    def key(self) -> tuple[str, int | None]:
        """What makes two roles one machine."""
        return (self.destination, self.port)

    @property
    def label(self) -> str:
        """How messages name the host."""
        return self.destination if self.port is None else f"{self.destination}:{self.port}"


@dataclass(frozen=True)
class Hosts:
    """The three roles; `distinct` lists each machine once, in role order."""

    service: Host
    load: Host
    database: Host

    def role(self, name: str) -> Host:
        """The host of one role."""
        return {"service": self.service, "load": self.load, "database": self.database}[name]

    @property
    def distinct(self) -> list[Host]:
        """Each machine once (roles may share a host)."""
        seen: dict[tuple[str, int | None], Host] = {}
        for name in ROLES:
            h = self.role(name)
            seen.setdefault(h.key, h)
        return list(seen.values())

    def roles_of(self, host: Host) -> list[str]:
        """The roles a machine plays."""
        return [name for name in ROLES if self.role(name).key == host.key]


def load_hosts(path: Path) -> Hosts:
    """Read and validate a hosts file; every problem at once in one BenchError, one line each."""
    shown = str(path)
    model, lines, problems = load_model(path, shown, HostsFile)
    if model is None or problems:
        raise BenchError("\n".join(str(p) for p in sorted(set(problems))))
    config: Path | None = None
    if model.ssh_config is not None:
        config = (path.parent / model.ssh_config).resolve()
        if not config.is_file():
            raise BenchError(
                str(
                    Problem(
                        shown,
                        lines.line_for(("ssh_config",)),
                        "ssh_config",
                        f"expected an ssh_config file, found no file at {config}",
                    )
                )
            )
    specs = {name: typing.cast(HostSpec, getattr(model, name)) for name in ROLES}
    # One machine, one directory: two roles on one destination must not name two work directories or addresses.
    clashes: list[Problem] = []
    for i, a in enumerate(ROLES):
        for b in ROLES[i + 1 :]:
            sa, sb = specs[a], specs[b]
            if (sa.ssh, sa.port) == (sb.ssh, sb.port) and (sa.workdir, _address(sa)) != (sb.workdir, _address(sb)):
                clashes.append(
                    Problem(
                        shown,
                        lines.line_for((b, "ssh")),
                        b,
                        f"expected the same workdir and address as '{a}' (it is the same host, {sa.ssh}), "
                        f"found {sb.workdir} at {_address(sb)} instead of {sa.workdir} at {_address(sa)}",
                    )
                )
    if clashes:
        raise BenchError("\n".join(str(p) for p in clashes))
    built = {name: Host(spec.ssh, spec.port, _address(spec), spec.workdir, config) for name, spec in specs.items()}
    return Hosts(built["service"], built["load"], built["database"])


def _address(spec: HostSpec) -> str:
    return spec.address or re.sub(r"^.*@", "", spec.ssh)
