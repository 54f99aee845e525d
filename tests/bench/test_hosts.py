"""The hosts file of `lead-magnet bench --hosts`: validated like every input, roles may share a host."""

from __future__ import annotations

from pathlib import Path

import pytest

from report.bench.errors import BenchError
from report.bench.hosts import DEFAULT_WORKDIR, load_hosts

GOOD = """\
service:
  ssh: bench@10.0.0.11
load:
  ssh: bench@10.0.0.12
  port: 2222
  workdir: /srv/bench
database:
  ssh: db-alias
  address: 10.0.0.13
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hosts.yaml"
    path.write_text(text)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(BenchError) as err:
        load_hosts(path)
    return str(err.value).splitlines()


def test_a_good_file_names_three_roles(tmp_path: Path) -> None:
    hosts = load_hosts(write(tmp_path, GOOD))
    assert (hosts.service.destination, hosts.service.port, hosts.service.address) == (
        "bench@10.0.0.11",
        None,
        "10.0.0.11",
    )
    assert (hosts.service.workdir, hosts.load.workdir) == (DEFAULT_WORKDIR, "/srv/bench")
    assert (hosts.load.label, hosts.load.port) == ("bench@10.0.0.12:2222", 2222)
    assert (hosts.database.destination, hosts.database.address) == ("db-alias", "10.0.0.13")
    assert hosts.service.ssh_config is None
    assert len(hosts.distinct) == 3


def test_roles_may_share_a_host(tmp_path: Path) -> None:
    hosts = load_hosts(write(tmp_path, "service:\n  ssh: a@h1\nload:\n  ssh: a@h2\ndatabase:\n  ssh: a@h2\n"))
    assert [h.destination for h in hosts.distinct] == ["a@h1", "a@h2"]
    assert hosts.roles_of(hosts.load) == ["load", "database"]


def test_every_problem_at_once_with_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "service:\n  ssh: root@10.231.0.2\n  prot: 22\nload:\n  ssh: -oProxyCommand=touch\n  workdir: relative\n"
        "database:\n  ssh: root@10.231.0.4\n  port: 70000\ncolour: blue\n",
    )
    assert problems(path) == [
        f"{path}:3: service.prot: unknown key; did you mean 'port'?",
        f"{path}:5: load.ssh: expected an SSH destination like bench@10.0.0.11, found '-oProxyCommand=touch'",
        f"{path}:6: load.workdir: expected an absolute directory like /tmp/lead-magnet-bench, found 'relative'",
        f"{path}:9: database.port: expected a number of at most 65535, found '70000'",
        f"{path}:10: colour: unknown key; expected one of: service, load, database, ssh_config",
    ]


def test_a_missing_role_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "service:\n  ssh: a@h1\nload:\n  ssh: a@h2\n")
    assert problems(path) == [f"{path}:1: database: this required key is missing"]


def test_one_host_cannot_have_two_workdirs(tmp_path: Path) -> None:
    path = write(tmp_path, "service:\n  ssh: a@h1\nload:\n  ssh: a@h2\ndatabase:\n  ssh: a@h2\n  workdir: /srv/db\n")
    assert problems(path) == [
        f"{path}:6: database: expected the same workdir and address as 'load' (it is the same host, a@h2), "
        "found /srv/db at h2 instead of /tmp/lead-magnet-bench at h2"
    ]


def test_ssh_config_is_relative_to_the_file_and_must_exist(tmp_path: Path) -> None:
    path = write(tmp_path, "ssh_config: cfg/ssh_config\n" + GOOD)
    assert problems(path) == [
        f"{path}:1: ssh_config: expected an ssh_config file, found no file at {tmp_path / 'cfg' / 'ssh_config'}"
    ]
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "ssh_config").write_text("Host *\n")
    assert load_hosts(path).load.ssh_config == tmp_path / "cfg" / "ssh_config"


def test_not_yaml_or_missing_is_one_line(tmp_path: Path) -> None:
    assert problems(tmp_path / "none.yaml") == [f"{tmp_path / 'none.yaml'}: file not found"]
    path = write(tmp_path, "service: [\n")
    assert len(problems(path)) == 1 and problems(path)[0].startswith(f"{path}:")
