"""Three real hosts on one machine for the multi-host tests: Linux network namespaces on a private bridge
(10.231.N.0/24, N chosen per run), each with its own sshd (Debian's openssh-server, from scripts/system-deps.sh)
started with its own config and host key, and an authorized key generated for this run. Traffic stays between
our own namespaces and the bridge's address in the root namespace, which is where the harness runs."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

SSHD = Path("/usr/sbin/sshd")
ROLES = ("service", "load", "database")


def missing_prerequisites() -> str | None:
    """Why namespaced hosts cannot be built here, or None."""
    if os.geteuid() != 0:
        return "needs root (ip netns)"
    if shutil.which("ip") is None:
        return "needs iproute2 (ip)"
    if not SSHD.exists():
        return "needs openssh-server (/usr/sbin/sshd): run `make system-deps`"
    if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        return "needs openssh-client"
    return None


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@dataclass
class NetnsHost:
    """One namespace with its sshd."""

    name: str
    address: str
    sshd: subprocess.Popen[bytes]
    veth: str  # the root side of its link

    def pids(self) -> list[int]:
        """Every process in the namespace other than its sshd listener."""
        out = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True, text=True, timeout=30)
        return [int(p) for p in out.stdout.split() if p.strip() and int(p) != self.sshd.pid]

    def exec(self, *argv: str) -> subprocess.CompletedProcess[str]:
        """Run a command inside the namespace."""
        return subprocess.run(["ip", "netns", "exec", self.name, *argv], capture_output=True, text=True, timeout=30)


@dataclass
class Lab:
    """The three hosts, the bridge and the client files (ssh_config, key, known_hosts)."""

    root: Path
    hosts: list[NetnsHost]
    ssh_config: Path
    subnet: str
    bridge: str

    def hosts_yaml(self, roles: dict[str, int] | None = None, extra: str = "") -> Path:
        """A hosts file giving each role a host by index (default: one host per role)."""
        roles = roles or {r: i for i, r in enumerate(ROLES)}
        lines = [f"ssh_config: {self.ssh_config}"]
        for role, i in roles.items():
            h = self.hosts[i]
            lines += [f"{role}:", f"  ssh: root@{h.address}", f"  workdir: {self.root}/host{i}/work"]
        path = self.root / f"hosts-{uuid.uuid4().hex[:6]}.yaml"
        path.write_text("\n".join(lines) + "\n" + extra)
        return path

    def unused_address(self) -> str:
        """An address on the bridge's subnet that no host has (nothing answers there)."""
        return f"{self.subnet}.250"

    def leftovers(self) -> dict[str, list[int]]:
        """Processes still running in any namespace, sshd's listener aside."""
        return {h.name: pids for h in self.hosts if (pids := h.pids())}

    def wait_clean(self, timeout_s: float = 20.0) -> dict[str, list[int]]:
        """Wait (bounded) until no namespace runs anything but sshd; what is left at the deadline."""
        deadline = time.monotonic() + timeout_s
        left = self.leftovers()
        while left and time.monotonic() < deadline:
            time.sleep(0.2)
            left = self.leftovers()
        return left


SUBNET_LOCK = Path("/tmp/lead-magnet-netns-subnet.lock")  # labs of parallel test workers pick subnets one at a time


def _free_subnet() -> str:
    """A 10.231.N subnet no interface uses yet. Call it holding SUBNET_LOCK until the bridge has its address: two
    xdist workers choosing at once could otherwise both take one (their hosts would answer for each other). N comes
    from os.urandom (uuid4), not `random`, which tests may seed alike in every worker."""
    used = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, timeout=30).stdout
    for _ in range(100):
        n = uuid.uuid4().int % 254 + 1
        if f"10.231.{n}." not in used:
            return f"10.231.{n}"
    raise RuntimeError("no free 10.231.N.0/24 subnet")


def _sshd_config(d: Path, address: str, key: Path) -> Path:
    cfg = d / "sshd_config"
    cfg.write_text(
        "\n".join(
            [
                f"ListenAddress {address}",
                "Port 22",
                f"HostKey {key}",
                f"PidFile {d / 'sshd.pid'}",
                f"AuthorizedKeysFile {d / 'authorized_keys'}",
                "PermitRootLogin prohibit-password",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                # as services/README.md recommends for real hosts: a cut connection's session ends too
                "ClientAliveInterval 2",
                "ClientAliveCountMax 3",
                "MaxSessions 50",
                "MaxStartups 50",
                "Subsystem sftp internal-sftp",
                "",
            ]
        )
    )
    return cfg


def _keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True, timeout=30)
    return Path(f"{path}.pub").read_text().strip()


def _wait_listening(h: NetnsHost, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if h.sshd.poll() is not None:
            raise RuntimeError(f"sshd in {h.name} exited with {h.sshd.returncode}")
        if f"{h.address}:22" in h.exec("ss", "-ltnH").stdout:
            return
        time.sleep(0.05)
    raise RuntimeError(f"sshd in {h.name} is not listening after {timeout_s:.0f} s")


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """Three namespaced hosts for one test; everything is stopped and deleted afterwards."""
    why = missing_prerequisites()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"multi-host tests: {why}")
        pytest.skip(f"multi-host tests: {why}")
    tag = uuid.uuid4().hex[:6]
    bridge = f"lm{tag}br"
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
    client_key = tmp_path / "id_ed25519"
    client_pub = _keygen(client_key)
    known: list[str] = []
    hosts: list[NetnsHost] = []
    made_ns: list[str] = []
    try:
        with FileLock(SUBNET_LOCK):
            subnet = _free_subnet()
            ip("link", "add", bridge, "type", "bridge")
            ip("addr", "add", f"{subnet}.1/24", "dev", bridge)
        ip("link", "set", bridge, "up")
        for i in range(3):
            ns = f"lm{tag}h{i}"
            veth = f"lm{tag}v{i}"
            address = f"{subnet}.{i + 2}"
            ip("netns", "add", ns)
            made_ns.append(ns)
            ip("link", "add", veth, "type", "veth", "peer", "name", f"lm{tag}p{i}")
            ip("link", "set", f"lm{tag}p{i}", "netns", ns)
            ip("link", "set", veth, "master", bridge)
            ip("link", "set", veth, "up")
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "link", "set", f"lm{tag}p{i}", "name", "eth0")
            ip("-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
            ip("-n", ns, "link", "set", "eth0", "up")
            d = tmp_path / f"host{i}"
            d.mkdir()
            host_key = d / "ssh_host_ed25519_key"
            host_pub = _keygen(host_key)
            known.append(f"{address} {' '.join(host_pub.split()[:2])}")
            (d / "authorized_keys").write_text(client_pub + "\n")
            cfg = _sshd_config(d, address, host_key)
            sshd = subprocess.Popen(
                ["ip", "netns", "exec", ns, str(SSHD), "-D", "-e", "-f", str(cfg)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=open(d / "sshd.log", "wb"),  # noqa: SIM115 - the child keeps it
            )
            hosts.append(NetnsHost(ns, address, sshd, veth))
        (tmp_path / "known_hosts").write_text("\n".join(known) + "\n")
        config = tmp_path / "ssh_config"
        config.write_text(
            "\n".join(
                [
                    "Host *",
                    "  User root",
                    f"  IdentityFile {client_key}",
                    "  IdentitiesOnly yes",
                    f"  UserKnownHostsFile {tmp_path / 'known_hosts'}",
                    "  StrictHostKeyChecking yes",
                    "  LogLevel ERROR",
                    "",
                ]
            )
        )
        for h in hosts:
            _wait_listening(h)
        yield Lab(tmp_path, hosts, config, subnet, bridge)
    finally:
        for h in hosts:
            # whatever a failed test left behind, then the sshd itself
            for pid in h.pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 9)
            h.sshd.terminate()
            try:
                h.sshd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                h.sshd.kill()
                h.sshd.wait()
        for ns in made_ns:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)
        subprocess.run(["ip", "link", "del", bridge], capture_output=True, timeout=30)
