"""Fixtures that run real etcd members and raftops agents on loopback (no mocks of etcd)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from raftops.etcdproc import EtcdMemberSpec, free_port, start_etcd, stop_process, wait_healthy
from raftops.localcluster import LocalCluster
from raftops.store.etcd import Etcd

# Each cluster a test session starts gets its own 127.0.0.0/8 block, away from the
# demo cluster (127.0.0.11-13), so tests run while a developer's cluster is up.
_next_address = [10]


def next_hosts(n: int = 3) -> tuple[str, ...]:
    """Fresh loopback addresses: the third octet from the PID, the fourth from a counter."""
    third = 1 + os.getpid() % 200
    while True:
        first = _next_address[0]
        _next_address[0] += n + 1  # one spare address between clusters (room for a joining server)
        if first + n > 250:
            raise RuntimeError("this test session ran out of loopback addresses")
        hosts = tuple(f"127.0.{third}.{first + i}" for i in range(n))
        # Another test session whose PID shares our third octet may hold these addresses.
        if not any(port_open(h, p) for h in hosts for p in (2379, 2380, 4646)):
            return hosts


@pytest.fixture
def etcd_member(tmp_path: Path) -> Iterator[EtcdMemberSpec]:
    """One single-member etcd on free loopback ports."""
    spec = EtcdMemberSpec("solo", "127.0.0.1", free_port(), free_port(), str(tmp_path / "etcd"))
    proc = start_etcd(
        spec,
        f"solo={spec.peer_url}",
        log_path=str(tmp_path / "etcd.log"),
        tie_to_parent=True,
        token=f"t-{tmp_path.name}",
    )
    try:
        wait_healthy([spec.client_url], timeout=30)
        yield spec
    finally:
        stop_process(proc)


@pytest.fixture
def etcd(etcd_member: EtcdMemberSpec) -> Iterator[Etcd]:
    client = Etcd([etcd_member.client_url])
    yield client
    client.close()


@pytest.fixture(scope="session")
def cluster_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="raftops-test-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def local_cluster(cluster_root: Path, request: pytest.FixtureRequest) -> Iterator[LocalCluster]:
    """A real 3-member etcd cluster with 3 raftops agents, one module of tests long."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    cluster = LocalCluster(cluster_root / name, next_hosts(3), token=f"raftops-{name}")
    try:
        cluster.up(timeout=60)
        yield cluster
    finally:
        cluster.destroy()


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def wait_for(predicate, timeout: float, interval: float = 0.1, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not reached within {timeout}s")
        time.sleep(interval)


RAFTOPS = [sys.executable, "-m", "raftops.cli"]


def run_cli(*args: str, timeout: float = 30, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*RAFTOPS, *args], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )
