# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""raft_peer: peer URLs and the diff view."""

from __future__ import annotations

import pytest

from ansible_collections.raftops.cluster.plugins.modules import raft_peer


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://10.0.0.14:2380", "10.0.0.14:2380"),
        ("https://raft4.example.com:2380/", "raft4.example.com:2380"),
        ("http://[fd00::4]:2380", "[fd00::4]:2380"),
    ],
)
def test_peer_address(url, address):
    assert raft_peer.peer_address(url) == address


@pytest.mark.parametrize(
    "url",
    ["10.0.0.14:2380", "http://10.0.0.14", "ftp://h:1", "http://h:1/path", "http://h:1?x=1", "http://h:99999", None],
)
def test_peer_address_refuses_what_etcd_would_not_take(url):
    with pytest.raises(ValueError):
        raft_peer.peer_address(url)


def test_diff_view_keys_servers_by_address():
    servers = [
        {"ID": "b", "Node": "s2", "Address": "h:2", "Leader": True, "Voter": True},
        {"ID": "a", "Node": "s1", "Address": "h:1", "Leader": False, "Voter": False},
    ]
    assert raft_peer.diff_view(servers) == {
        "Servers": {"h:1": {"ID": "a", "Node": "s1", "Voter": False}, "h:2": {"ID": "b", "Node": "s2", "Voter": True}}
    }
