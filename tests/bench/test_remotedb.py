"""PostgreSQL on the database host of a --hosts run (report/bench/remotedb.py), on the namespaced hosts of
tests/bench/netns_hosts.py: seeded and reachable from the service host's address only, stopped and removed with
its block, and a cluster left by a harness killed outright removed by the next run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from report.bench import remote, remotedb
from report.bench.hostagent import HostAgent, deploy_bundle, make_bundle
from report.bench.hosts import load_hosts
from report.bench.postgres import DB_NAME, DB_USER, bindir
from report.bench.processes import ProcessRegistry, managed
from tests.bench.netns_hosts import Lab, lab

__all__ = ["lab"]

pytestmark = pytest.mark.slow


def psql_from(lab: Lab, index: int, cluster: remotedb.RemoteCluster, sql: str) -> tuple[int, str]:
    """psql run inside one namespaced host against the cluster: (exit status, output or error)."""
    psql = str(bindir() / "psql")
    target = ["-h", cluster.host.address, "-p", str(cluster.port), "-U", DB_USER, "-d", DB_NAME]
    done = lab.hosts[index].exec(psql, *target, "-X", "-tA", "-c", sql)
    return done.returncode, (done.stdout + done.stderr).strip()


def test_the_cluster_serves_the_service_host_only_and_is_gone_after_its_block(lab: Lab, tmp_path: Path) -> None:
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux)")
    hosts = load_hosts(lab.hosts_yaml())
    db = hosts.database
    bundle = deploy_bundle(db, make_bundle(tmp_path))
    registry = ProcessRegistry({"LEAD_MAGNET_BENCH_RUN": "t-remotedb"})
    log = f"{db.workdir}/postgres.log"
    with managed(registry):
        agent = HostAgent(registry, db, "database", bundle)
        with remotedb.cluster(registry, db, agent, hosts.service.address, log) as cluster:
            assert cluster.url == f"postgresql://{DB_USER}@{db.address}:{cluster.port}/{DB_NAME}"
            assert psql_from(lab, 0, cluster, "SELECT count(*) FROM world") == (0, "10000")
            code, said = psql_from(lab, 1, cluster, "SELECT 1")  # the load host is not trusted
            assert code == 2 and "no pg_hba.conf entry for host" in said, said
            root = cluster.root
            assert remote.run(db, f"cat {db.workdir}/postgres.root").strip() == root
        # stopped, its files and its record removed
        assert remote.run(db, f"ls -d {root} {db.workdir}/postgres.root 2>/dev/null || true").strip() == ""
        registry.stop(agent.proc)
    assert lab.wait_clean() == {}


def test_a_cluster_left_by_a_killed_harness_is_removed_by_the_next_run(lab: Lab, tmp_path: Path) -> None:
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux)")
    hosts = load_hosts(lab.hosts_yaml())
    db = hosts.database
    bundle = deploy_bundle(db, make_bundle(tmp_path))
    log = f"{db.workdir}/postgres.log"
    first = ProcessRegistry({"LEAD_MAGNET_BENCH_RUN": "t-remotedb-1"})
    agent = HostAgent(first, db, "database", bundle)
    left = remotedb.start(first, db, agent, hosts.service.address, log)
    first.stop_all()  # as if the harness died: every ssh ends, the supervisor ends PostgreSQL, nothing is removed
    assert lab.wait_clean() == {}
    assert remote.run(db, f"test -d {left.root} && echo there").strip() == "there"
    second = ProcessRegistry({"LEAD_MAGNET_BENCH_RUN": "t-remotedb-2"})
    with managed(second):
        agent = HostAgent(second, db, "database", bundle)
        with remotedb.cluster(second, db, agent, hosts.service.address, log) as cluster:
            assert cluster.root != left.root
            assert remote.run(db, f"test -d {left.root} && echo there || echo gone").strip() == "gone"
    assert lab.wait_clean() == {}
