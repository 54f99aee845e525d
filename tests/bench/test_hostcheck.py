"""Checks before anything starts, against three real hosts (network namespaces with their own sshd,
tests/bench/netns_hosts.py): each host's facts, an unreachable host, a missing tool, another architecture."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import pytest

from report.bench import hostcheck
from report.bench.errors import BenchError
from report.bench.hosts import load_hosts
from tests.bench.netns_hosts import Lab, lab

__all__ = ["lab"]

pytestmark = pytest.mark.slow


def test_facts_name_each_hosts_hardware_and_tools(lab: Lab) -> None:
    hosts = load_hosts(lab.hosts_yaml())
    assert len(hosts.distinct) == 3
    got = {h.address: hostcheck.check_host(h, hosts.roles_of(h)) for h in hosts.distinct}
    clock = Path("/sys/devices/system/clocksource/clocksource0/current_clocksource").read_text().strip()
    for address, f in got.items():
        # the namespaces share this machine's kernel and CPU: what SSH reports must be what is here
        assert (f.arch, f.kernel, f.cores, f.clocksource) == (
            platform.machine(),
            platform.release(),
            os.cpu_count(),
            clock,
        )
        assert f.cpu and f.ssh == f"root@{address}"
    load, database = got[hosts.load.address], got[hosts.database.address]
    assert load.roles == ["load"] and load.tools["wrk"].startswith("wrk ")
    assert database.tools["postgresql"].startswith("postgres (PostgreSQL) ")


def test_roles_sharing_a_host_are_checked_and_locked_once(lab: Lab) -> None:
    hosts = load_hosts(lab.hosts_yaml({"service": 0, "load": 1, "database": 1}))
    assert [hosts.roles_of(h) for h in hosts.distinct] == [["service"], ["load", "database"]]


def test_an_unreachable_host_is_one_line(lab: Lab) -> None:
    path = lab.hosts_yaml()
    path.write_text(path.read_text().replace(lab.hosts[0].address, lab.unused_address()))
    host = load_hosts(path).service
    with pytest.raises(BenchError) as err:
        hostcheck.check_host(host, ["service"])
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith(
        f"root@{lab.unused_address()}: unreachable over SSH (ssh: connect to host {lab.unused_address()} port 22: "
    )


def test_a_missing_tool_is_one_line(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(hostcheck.ROLE_TOOLS, "load", ("wrk", "oha-not-installed"))
    host = load_hosts(lab.hosts_yaml()).load
    with pytest.raises(BenchError) as err:
        hostcheck.check_host(host, ["load"])
    assert str(err.value) == (
        f"root@{host.address} (load host): missing oha-not-installed; install them there first "
        "(Debian: see services/README.md)"
    )


def test_a_service_host_of_another_architecture_is_one_line(lab: Lab) -> None:
    host = load_hosts(lab.hosts_yaml()).service
    with pytest.raises(BenchError) as err:
        hostcheck.check_host(host, ["service"], local_arch="aarch64")
    assert str(err.value) == (
        f"root@{host.address} (service host): its CPU is {platform.machine()}, but the artefacts are built here "
        f"for aarch64; use a aarch64 instance or run the harness on a {platform.machine()} machine"
    )
