#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: status_info
short_description: Read the Raft leader, the Raft peers and the agent's own view of a raftops cluster
version_added: 0.1.0
description:
  - Reads C(GET /v1/status/leader), C(GET /v1/status/peers) and C(GET /v1/agent/self) from one raftops agent and
    returns them.
  - Every agent answers for the whole cluster, so any reachable agent can be asked.
  - The three reads are retried on connection errors and HTTP 429 or 5xx answers, see O(retries).
author:
  - raftops maintainers (@raftops)
extends_documentation_fragment:
  - raftops.cluster._connection
  - raftops.cluster._attributes
  - raftops.cluster._attributes.info_module
  - raftops.cluster._attributes.actiongroup_raftops
options: {}
notes:
  - The token needs read access to the agent and operator APIs (for example the C(operator:read) capability)
    when ACLs are enabled.
seealso:
  - name: Nomad status API
    description: The Nomad HTTP API whose status endpoints the raftops agent implements.
    link: https://developer.hashicorp.com/nomad/api-docs/status
"""

EXAMPLES = r"""
- name: Read the cluster status from the first server
  raftops.cluster.status_info:
    url: https://raft1.example.com:4646
    token: "{{ raftops_management_token }}"
    ca_path: /etc/raftops/tls/ca.pem
  register: raft_status

- name: Show the leader
  ansible.builtin.debug:
    msg: "Leader is {{ raft_status.leader }} among {{ raft_status.peers | length }} peers"

- name: Set the connection options once for every module of the collection
  module_defaults:
    group/raftops.cluster.raftops:
      url: https://raft1.example.com:4646
      token: "{{ raftops_management_token }}"
  block:
    - name: Wait until the cluster has elected a leader
      raftops.cluster.status_info:
      register: raft_status
      until: raft_status.leader | length > 0
      retries: 30
      delay: 2
"""

RETURN = r"""
leader:
  description:
    - Raft address (C(ip:port), the etcd peer address) of the current leader, as the agent reports it.
    - Empty when the cluster has no leader at the moment.
  returned: success
  type: str
  sample: 10.0.0.11:2380
peers:
  description:
    - Raft addresses (C(ip:port), the etcd peer addresses) of the peers (voters and learners) in the current
      Raft configuration.
  returned: success
  type: list
  elements: str
  sample:
    - 10.0.0.11:2380
    - 10.0.0.12:2380
    - 10.0.0.13:2380
agent:
  description:
    - The answer of C(GET /v1/agent/self), unchanged. Its layout follows the agent, for example its C(config),
      C(member) and C(stats) keys.
  returned: success
  type: dict
  sample:
    config:
      AdvertiseAddrs:
        HTTP: 10.0.0.11:4646
        RPC: 10.0.0.11:2380
      Version:
        Version: 0.1.0
    member:
      Addr: 10.0.0.11
      Name: raft1
      Port: 4646
      Status: alive
    stats:
      raft:
        leader: 'true'
        state: Leader
        term: '4'
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.raftops.cluster.plugins.module_utils._client import (
    RaftopsAPIError,
    RaftopsClient,
    argument_spec,
    fail_from,
)

LEADER_PATH = "/v1/status/leader"
PEERS_PATH = "/v1/status/peers"
AGENT_PATH = "/v1/agent/self"


def shape_status(leader, peers, agent):
    """Check the three answers' types and return the module result. Raises ValueError on an unexpected shape."""
    if leader is None:
        leader = ""
    if not isinstance(leader, str):
        raise ValueError("unexpected answer to GET %s: expected a JSON string, got %r" % (LEADER_PATH, leader))
    if peers is None:
        peers = []
    if not isinstance(peers, list) or not all(isinstance(peer, str) for peer in peers):
        raise ValueError("unexpected answer to GET %s: expected a JSON list of strings, got %r" % (PEERS_PATH, peers))
    if not isinstance(agent, dict):
        raise ValueError("unexpected answer to GET %s: expected a JSON object, got %r" % (AGENT_PATH, agent))
    return {"leader": leader, "peers": peers, "agent": agent}


def read_status(client):
    """Read leader, peers and agent from the agent. All three are reads, so they are safe to retry."""
    leader = client.get(LEADER_PATH, retry=True).data
    peers = client.get(PEERS_PATH, retry=True).data
    agent = client.get(AGENT_PATH, retry=True).data
    return shape_status(leader, peers, agent)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        client = RaftopsClient.from_module(module)
        status = read_status(client)
    except (RaftopsAPIError, ValueError) as exc:
        fail_from(module, exc)
    else:
        module.exit_json(changed=False, **status)


if __name__ == "__main__":
    main()
