"""/v1/operator/raft/*: configuration, peer removal, leadership transfer, on a real 3-member cluster.

The removal tests run last in this module: they leave the module's cluster with fewer servers.
"""

from __future__ import annotations

import signal
import time

import nomad
import pytest
import requests
from raftops.localcluster import LocalCluster, http_json
from raftops.store.etcd import Etcd

from ..conftest import run_cli, wait_for

RAFT = "/v1/operator/raft"


def api(cluster: LocalCluster, i: int = 0) -> str:
    return cluster.nodes[i].api


def config(cluster: LocalCluster, i: int = 0) -> dict:
    code, body = http_json(f"{api(cluster, i)}{RAFT}/configuration")
    assert code == 200, body
    return body


def server_ids(cluster: LocalCluster) -> dict[str, str]:
    """node name -> server UUID, as each agent reports itself."""
    out = {}
    for n in cluster.nodes:
        code, info = http_json(f"{n.api}/v1/agent/self")
        assert code == 200
        out[n.name] = info["stats"]["raftops"]["server_id"]
    return out


def leader_of(body: dict) -> dict:
    leaders = [s for s in body["Servers"] if s["Leader"]]
    assert len(leaders) == 1, body
    return leaders[0]


def test_configuration_shows_three_voters_and_one_leader(local_cluster: LocalCluster) -> None:
    resp = requests.get(f"{api(local_cluster)}{RAFT}/configuration", timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/json"
    assert not [h for h in resp.headers if h.lower().startswith("x-nomad-")]  # upstream sets none here
    body = resp.json()
    assert list(body) == ["Servers", "Index"] and body["Index"] > 0
    ids = server_ids(local_cluster)
    expected = {n.name: (ids[n.name], f"{n.host}:{n.peer_port}") for n in local_cluster.nodes}
    assert {s["Node"]: (s["ID"], s["Address"]) for s in body["Servers"]} == expected
    for s in body["Servers"]:
        assert list(s) == ["ID", "Node", "Address", "Leader", "Voter", "RaftProtocol"]
        assert s["Voter"] is True and s["RaftProtocol"] == "3"
    code, leader_addr = http_json(f"{api(local_cluster, 1)}/v1/status/leader")
    assert leader_of(body)["Address"] == leader_addr


@pytest.mark.parametrize("stale", ["", "true", "False", "1", "T"])
def test_configuration_accepts_gos_stale_values(local_cluster: LocalCluster, stale: str) -> None:
    resp = requests.get(f"{api(local_cluster)}{RAFT}/configuration?stale={stale}", timeout=10)
    assert resp.status_code == 200 and len(resp.json()["Servers"]) == 3


def test_configuration_rejects_a_bad_stale_value(local_cluster: LocalCluster) -> None:
    resp = requests.get(f"{api(local_cluster)}{RAFT}/configuration?stale=maybe", timeout=10)
    assert resp.status_code == 400
    assert resp.text == "Expect `true` or `false` for `stale` query string parameter"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_configuration_wrong_method_is_405_with_an_empty_body(local_cluster: LocalCluster, method: str) -> None:
    resp = requests.request(method, f"{api(local_cluster)}{RAFT}/configuration", timeout=10)
    assert resp.status_code == 405 and resp.content == b""


def test_unknown_raft_paths_are_invalid_methods(local_cluster: LocalCluster) -> None:
    for path in ("bogus", "", "snapshot"):
        resp = requests.get(f"{api(local_cluster)}{RAFT}/{path}", timeout=10)
        assert (resp.status_code, resp.text) == (404, "Invalid method")


@pytest.mark.parametrize(
    ("method", "query", "status", "text"),
    [
        ("GET", "?id=x", 404, "Invalid method"),
        ("PUT", "?id=x", 404, "Invalid method"),
        (
            "DELETE",
            "",
            400,
            "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove",
        ),
        ("DELETE", "?id=a&address=1.2.3.4:2380", 400, "Must specify only one of ?id or ?address"),
        ("DELETE", "?id=nope", 500, 'id "nope" was not found in the Raft configuration'),
        ("DELETE", "?id=", 500, 'id "" was not found in the Raft configuration'),
        ("DELETE", "?address=10.9.9.9:2380", 500, 'address "10.9.9.9:2380" was not found in the Raft configuration'),
    ],
)
def test_remove_peer_validation(local_cluster: LocalCluster, method: str, query: str, status: int, text: str) -> None:
    resp = requests.request(method, f"{api(local_cluster)}{RAFT}/peer{query}", timeout=10)
    assert (resp.status_code, resp.text) == (status, text)
    assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert len(config(local_cluster)["Servers"]) == 3  # a failed request changes nothing


TRANSFER_ERRORS = [
    ("", 400, "must specify id or address"),
    ("?id=a&address=b", 400, "must specify either id or address"),
    ("?id", 400, "id must be non-empty"),
    ("?id=", 400, "id must be non-empty"),
    ("?id=a&id=b", 400, "must specify only one id"),
    ("?address=", 400, "address must be non-empty"),
    ("?address=1.2.3.4:1&address=1.2.3.4:2", 400, "must specify only one address"),
    ("?id=abc", 400, "id must be a uuid: uuid string is wrong length"),
    ("?id=0123456789abcdef0123456789abcdef0123", 400, "id must be a uuid: uuid is improperly formatted"),
    (
        "?id=0123456g-89ab-cdef-0123-456789abcdef",
        400,
        "id must be a uuid: encoding/hex: invalid byte: U+0067 'g'",
    ),
    ("?address=1.2.3.4", 400, "address must be in IP:port format: not an ip:port"),
    ("?address=1.2.3:80", 400, 'address must be in IP:port format: ParseAddr("1.2.3"): IPv4 address too short'),
    ("?address=1.2.3.4:x", 400, 'address must be in IP:port format: invalid port "x" parsing "1.2.3.4:x"'),
    (
        "?id=00000000-0000-0000-0000-000000000001",
        400,
        'id "00000000-0000-0000-0000-000000000001" was not found in the Raft configuration',
    ),
    ("?address=10.9.9.9:2380", 400, 'address "10.9.9.9:2380" was not found in the Raft configuration'),
]


@pytest.mark.parametrize(("query", "status", "text"), TRANSFER_ERRORS)
def test_transfer_leadership_validation(local_cluster: LocalCluster, query: str, status: int, text: str) -> None:
    before = leader_of(config(local_cluster))
    resp = requests.put(f"{api(local_cluster)}{RAFT}/transfer-leadership{query}", timeout=10)
    assert (resp.status_code, resp.text) == (status, text)
    assert leader_of(config(local_cluster)) == before


def test_transfer_leadership_wrong_method_is_405(local_cluster: LocalCluster) -> None:
    resp = requests.get(f"{api(local_cluster)}{RAFT}/transfer-leadership?id=x", timeout=10)
    assert (resp.status_code, resp.text) == (405, "Invalid method")


def test_transfer_leadership_to_each_server_in_turn(local_cluster: LocalCluster) -> None:
    servers = sorted(config(local_cluster)["Servers"], key=lambda s: s["Leader"])  # followers first
    for target in servers:
        before = leader_of(config(local_cluster))
        started = time.monotonic()
        resp = requests.put(f"{api(local_cluster)}{RAFT}/transfer-leadership?id={target['ID']}", timeout=30)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert list(body) == ["From", "To", "Noop", "Err"]
        assert body["To"] == {"Address": target["Address"], "ID": target["ID"]}
        assert body["From"] == {"Address": before["Address"], "ID": before["ID"]}
        assert body["Noop"] is (before["ID"] == target["ID"]) and body["Err"] is None

        def everyone_agrees(address: str = target["Address"]) -> bool:
            return all(http_json(f"{n.api}/v1/status/leader")[1] == address for n in local_cluster.nodes)

        # The call returns once the new leader is observed: every agent reports it within 2 s of the request.
        wait_for(everyone_agrees, timeout=max(0.0, started + 2.0 - time.monotonic()), message="new leader everywhere")
        assert leader_of(config(local_cluster))["ID"] == target["ID"]


def test_transfer_to_the_leader_is_a_noop_and_address_and_post_work(local_cluster: LocalCluster) -> None:
    leader = leader_of(config(local_cluster))
    resp = requests.post(f"{api(local_cluster)}{RAFT}/transfer-leadership?address={leader['Address']}", timeout=30)
    assert resp.status_code == 200 and resp.json()["Noop"] is True
    follower = next(s for s in config(local_cluster)["Servers"] if not s["Leader"])
    resp = requests.post(f"{api(local_cluster)}{RAFT}/transfer-leadership?address={follower['Address']}", timeout=30)
    assert resp.status_code == 200 and resp.json()["Noop"] is False
    assert resp.json()["To"]["ID"] == follower["ID"]
    assert http_json(f"{api(local_cluster, 2)}/v1/status/leader")[1] == follower["Address"]


def test_cli_list_peers_and_transfer_leadership(local_cluster: LocalCluster) -> None:
    env = {"RAFTOPS_ADDR": api(local_cluster, 1)}
    out = run_cli("operator", "raft", "list-peers", env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["Node", "ID", "Address", "State", "Voter", "RaftProtocol"]
    rows = [line.split() for line in lines[1:]]
    assert [r[0] for r in rows] == sorted(n.name for n in local_cluster.nodes)
    assert sorted(r[3] for r in rows) == ["follower", "follower", "leader"] and {r[4] for r in rows} == {"true"}
    target = next(r for r in rows if r[3] == "follower")
    out = run_cli("operator", "raft", "transfer-leadership", "-peer-id", target[1], env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f'Transferred leadership to peer with id "{target[1]}"'
    assert leader_of(config(local_cluster))["ID"] == target[1]
    out = run_cli("operator", "raft", "transfer-leadership", "-peer-address", "10.9.9.9:2380", env=env)
    assert out.returncode == 1
    assert 'address "10.9.9.9:2380" was not found in the Raft configuration' in out.stderr
    out = run_cli("operator", "raft", "remove-peer", env=env)
    assert out.returncode == 1 and "exactly one of -peer-id or -peer-address" in out.stderr


def test_python_nomad_reads_the_configuration(local_cluster: LocalCluster) -> None:
    node = local_cluster.nodes[2]
    client = nomad.Nomad(host=node.host, port=node.http_port, timeout=10)
    body = client.operator.get_configuration()
    assert len(body["Servers"]) == 3 and sum(s["Leader"] for s in body["Servers"]) == 1
    assert client.operator.get_configuration(stale=True)["Servers"] == body["Servers"]


def test_remove_a_follower_by_id(local_cluster: LocalCluster) -> None:
    body = config(local_cluster)
    victim = next(s for s in body["Servers"] if not s["Leader"])
    node = local_cluster.node(victim["Node"])
    out = run_cli("operator", "raft", "remove-peer", "-peer-id", victim["ID"], env={"RAFTOPS_ADDR": api(local_cluster)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f'Removed peer with id "{victim["ID"]}"'
    after = config(local_cluster)
    assert victim["ID"] not in {s["ID"] for s in after["Servers"]} and len(after["Servers"]) == 2
    # The registration went with it, and the removed member's etcd stops by itself.
    members = http_json(f"{api(local_cluster)}/v1/agent/members")[1]["Members"]
    assert victim["ID"] not in {m["Tags"]["id"] for m in members}
    wait_for(lambda: local_cluster.pid(node, "etcd") is None, timeout=15, message="removed etcd exits")
    local_cluster.signal(node, "agent", signal.SIGTERM)
    local_cluster.nodes.remove(node)
    # Removing it again: it is no longer in the configuration.
    resp = requests.delete(f"{api(local_cluster)}{RAFT}/peer?id={victim['ID']}", timeout=10)
    assert (resp.status_code, resp.text) == (500, f'id "{victim["ID"]}" was not found in the Raft configuration')


def test_remove_the_leader_by_address_with_python_nomad(local_cluster: LocalCluster) -> None:
    body = config(local_cluster)
    assert len(body["Servers"]) == 2
    leader = leader_of(body)
    survivor_node = next(n for n in local_cluster.nodes if n.name != leader["Node"])
    client = nomad.Nomad(host=survivor_node.host, port=survivor_node.http_port, timeout=30)
    started = time.monotonic()
    assert client.operator.delete_peer(leader["Address"]) is True  # the older ?address= form, unchanged client
    elapsed = time.monotonic() - started
    after = client.operator.get_configuration()
    assert [s["Node"] for s in after["Servers"]] == [survivor_node.name]
    assert after["Servers"][0]["Leader"] is True
    # Leadership was handed over before the removal, so writes go on at once.
    etcd = Etcd([survivor_node.etcd.client_url], timeout=2.0)
    try:
        assert etcd.put(b"/test/after-leader-removal", b"ok") > 0
    finally:
        etcd.close()
    assert elapsed < 10
