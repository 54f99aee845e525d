"""A throwaway PostgreSQL cluster for the `/db` endpoint: created, seeded, started and stopped by the harness.

Debian's server package (`/usr/lib/postgresql/<major>/bin`) runs a fresh cluster under `services/.work/postgres`
on an unused 127.0.0.1 port, with trust authentication on loopback only. PostgreSQL refuses to run as root, so
when the harness is root (CI) every PostgreSQL command runs as the `postgres` system user via `setpriv`.

The postmaster belongs to the harness's ProcessRegistry, so Ctrl+C, SIGTERM or any failure (a crashed service
included) stops it with the rest; `cluster()` first asks for a fast shutdown, which also ends every backend.
Backends make themselves session leaders, so they are not in the postmaster's process group; they exit when the
postmaster does (PostgreSQL's postmaster-death detection), and `stop()` waits for them by pid.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from report.bench.errors import BenchError
from report.bench.processes import ProcessRegistry

ROWS = 10_000
INITDB_FLAGS = ("-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
DB_USER = "bench"
DB_NAME = "bench"
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
SEED_SQL = (
    "SELECT setseed(0.42);"  # the same table every run
    " CREATE TABLE world (id integer PRIMARY KEY, randomnumber integer NOT NULL);"
    f" INSERT INTO world SELECT i, 1 + floor(random() * {ROWS})::integer FROM generate_series(1, {ROWS}) AS i;"
    " ANALYZE world;"
)
# A read-only benchmark against a cluster that is deleted afterwards: durability settings cost nothing here.
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "100",
    "shared_buffers": "32MB",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "logging_collector": "off",
    "log_min_messages": "warning",
}


class Database(Protocol):
    """A running throwaway cluster, here or on the database host: what the services are given."""

    @property
    def url(self) -> str:
        """DATABASE_URL for the services."""


@dataclass(frozen=True)
class Cluster:
    """A running cluster: where services connect and what to stop."""

    proc: subprocess.Popen[bytes]
    port: int
    root: Path
    log: Path

    @property
    def url(self) -> str:
        """DATABASE_URL for the services (trust auth over TCP loopback)."""
        return f"postgresql://{DB_USER}@127.0.0.1:{self.port}/{DB_NAME}"


def bindir() -> Path:
    """The newest installed PostgreSQL server binaries (Debian layout)."""
    found = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").is_file()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not found:
        raise BenchError("PostgreSQL server not found in /usr/lib/postgresql (apt: postgresql); run `make bench-deps`")
    return found[-1]


def _as_owner() -> tuple[list[str], int | None, int | None]:
    """The command prefix that drops root to the `postgres` user, with its uid and gid (empty when not root)."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        raise BenchError("running as root but there is no 'postgres' user to run PostgreSQL as") from None
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise BenchError("running as root, and setpriv (util-linux) is missing to drop to the 'postgres' user")
    prefix = [setpriv, f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups"]
    return prefix, user.pw_uid, user.pw_gid


def _reachable(path: Path) -> bool:
    """Whether any user may traverse every directory down to `path` (the postgres user must)."""
    return all(os.stat(p).st_mode & 0o001 for p in [path.resolve(), *path.resolve().parents])


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _run(registry: ProcessRegistry, argv: list[str], log: Path, what: str, timeout_s: float = 120.0) -> None:
    """A short PostgreSQL command as a registered child (so an interrupt stops it too), bounded in time."""
    with log.open("ab") as out:
        proc = registry.start(argv, stdout=out.fileno(), stderr=subprocess.STDOUT)
        try:
            code = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            registry.stop(proc)
    if code != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-3:]
        raise BenchError(f"PostgreSQL {what} failed ({'timed out' if code is None else f'exit {code}'}): {tail}")


def _kill_leftover(root: Path) -> None:
    """A cluster left by a harness that was killed outright (SIGKILL) is stopped before its files are removed."""
    pidfile = root / "data" / "postmaster.pid"
    with suppress(OSError, ValueError, IndexError):
        pid = int(pidfile.read_text().splitlines()[0])
        if b"postgres" in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.kill(pid, signal.SIGQUIT)
            deadline = time.monotonic() + STOP_TIMEOUT_S
            # a zombie has stopped too (its parent, not us, reaps it): waiting for its /proc entry would time out
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def start(registry: ProcessRegistry, work: Path, log_dir: Path, cpus: set[int] | None = None) -> Cluster:
    """initdb a fresh cluster under `work`/postgres, start it on a free loopback port, seed `world`."""
    bins = bindir()
    prefix, uid, gid = _as_owner()
    pointer = work / "postgres.root"  # where the last cluster lived, so a leftover can be found and stopped
    with suppress(OSError):
        old = Path(pointer.read_text().strip())
        if old.name.startswith(("postgres", "lead-magnet-postgres-")):
            _kill_leftover(old)
            shutil.rmtree(old, ignore_errors=True)
    root = work / "postgres"
    _kill_leftover(root)
    shutil.rmtree(root, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    if uid is not None and not _reachable(work):
        # the postgres user cannot reach a private directory (say under /root): use a fresh one in /tmp
        root = Path(tempfile.mkdtemp(prefix="lead-magnet-postgres-"))
    pointer.write_text(f"{root}\n")
    (root / "socket").mkdir(parents=True)
    log = log_dir / "postgres.log"
    log.unlink(missing_ok=True)
    log.touch()
    if uid is not None and gid is not None:
        for path in (root, root / "socket", log):
            os.chown(path, uid, gid)
    data = root / "data"
    _run(
        registry,
        [*prefix, str(bins / "initdb"), "-D", str(data), "-U", DB_USER, "--auth=trust", *INITDB_FLAGS],
        log,
        "initdb",
    )
    port = free_port()
    settings = {**SETTINGS, "port": str(port), "unix_socket_directories": str(root / "socket")}
    argv = [*prefix, str(bins / "postgres"), "-D", str(data)]
    for key, value in settings.items():
        argv += ["-c", f"{key}={value}"]
    with log.open("ab") as out:
        proc = registry.start(argv, stdout=out.fileno(), stderr=subprocess.STDOUT, cpus=cpus)
    cluster = Cluster(proc, port, root, log)
    try:
        _wait_ready(cluster, bins)
        psql = [*prefix, str(bins.parent / "bin" / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", DB_USER]
        psql = [*psql, "-X", "-q", "-v", "ON_ERROR_STOP=1"]
        _run(registry, [*psql, "-d", "postgres", "-c", f"CREATE DATABASE {DB_NAME}"], log, "CREATE DATABASE")
        _run(registry, [*psql, "-d", DB_NAME, "-c", SEED_SQL], log, "seeding world")
    except BaseException:
        stop(registry, cluster)
        raise
    return cluster


def _wait_ready(cluster: Cluster, bins: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        if cluster.proc.poll() is not None:
            tail = cluster.log.read_text(errors="replace").strip().splitlines()[-3:]
            raise BenchError(f"PostgreSQL exited with code {cluster.proc.returncode} while starting: {tail}")
        ready = subprocess.run(
            [str(bins / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(cluster.port), "-t", "1"],
            check=False,
            timeout=10,
        )
        if ready.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise BenchError(f"PostgreSQL did not accept connections within {READY_TIMEOUT_S:.0f} s")
        time.sleep(0.05)


def children(pid: int) -> list[int]:
    """Live processes whose parent is `pid` (PostgreSQL backends and auxiliary processes)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
    return found


def stop(registry: ProcessRegistry, cluster: Cluster) -> None:
    """Fast shutdown (every backend ends), then SIGTERM/SIGKILL; waits for the backends; removes the files."""
    pid = cluster.proc.pid
    backends = children(pid) if cluster.proc.poll() is None else []
    if cluster.proc.poll() is None:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)
        with suppress(subprocess.TimeoutExpired):
            cluster.proc.wait(timeout=STOP_TIMEOUT_S)
    registry.stop(cluster.proc)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while any(Path(f"/proc/{b}").exists() and _alive(b) for b in backends) and time.monotonic() < deadline:
        time.sleep(0.05)
    for b in backends:
        if _alive(b):
            with suppress(ProcessLookupError, PermissionError):
                os.kill(b, signal.SIGKILL)
    shutil.rmtree(cluster.root, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@contextmanager
def cluster(registry: ProcessRegistry, work: Path, log_dir: Path, cpus: set[int] | None = None) -> Iterator[Cluster]:
    """A seeded cluster for the duration of the block; stopped on any exit, interrupts included."""
    running = start(registry, work, log_dir, cpus)
    try:
        yield running
    finally:
        stop(registry, running)
