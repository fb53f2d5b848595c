#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: raft_leader
short_description: Make a given server the Raft leader
version_added: 0.1.0
description:
  - Makes the server selected by O(id), O(address) or O(node) the leader of the Raft cluster, through
    C(PUT /v1/operator/raft/transfer-leadership), and waits until the Raft configuration shows it as the leader.
  - When the server already leads, nothing is sent and nothing changes.
  - A learner (non-voter) cannot lead; the module refuses it before sending anything.
author:
  - raftops maintainers (@raftops)
extends_documentation_fragment:
  - raftops.cluster._connection
  - raftops.cluster._attributes
  - raftops.cluster._attributes.actiongroup_raftops
attributes:
  check_mode:
    support: full
    details:
      - Check mode reads the configuration and predicts whether leadership would move.
  diff_mode:
    support: full
    details:
      - The diff shows the leader before and after.
  idempotent:
    support: full
options:
  id:
    description:
      - The Raft ID of the server that must lead. Exactly one of O(id), O(address) and O(node) is required.
    type: str
  address:
    description:
      - The Raft address (C(ip:port)) of the server that must lead.
    type: str
  node:
    description:
      - The node name of the server that must lead. It must match one server only.
    type: str
  wait_timeout:
    description:
      - Seconds to wait after the transfer until the configuration shows the server as the leader. The module fails
        if it does not by then.
    type: int
    default: 30
notes:
  - The token needs the C(management) capability when ACLs are enabled.
  - The raftops agent itself answers only once every reachable member reports the new leader; the wait covers
    servers such as Nomad that answer earlier.
seealso:
  - module: raftops.cluster.raft_info
  - module: raftops.cluster.raft_peer
  - name: Nomad Raft operator API
    description: The transfer-leadership endpoint this module calls.
    link: https://developer.hashicorp.com/nomad/api-docs/operator/raft
"""

EXAMPLES = r"""
- name: Make raft1 the leader before restarting the others
  raftops.cluster.raft_leader:
    url: https://raft1.example.com:4646
    token: "{{ raftops_management_token }}"
    node: raft1

- name: Move leadership to a server given by its Raft address
  raftops.cluster.raft_leader:
    address: 10.0.0.12:2380
    wait_timeout: 60
"""

RETURN = r"""
leader:
  description: The configuration's entry of the server that leads after the module ran (in check mode, before).
  returned: success
  type: dict
  sample:
    ID: 5005f795-2c4c-4448-b0f8-5792b4dec1ec
    Node: server2
    Address: 10.0.0.12:2380
    Leader: true
    Voter: true
    RaftProtocol: "3"
previous_leader:
  description: The configuration's entry of the server that led before; empty when there was no leader.
  returned: success
  type: dict
  sample:
    ID: 49798b58-eaa0-4d86-9006-bf31b0ac5b46
    Node: server1
    Address: 10.0.0.11:2380
    Leader: true
    Voter: true
    RaftProtocol: "3"
servers:
  description:
    - The servers of the Raft configuration after the transfer (in check mode, before), with the fields of
      RV(raftops.cluster.raft_info#module:servers).
  returned: success
  type: list
  elements: dict
  sample: []
waited:
  description: Seconds from sending the transfer until the configuration showed the new leader.
  returned: when leadership moved
  type: float
  sample: 0.21
"""

from ansible_collections.raftops.cluster.plugins.module_utils import _raft
from ansible_collections.raftops.cluster.plugins.module_utils._diff import make_diff
from ansible_collections.raftops.cluster.plugins.module_utils._module import ModuleError, new_module, run
from ansible_collections.raftops.cluster.plugins.module_utils._wait import wait_for


def leader_view(server):
    if not server:
        return {"Leader": None}
    return {"Leader": dict((key, server.get(key)) for key in ("ID", "Node", "Address"))}


def apply(module, client):
    if module.params["wait_timeout"] < 0:
        raise ValueError("wait_timeout must be 0 or greater, got %s" % module.params["wait_timeout"])
    key, value = _raft.selection(module.params)
    servers = _raft.read_configuration(client)["Servers"]
    target = _raft.find_server(servers, key, value)
    if target is None:
        raise ModuleError(
            "no server with %s %r in the Raft configuration; servers: %s"
            % (key, value, "; ".join(_raft.describe(server) for server in servers)),
            servers=servers,
        )
    previous = _raft.leader_of(servers)
    result = {"changed": False, "leader": target, "previous_leader": previous or {}, "servers": servers}
    if target.get("Leader"):
        if module._diff:
            result["diff"] = make_diff(leader_view(target), leader_view(target))
        return result
    if not target.get("Voter"):
        raise ModuleError(
            "%s is a learner (non-voter) and cannot lead; wait until autopilot promotes it" % _raft.describe(target),
            servers=servers,
        )
    result["changed"] = True
    if module._diff:
        result["diff"] = make_diff(leader_view(previous), leader_view(target))
    if module.check_mode:
        result["leader"] = previous or {}
        return result
    client.put(_raft.TRANSFER_PATH, query=_raft.target_query(target), retry=True)

    def leads():
        current = _raft.read_configuration(client)["Servers"]
        leader = _raft.leader_of(current)
        return bool(leader and leader.get("ID") == target.get("ID")), current

    waited = wait_for(leads, module.params["wait_timeout"])
    result["servers"] = waited.value
    result["leader"] = _raft.leader_of(waited.value) or {}
    result["waited"] = waited.elapsed
    if not waited.done:
        shown = _raft.describe(result["leader"]) if result["leader"] else "none"
        raise ModuleError(
            "leadership was transferred to %s, but after %s s the configuration shows %s as the leader"
            % (_raft.describe(target), waited.elapsed, shown),
            servers=waited.value,
        )
    return result


def main():
    module = new_module(
        {
            "id": {"type": "str"},
            "address": {"type": "str"},
            "node": {"type": "str"},
            "wait_timeout": {"type": "int", "default": 30},
        },
        mutually_exclusive=[("id", "address", "node")],
        required_one_of=[("id", "address", "node")],
        supports_check_mode=True,
    )
    run(module, apply)


if __name__ == "__main__":
    main()
