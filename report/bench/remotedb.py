"""The throwaway PostgreSQL cluster of a `--hosts` run, on the database host: made, seeded, started and stopped
over SSH, with the local mode's settings (report/bench/postgres.py) except where it listens and who may connect.

The cluster lives in a fresh `/tmp/lead-magnet-postgres-*` directory there (the `postgres` user must reach it;
a workdir under a private home would not do), recorded in `<workdir>/postgres.root` so that a cluster left by a
harness killed outright is stopped and removed by the next run. It listens on the database host's address only,
and trusts exactly two addresses: the service host's (the services' pools) and its own (the seeding). The
postmaster runs under the remote supervisor (report/bench/remote.py), so it ends with the run whatever ends it.
"""

from __future__ import annotations

import contextlib
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass

from report.bench.errors import BenchError
from report.bench.hostagent import HostAgent
from report.bench.hosts import Host
from report.bench.postgres import DB_NAME, DB_USER, INITDB_FLAGS, READY_TIMEOUT_S, SEED_SQL, SETTINGS, STOP_TIMEOUT_S
from report.bench.processes import ProcessRegistry
from report.bench.remote import RemoteProcess, run

PREFIX = "/tmp/lead-magnet-postgres-"

# Made as the SSH user; PostgreSQL itself runs as `postgres` when that user is root (it refuses to run as root).
PREPARE = (
    r"""
set -e
bins=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
pointer="$WORK/postgres.root"
if [ -f "$pointer" ]; then
  old=$(cat "$pointer")
  case "$old" in
    @PREFIX@*)
      pidfile="$old/data/postmaster.pid"
      if [ -f "$pidfile" ]; then kill -KILL "$(head -n1 "$pidfile")" 2>/dev/null || true; fi
      rm -rf "$old";;
  esac
fi
mkdir -p "$WORK"
root=$(mktemp -d @PREFIX@XXXXXX)
echo "$root" >"$pointer"
mkdir "$root/socket"
as=""
if [ "$(id -u)" = 0 ]; then
  chown -R postgres:postgres "$root"
  chmod 755 "$root"
  as="setpriv --reuid=postgres --regid=postgres --init-groups"
fi
if ! $as "$bins/initdb" -D "$root/data" -U @USER@ --auth=trust @FLAGS@ >"$root/initdb.log" 2>&1; then
  tail -n1 "$root/initdb.log" >&2
  exit 1
fi
printf 'host all all %s/32 trust\nhost all all %s/32 trust\n' "$CLIENT" "$SELF" >"$root/data/pg_hba.conf"
echo "$root"
echo "$bins"
echo "$as"
""".replace("@PREFIX@", PREFIX)
    .replace("@USER@", DB_USER)
    .replace("@FLAGS@", " ".join(INITDB_FLAGS))
)


@dataclass(frozen=True)
class RemoteCluster:
    """A running cluster on the database host."""

    host: Host
    port: int
    root: str
    bins: str
    proc: RemoteProcess

    @property
    def url(self) -> str:
        """DATABASE_URL for the services on the service host."""
        return f"postgresql://{DB_USER}@{self.host.address}:{self.port}/{DB_NAME}"

    def psql(self, database: str, sql: str) -> str:
        """A psql command there, over TCP to the cluster (trusted from its own address)."""
        argv = [f"{self.bins}/psql", "-h", self.host.address, "-p", str(self.port), "-U", DB_USER, "-X", "-q"]
        return shlex.join([*argv, "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql])


def start(registry: ProcessRegistry, host: Host, agent: HostAgent, client: str, log: str) -> RemoteCluster:
    """initdb, start and seed a fresh cluster on `host` that the address `client` may use."""
    env = {"WORK": host.workdir, "CLIENT": client, "SELF": host.address}
    prepared = run(host, " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()) + " bash -c " + shlex.quote(PREPARE))
    lines = prepared.splitlines()
    if len(lines) < 3:
        raise BenchError(f"{host.label}: preparing PostgreSQL printed {prepared!r}")
    root, bins, as_owner = lines[-3], lines[-2], lines[-1]
    port = int(agent.call("free_port", address=host.address))
    settings = {
        **SETTINGS,
        "listen_addresses": host.address,
        "port": str(port),
        "unix_socket_directories": f"{root}/socket",
    }
    argv = [*shlex.split(as_owner), f"{bins}/postgres", "-D", f"{root}/data"]
    for key, value in settings.items():
        argv += ["-c", f"{key}={value}"]
    proc = RemoteProcess(registry, host, argv, log=log)
    cluster = RemoteCluster(host, port, root, bins, proc)
    try:
        ready = f"{bins}/pg_isready -q -h {shlex.quote(host.address)} -p {port} -t 1"
        deadline = time.monotonic() + READY_TIMEOUT_S
        while run(host, f"{ready} && echo yes || echo no").strip() != "yes":
            if proc.poll() is not None:
                raise BenchError(f"{host.label}: PostgreSQL exited with code {proc.poll()} while starting; see {log}")
            if time.monotonic() > deadline:
                raise BenchError(f"{host.label}: PostgreSQL did not accept connections within {READY_TIMEOUT_S:.0f} s")
            time.sleep(0.1)
        run(host, cluster.psql("postgres", f"CREATE DATABASE {DB_NAME}"))
        run(host, cluster.psql(DB_NAME, SEED_SQL))
    except BaseException:
        with contextlib.suppress(BenchError):
            stop(cluster)
        raise
    return cluster


def stop(cluster: RemoteCluster) -> None:
    """Fast shutdown (every backend ends), then the supervisor's stop; the directory removed."""
    host = cluster.host
    if cluster.proc.poll() is None:
        run(host, f"kill -INT {cluster.proc.pid} 2>/dev/null || true")
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while cluster.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    cluster.proc.stop()
    run(host, f"rm -rf {shlex.quote(cluster.root)} && rm -f {shlex.quote(host.workdir)}/postgres.root")


@contextlib.contextmanager
def cluster(registry: ProcessRegistry, host: Host, agent: HostAgent, client: str, log: str) -> Iterator[RemoteCluster]:
    """A seeded cluster on the database host for the block; stopped on any exit (what a stop that fails leaves,
    its supervisor ends and the next run removes)."""
    running = start(registry, host, agent, client, log)
    try:
        yield running
    finally:
        with contextlib.suppress(BenchError):
            stop(running)
