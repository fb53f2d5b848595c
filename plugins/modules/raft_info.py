#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: raft_info
short_description: Read the Raft configuration of a raftops or Nomad cluster
version_added: 0.1.0
description:
  - Reads C(GET /v1/operator/raft/configuration) and returns the servers, the leader and the voters.
  - Any agent answers for the whole cluster.
author:
  - raftops maintainers (@raftops)
extends_documentation_fragment:
  - raftops.cluster._connection
  - raftops.cluster._attributes
  - raftops.cluster._attributes.info_module
  - raftops.cluster._attributes.actiongroup_raftops
options:
  stale:
    description:
      - Let the agent answer from its own view even when the cluster has no leader (C(?stale)).
      - Without it, a cluster without a leader is an error (HTTP 500 C(No cluster leader)).
    type: bool
    default: false
notes:
  - The token needs the C(management) capability when ACLs are enabled, as Nomad requires for this endpoint.
seealso:
  - module: raftops.cluster.raft_peer
  - module: raftops.cluster.raft_leader
  - module: raftops.cluster.autopilot_health_info
  - name: Nomad Raft operator API
    description: The endpoint this module reads.
    link: https://developer.hashicorp.com/nomad/api-docs/operator/raft
"""

EXAMPLES = r"""
- name: Read the Raft configuration
  raftops.cluster.raft_info:
    url: https://raft1.example.com:4646
    token: "{{ raftops_management_token }}"
  register: raft

- name: Show the leader
  ansible.builtin.debug:
    msg: "{{ raft.leader.Node }} leads {{ raft.voters | length }} voters"

- name: Ask a server that lost its leader what it knows
  raftops.cluster.raft_info:
    url: https://raft2.example.com:4646
    token: "{{ raftops_management_token }}"
    stale: true
  register: raft_stale
"""

RETURN = r"""
servers:
  description: Every server in the Raft configuration, as the API lists them.
  returned: success
  type: list
  elements: dict
  contains:
    ID:
      description: The server's Raft ID.
      type: str
      sample: 49798b58-eaa0-4d86-9006-bf31b0ac5b46
    Node:
      description: The server's node name, or C((unknown)) for a server that has not started yet.
      type: str
      sample: server1
    Address:
      description: The server's Raft address, C(ip:port).
      type: str
      sample: 10.0.0.11:2380
    Leader:
      description: Whether the server leads.
      type: bool
      sample: true
    Voter:
      description: Whether the server votes (false for a learner, also called a non-voter).
      type: bool
      sample: true
    RaftProtocol:
      description: The Raft protocol version.
      type: str
      sample: "3"
  sample:
    - ID: 49798b58-eaa0-4d86-9006-bf31b0ac5b46
      Node: server1
      Address: 10.0.0.11:2380
      Leader: true
      Voter: true
      RaftProtocol: "3"
leader:
  description: The entry of RV(servers) that leads; empty when there is no leader (possible with O(stale)).
  returned: success
  type: dict
  sample:
    ID: 49798b58-eaa0-4d86-9006-bf31b0ac5b46
    Node: server1
    Address: 10.0.0.11:2380
    Leader: true
    Voter: true
    RaftProtocol: "3"
voters:
  description: IDs of the servers that vote.
  returned: success
  type: list
  elements: str
  sample:
    - 49798b58-eaa0-4d86-9006-bf31b0ac5b46
learners:
  description: IDs of the servers that do not vote (learners that have not been promoted yet).
  returned: success
  type: list
  elements: str
  sample: []
index:
  description: The Raft index of the configuration, as the answering server reports it.
  returned: success
  type: int
  sample: 34
"""

from ansible_collections.raftops.cluster.plugins.module_utils._module import new_module, run
from ansible_collections.raftops.cluster.plugins.module_utils._raft import leader_of, read_configuration


def shape(configuration):
    servers = configuration["Servers"]
    return {
        "servers": servers,
        "leader": leader_of(servers) or {},
        "voters": [server.get("ID") for server in servers if server.get("Voter")],
        "learners": [server.get("ID") for server in servers if not server.get("Voter")],
        "index": configuration.get("Index"),
    }


def apply(module, client):
    return shape(read_configuration(client, stale=module.params["stale"]))


def main():
    module = new_module({"stale": {"type": "bool", "default": False}}, supports_check_mode=True)
    run(module, apply)


if __name__ == "__main__":
    main()
