# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Raft configuration helpers: selecting a server, naming it to the API, and the quorum rule for removals."""

from __future__ import annotations

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils import _raft
from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsResponse

IDS = [
    "49798b58-eaa0-4d86-9006-bf31b0ac5b46",
    "5005f795-2c4c-4448-b0f8-5792b4dec1ec",
    "a44a1691-f665-448d-b8cc-efb04ccba349",
]


def server(n, leader=False, voter=True, node=None, server_id=None):
    return {
        "ID": server_id or IDS[n],
        "Node": node or f"server{n + 1}",
        "Address": f"10.0.0.1{n + 1}:2380",
        "Leader": leader,
        "Voter": voter,
        "RaftProtocol": "3",
    }


def cluster(*extra):
    return [server(0, leader=True), server(1), server(2)] + list(extra)


LEARNER = server(0, voter=False, node="(unknown)", server_id="00000000-0000-0000-00b6-42a63faed59c")
LEARNER["Address"] = "10.0.0.14:2380"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"id": IDS[1]}, ("id", IDS[1])),
        ({"id": None, "address": "10.0.0.12:2380", "node": None}, ("address", "10.0.0.12:2380")),
        ({"node": "server3"}, ("node", "server3")),
    ],
)
def test_selection_takes_the_one_selector_set(params, expected):
    assert _raft.selection(params) == expected


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "got none"),
        ({"id": "a", "node": "b"}, "got id, node"),
        ({"node": ""}, "node must not be empty"),
    ],
)
def test_selection_refuses_zero_two_or_empty(params, message):
    with pytest.raises(ValueError, match=message):
        _raft.selection(params)


def test_find_server_by_each_selector():
    servers = cluster(LEARNER)
    assert _raft.find_server(servers, "id", IDS[2])["Node"] == "server3"
    assert _raft.find_server(servers, "address", "10.0.0.14:2380") is LEARNER
    assert _raft.find_server(servers, "node", "server2")["ID"] == IDS[1]
    assert _raft.find_server(servers, "node", "server9") is None


def test_find_server_refuses_an_ambiguous_node_name():
    twin = server(1, node="server1")
    with pytest.raises(ValueError, match="matches 2 servers"):
        _raft.find_server(cluster(twin), "node", "server1")


def test_target_query_prefers_a_uuid_and_falls_back_to_the_address():
    assert _raft.target_query(server(1)) == {"id": IDS[1]}
    assert _raft.target_query(LEARNER) == {"id": LEARNER["ID"]}
    old_style = server(1, server_id="10.0.0.12:4647")
    assert _raft.target_query(old_style) == {"address": "10.0.0.12:2380"}


def test_leader_voters_summary():
    servers = cluster(LEARNER)
    assert _raft.leader_of(servers)["ID"] == IDS[0]
    assert _raft.leader_of([server(1)]) is None
    assert [s["ID"] for s in _raft.voters_of(servers)] == IDS
    assert _raft.summary(servers)[0] == {"ID": IDS[0], "Node": "server1", "Address": "10.0.0.11:2380", "Voter": True}
    assert "Leader" not in _raft.summary(servers)[0]


def test_quorum_size():
    assert [_raft.quorum_size(n) for n in range(1, 7)] == [1, 2, 2, 3, 3, 4]


def test_healthy_ids_collects_ids_and_addresses_of_healthy_servers():
    report = {
        "Servers": [{"ID": "a", "Address": "h:1", "Healthy": True}, {"ID": "b", "Address": "h:2", "Healthy": False}]
    }
    assert _raft.healthy_ids(report) == {"a", "h:1"}
    assert _raft.healthy_ids({"Servers": None}) == set()


def healthy(*indexes):
    return {IDS[i] for i in indexes}


def test_removing_a_follower_of_a_healthy_cluster_is_safe():
    servers = cluster()
    assert _raft.removal_refusal(servers, servers[1], healthy(0, 1, 2)) is None


def test_removing_the_dead_server_is_safe():
    servers = cluster()
    assert _raft.removal_refusal(servers, servers[2], healthy(0, 1)) is None


def test_removing_a_healthy_server_while_another_is_down_breaks_quorum():
    servers = cluster()
    message = _raft.removal_refusal(servers, servers[1], healthy(0, 1))
    assert "would break quorum: 2 voter(s) would remain, of which 1 healthy (server1), but 2 are needed" in message


def test_learners_never_count_and_can_always_go():
    servers = cluster(LEARNER)
    assert _raft.removal_refusal(servers, LEARNER, set()) is None
    assert _raft.removal_refusal(servers, servers[1], healthy(0, 1, 2)) is None


def test_the_last_voter_cannot_go():
    servers = [server(0, leader=True), LEARNER]
    assert "only voter" in _raft.removal_refusal(servers, servers[0], healthy(0))


def test_health_matched_by_address_when_ids_differ():
    servers = cluster()
    by_address = {"10.0.0.11:2380", "10.0.0.12:2380"}
    assert _raft.removal_refusal(servers, servers[2], by_address) is None
    assert _raft.removal_refusal(servers, servers[1], by_address) is not None


class FakeClient:
    def __init__(self, response):
        self.response = response
        self.calls = []

    def get(self, path, **kwargs):
        self.calls.append((path, kwargs))
        return self.response


def test_read_health_accepts_the_429_report_labelled_text_plain():
    body = '{"Healthy": false, "FailureTolerance": 0, "Servers": []}'
    client = FakeClient(RaftopsResponse(429, {"content-type": "text/plain; charset=utf-8"}, body, body.encode()))
    status, report = _raft.read_health(client)
    assert (status, report["Healthy"]) == (429, False)
    assert client.calls[0][1]["accept_status"] == (429,)
    assert client.calls[0][1]["retry"] is True


def test_read_health_refuses_garbage():
    client = FakeClient(RaftopsResponse(200, {}, "oops", b"oops"))
    with pytest.raises(ValueError, match="unexpected answer"):
        _raft.read_health(client)


def test_read_configuration_passes_stale_and_checks_the_shape():
    client = FakeClient(RaftopsResponse(200, {}, {"Servers": cluster(), "Index": 3}, b""))
    assert _raft.read_configuration(client, stale=True)["Index"] == 3
    assert client.calls[0][1]["query"] == {"stale": "true"}
    with pytest.raises(ValueError):
        _raft.read_configuration(FakeClient(RaftopsResponse(200, {}, {"Servers": None}, b"")))
