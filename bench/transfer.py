"""(3) Leadership transfer: ``PUT /v1/operator/raft/transfer-leadership?id=`` against
``etcdctl move-leader`` (/usr/bin/etcdctl, a new process each time, as an operator runs it).

Each trial moves leadership to a follower and back through the other tool, alternating which tool
goes first; the time is the wall time of the call, which returns once etcd reports the move done,
and the new leader is checked after each call. etcd's MoveLeader through the v3 gateway with urllib3
is shown too: it separates etcdctl's process start from the transfer itself.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time

import urllib3
from common import EtcdDirect, node_of_member, verdict, wait
from raftops.localcluster import LocalCluster, Node
from raftops.store.etcd import Etcd

ETCDCTL = shutil.which("etcdctl") or "/usr/bin/etcdctl"
TIMEOUT = urllib3.Timeout(connect=1.0, read=30.0)


class Cluster:
    def __init__(self, cluster: LocalCluster):
        self.cluster = cluster
        self.etcd = Etcd([n.etcd.client_url for n in cluster.nodes], timeout=2.0)
        self.pool = urllib3.PoolManager(retries=False)

    def leader(self) -> tuple[int, Node]:
        member = self.etcd.status().leader
        return member, node_of_member(self.cluster, self.etcd, member)

    def target(self) -> tuple[int, Node]:
        leader, _ = self.leader()
        member = next(m for m in self.etcd.members()[1] if m.id != leader and not m.is_learner)
        return member.id, node_of_member(self.cluster, self.etcd, member.id)

    def server_id(self, node: Node) -> str:
        servers = self.pool.request("GET", f"{node.api}/v1/operator/raft/configuration", timeout=TIMEOUT).json()
        return next(s["ID"] for s in servers["Servers"] if s["Address"] == f"{node.host}:{node.peer_port}")

    def check_leader(self, member: int) -> None:
        wait(lambda: self.etcd.status().leader == member, 10, 0.05, "the new leader")


def via_raftops(c: Cluster) -> float:
    member, node = c.target()
    server = c.server_id(node)
    api = c.cluster.nodes[0].api
    t0 = time.perf_counter()
    r = c.pool.request("PUT", f"{api}/v1/operator/raft/transfer-leadership?id={server}", timeout=TIMEOUT)
    elapsed = time.perf_counter() - t0
    assert r.status == 200 and not r.json()["Noop"], r.data[:300]
    c.check_leader(member)
    return elapsed


def via_etcdctl(c: Cluster) -> float:
    member, _ = c.target()
    _, leader = c.leader()
    t0 = time.perf_counter()
    subprocess.run(
        [ETCDCTL, "--endpoints", leader.etcd.client_url, "move-leader", f"{member:x}"],
        check=True,
        capture_output=True,
        env={**os.environ, "ETCDCTL_API": "3"},
        timeout=60,
    )
    elapsed = time.perf_counter() - t0
    c.check_leader(member)
    return elapsed


def via_gateway(c: Cluster) -> float:
    member, _ = c.target()
    _, leader = c.leader()
    direct = EtcdDirect(leader.etcd.client_url, c.pool)
    t0 = time.perf_counter()
    direct.call("maintenance/transfer-leadership", {"targetID": str(member)}, TIMEOUT)
    elapsed = time.perf_counter() - t0
    c.check_leader(member)
    return elapsed


def run(cluster: LocalCluster, trials: int = 5) -> list[tuple[str, ...]]:
    c = Cluster(cluster)
    times: dict[str, list[float]] = {"raftops": [], "etcdctl": [], "gateway": []}
    tools = {"raftops": via_raftops, "etcdctl": via_etcdctl, "gateway": via_gateway}
    try:
        for n in range(trials):
            order = ["raftops", "etcdctl", "gateway"] if n % 2 == 0 else ["etcdctl", "raftops", "gateway"]
            for name in order:
                times[name].append(tools[name](c))
                time.sleep(0.5)  # let the new leader settle its heartbeats
    finally:
        c.etcd.close()
    mine, theirs, gateway = (statistics.median(times[k]) for k in ("raftops", "etcdctl", "gateway"))
    detail = (
        ", ".join(f"{t * 1000:.0f}" for t in times["raftops"])
        + " / "
        + ", ".join(f"{t * 1000:.0f}" for t in times["etcdctl"])
    )
    return [
        (
            "transfer leadership (call returns, leader moved)",
            f"{mine * 1000:.0f} ms",
            f"{theirs * 1000:.0f} ms (etcdctl move-leader)",
            f"{mine / theirs:.2f}x",
            verdict(mine / theirs, 1.5) + f" (median of {trials}; ms raftops / etcdctl: {detail})",
        ),
        (
            "  reference: etcd MoveLeader via the gateway (urllib3)",
            "",
            f"{gateway * 1000:.0f} ms",
            f"raftops/gateway {mine / gateway:.2f}x",
            "no process start: the transfer itself",
        ),
    ]
