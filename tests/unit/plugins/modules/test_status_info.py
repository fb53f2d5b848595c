# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of status_info's pure logic: checking the answers' shapes and assembling the result."""

from __future__ import annotations

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsResponse
from ansible_collections.raftops.cluster.plugins.modules import status_info

AGENT = {"config": {"Version": {"Version": "0.1.0"}}, "member": {"Name": "raft1"}, "stats": {"raft": {}}}


def test_shape_status_passes_answers_through():
    result = status_info.shape_status("10.0.0.1:2380", ["10.0.0.1:2380", "10.0.0.2:2380"], AGENT)
    assert result == {"leader": "10.0.0.1:2380", "peers": ["10.0.0.1:2380", "10.0.0.2:2380"], "agent": AGENT}


def test_shape_status_no_leader_and_empty_answers():
    assert status_info.shape_status("", [], {}) == {"leader": "", "peers": [], "agent": {}}
    assert status_info.shape_status(None, None, {}) == {"leader": "", "peers": [], "agent": {}}


@pytest.mark.parametrize(
    ("leader", "peers", "agent", "path"),
    [
        (["10.0.0.1:2380"], [], {}, "/v1/status/leader"),
        ("a", "10.0.0.1:2380", {}, "/v1/status/peers"),
        ("a", [{"Address": "x"}], {}, "/v1/status/peers"),
        ("a", [], "Permission denied", "/v1/agent/self"),
        ("a", [], None, "/v1/agent/self"),
    ],
)
def test_shape_status_rejects_unexpected_answers(leader, peers, agent, path):
    with pytest.raises(ValueError, match=path):
        status_info.shape_status(leader, peers, agent)


class FakeClient:
    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def get(self, path, retry=False, **kwargs):
        self.calls.append((path, retry))
        return RaftopsResponse(200, {}, self.answers[path], b"")


def test_read_status_reads_three_endpoints_as_safe_calls():
    client = FakeClient({"/v1/status/leader": "l:2380", "/v1/status/peers": ["l:2380"], "/v1/agent/self": AGENT})
    assert status_info.read_status(client) == {"leader": "l:2380", "peers": ["l:2380"], "agent": AGENT}
    assert client.calls == [("/v1/status/leader", True), ("/v1/status/peers", True), ("/v1/agent/self", True)]
