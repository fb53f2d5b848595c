"""Autopilot acts: a joining server enters as a learner and is promoted; a dead server is cleaned up.

The module's cluster runs its agents with a 4 s dead-server threshold and a 4 s
ServerStabilizationTime (written to the autopilot configuration in etcd), so both happen quickly.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from raftops.cluster.autopilot_settings import DEFAULTS
from raftops.localcluster import LocalCluster, http_json
from raftops.store.configdocs import AUTOPILOT_PATH as CONFIG_PATH
from raftops.store.etcd import Etcd
from raftops.store.state import StateStore

from ..conftest import next_hosts, wait_for

DEAD_AFTER = 4
STABILIZATION = "4s"


@pytest.fixture(scope="module")
def cluster(cluster_root: Path) -> Iterator[LocalCluster]:
    c = LocalCluster(
        cluster_root / "autopilot_actions",
        next_hosts(3),
        token="raftops-autopilot-actions",
        agent_config={"autopilot": {"dead_server_threshold": DEAD_AFTER}},
    )
    try:
        c.up(timeout=60)
        etcd = Etcd([n.etcd.client_url for n in c.nodes])
        try:
            doc = DEFAULTS | {"ServerStabilizationTime": STABILIZATION}
            assert StateStore(etcd).put(CONFIG_PATH, json.dumps(doc).encode()).succeeded
        finally:
            etcd.close()
        yield c
    finally:
        c.destroy()


def raft_servers(c: LocalCluster) -> dict[str, dict]:
    code, body = http_json(f"{c.nodes[0].api}/v1/operator/raft/configuration")
    assert code == 200, body
    return {s["Node"]: s for s in body["Servers"]}


def agent_stats(api: str) -> dict:
    return http_json(f"{api}/v1/agent/self")[1]["stats"]["raftops"]


def health(c: LocalCluster) -> tuple[int, dict]:
    return http_json(f"{c.nodes[0].api}/v1/operator/autopilot/health")


def join(c: LocalCluster, body: object, method: str = "PUT") -> requests.Response:
    data = body if isinstance(body, str) else json.dumps(body)
    return requests.request(method, f"{c.nodes[0].api}/v1/operator/raft/join", data=data, timeout=30)


@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        ("", 400, "Error parsing join request: Request body is empty"),
        ("[1]", 400, "Error parsing join request: the body must be a JSON object"),
        (
            {"PeerURLs": ["http://127.0.0.1:2380"]},
            400,
            "Error parsing join request: Name must be the new member's name",
        ),
        (
            {"Name": "x", "PeerURLs": "http://127.0.0.1:2380"},
            400,
            "Error parsing join request: PeerURLs must list the new member's one peer URL",
        ),
        (
            {"Name": "x", "PeerURLs": ["127.0.0.1:2380"]},
            400,
            "peer URL '127.0.0.1:2380' must look like http://HOST:PORT or https://HOST:PORT",
        ),
        (
            {"Name": "bad name", "PeerURLs": ["http://127.0.0.1:2380"]},
            400,
            "member name 'bad name' must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit",
        ),
    ],
)
def test_join_validation(cluster: LocalCluster, body: object, status: int, text: str) -> None:
    resp = join(cluster, body)
    assert (resp.status_code, resp.text) == (status, text)
    assert len(raft_servers(cluster)) == 3


def test_join_conflicts_and_wrong_method(cluster: LocalCluster) -> None:
    taken = cluster.nodes[1]
    resp = join(cluster, {"Name": "other", "PeerURLs": [taken.etcd.peer_url]})
    expected = f"peer URL {taken.etcd.peer_url} already belongs to member {taken.name}"
    assert (resp.status_code, resp.text) == (400, expected)
    resp = join(cluster, {"Name": taken.name, "PeerURLs": ["http://127.0.0.1:1"]})
    assert resp.status_code == 400 and resp.text.startswith(f"a member named {taken.name} already exists")
    resp = requests.get(f"{cluster.nodes[0].api}/v1/operator/raft/join", timeout=10)
    assert (resp.status_code, resp.text) == (405, "Invalid method")
    assert len(raft_servers(cluster)) == 3


def test_a_fourth_server_joins_as_a_learner_and_is_promoted(cluster: LocalCluster) -> None:
    wait_for(lambda: health(cluster)[0] == 200, timeout=30, message="healthy before the join")
    host = next_hosts(3)[0]  # a block of the size every cluster uses, so it cannot overlap one
    started = time.monotonic()
    node = cluster.add_server(host)
    joined = time.monotonic()
    servers = raft_servers(cluster)
    assert servers[node.name]["Voter"] is False  # a learner first
    assert servers[node.name]["Address"] == f"{host}:{node.peer_port}"
    code, body = health(cluster)
    assert node.name in {s["Name"] for s in body["Servers"]}
    assert servers[node.name]["ID"] not in body["Voters"]

    wait_for(lambda: raft_servers(cluster)[node.name]["Voter"], timeout=40, interval=0.25, message="promotion")
    promoted = time.monotonic()
    # Promoted only after ServerStabilizationTime of health (its agent registers just before add_server returns).
    assert promoted - joined >= 3.0

    def four_healthy_voters() -> bool:
        code, body = health(cluster)
        return code == 200 and len(body["Voters"]) == 4 and body["FailureTolerance"] == 1

    wait_for(four_healthy_voters, timeout=20, message="healthy with four voters")
    # Joining again with the same name and URL is answered, not repeated.
    resp = join(cluster, {"Name": node.name, "PeerURLs": [node.etcd.peer_url]})
    assert resp.status_code == 200 and resp.json()["Created"] is False
    print(f"join+start {joined - started:.2f}s, promoted {promoted - joined:.2f}s after the agent was ready")


def test_a_dead_server_is_removed_after_the_threshold(cluster: LocalCluster) -> None:
    servers = raft_servers(cluster)
    assert len(servers) == 4
    duty_holders = {n.name for n in cluster.nodes if agent_stats(n.api)["cluster_duties"] == "true"}
    victim = next(n for n in reversed(cluster.nodes) if not servers[n.name]["Leader"] and n.name not in duty_holders)
    victim_id = servers[victim.name]["ID"]
    killed = time.monotonic()
    cluster.signal(victim, "agent", signal.SIGKILL)
    cluster.signal(victim, "etcd", signal.SIGKILL)
    cluster.nodes.remove(victim)
    wait_for(lambda: health(cluster)[0] == 429, timeout=5, message="429 once the member is dead")
    wait_for(lambda: victim.name not in raft_servers(cluster), timeout=DEAD_AFTER + 20, message="dead server removed")
    removed = time.monotonic() - killed
    # "Dead" counts from the member's last good answer, which the poller saw up to one poll round
    # (0.5 s) before the kill.
    assert removed >= DEAD_AFTER - 0.6

    def registered_ids() -> set[str]:
        return {m["Tags"]["id"] for m in http_json(f"{cluster.nodes[0].api}/v1/agent/members")[1]["Members"]}

    # Its registration goes too, in the step after the member removal (so it may lag the raft view a moment).
    wait_for(lambda: victim_id not in registered_ids(), timeout=10, message="registration of the dead server removed")

    def three_healthy_voters() -> bool:
        code, body = health(cluster)
        return code == 200 and len(body["Voters"]) == 3 and body["FailureTolerance"] == 1

    wait_for(three_healthy_voters, timeout=20, message="healthy again with three voters")
    print(f"dead server removed {removed:.2f}s after the kill (threshold {DEAD_AFTER}s)")
