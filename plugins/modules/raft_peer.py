#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: raft_peer
short_description: Remove a server from the Raft configuration, or join a new one as a learner
version_added: 0.1.0
description:
  - With O(state=absent), removes one server from the Raft configuration (C(DELETE /v1/operator/raft/peer)), selected
    by O(id), O(address) or O(node). A server that is not in the configuration is already absent, so nothing changes.
  - Before removing, the module refuses to remove the current leader and to remove a voter when the healthy voters
    left behind would not be a majority of the voters left behind (health from C(GET /v1/operator/autopilot/health)),
    unless O(force=true). Learners never count towards quorum and can always be removed.
  - After the removal the module waits until the server is gone from the configuration (O(wait_timeout)).
  - With O(state=present), adds a new server as a B(learner) through the raftops join endpoint
    (C(PUT /v1/operator/raft/join), a raftops extension that Nomad does not have) and returns the
    C(--initial-cluster) its etcd member must start with. Autopilot promotes the learner to a voter once it has been
    healthy for C(ServerStabilizationTime). A server with the same Raft address is already present, so nothing changes.
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
      - Check mode reads the configuration (and the health report when a voter would be removed), applies the same
        refusals and predicts the change without sending it.
  diff_mode:
    support: full
    details:
      - The diff shows the servers of the configuration (by address) before and after.
  idempotent:
    support: full
options:
  state:
    description:
      - V(absent) removes the selected server; V(present) joins a new server as a learner.
    type: str
    required: true
    choices: [absent, present]
  id:
    description:
      - The Raft ID of the server to remove, as the C(ID) of an entry of RV(servers).
      - Exactly one of O(id), O(address) and O(node) selects the server for O(state=absent).
    type: str
  address:
    description:
      - The Raft address (C(ip:port)) of the server to remove, as the C(Address) of an entry of RV(servers).
    type: str
  node:
    description:
      - With O(state=absent), the node name of the server to remove. It must match one server only.
      - With O(state=present), the name of the new server (its etcd member name, C(--name)). Required then.
    type: str
  peer_url:
    description:
      - The Raft (etcd peer) URL of the new server, for example V(https://10.0.0.14:2380). Required with
        O(state=present); sent as the one entry of C(PeerURLs).
      - Its C(host:port) is the server's Raft address, which decides whether the server is already present.
    type: str
  force:
    description:
      - Remove the server even when it is the leader (the agent hands leadership to another voter first) or when
        the removal leaves fewer healthy voters than a quorum needs. This can make the cluster unavailable.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait, after a removal, until the server is no longer in the configuration. The module fails if it
        is still there then.
      - V(0) does not wait; RV(servers) is then the configuration predicted from the one read before the removal.
    type: int
    default: 30
notes:
  - The token needs the C(management) capability when ACLs are enabled.
  - The removed server's etcd member stops by itself; wipe its data directory before it joins again.
  - A learner that was joined but never started shows the node name C((unknown)) and a placeholder ID until its agent
    registers; select it by O(address) or O(id).
  - O(state=present) returns RV(initial_cluster) only in the run that adds the member. etcd accepts one learner at a
    time.
seealso:
  - module: raftops.cluster.raft_info
  - module: raftops.cluster.raft_leader
  - module: raftops.cluster.autopilot_health_info
  - name: Nomad Raft operator API
    description: The remove-peer endpoint this module calls.
    link: https://developer.hashicorp.com/nomad/api-docs/operator/raft
"""

EXAMPLES = r"""
- name: Remove a dead server by its Raft address
  raftops.cluster.raft_peer:
    url: https://raft1.example.com:4646
    token: "{{ raftops_management_token }}"
    address: 10.0.0.13:2380
    state: absent

- name: Remove a server by node name, waiting up to a minute until it is gone
  raftops.cluster.raft_peer:
    node: raft3
    state: absent
    wait_timeout: 60

- name: Join a new server as a learner
  raftops.cluster.raft_peer:
    node: raft4
    peer_url: https://10.0.0.14:2380
    state: present
  register: joined

- name: Start the new etcd member with the cluster it must join
  ansible.builtin.debug:
    msg: "--initial-cluster {{ joined.initial_cluster }} --initial-cluster-state existing"
  when: joined.initial_cluster is defined
"""

RETURN = r"""
server:
  description:
    - The server concerned, as the configuration listed it before the change (for O(state=absent)), or as the join
      endpoint answered (for a new O(state=present) member).
    - Empty when a server to remove was already absent.
  returned: success
  type: dict
  sample:
    ID: 5005f795-2c4c-4448-b0f8-5792b4dec1ec
    Node: server2
    Address: 10.0.0.12:2380
    Leader: false
    Voter: true
    RaftProtocol: "3"
servers:
  description:
    - The servers of the Raft configuration after the change, as the API lists them (the fields of
      M(raftops.cluster.raft_info)'s RV(raftops.cluster.raft_info#module:servers)).
    - In check mode, the current configuration.
  returned: success
  type: list
  elements: dict
  sample:
    - ID: 49798b58-eaa0-4d86-9006-bf31b0ac5b46
      Node: server1
      Address: 10.0.0.11:2380
      Leader: true
      Voter: true
      RaftProtocol: "3"
initial_cluster:
  description: The C(--initial-cluster) value the new member's etcd must start with.
  returned: when O(state=present) added the member
  type: str
  sample: server4=https://10.0.0.14:2380,server1=https://10.0.0.11:2380,server2=https://10.0.0.12:2380
initial_cluster_state:
  description: The C(--initial-cluster-state) the new member's etcd must start with.
  returned: when O(state=present) added the member
  type: str
  sample: existing
waited:
  description: Seconds spent waiting until the removed server left the configuration.
  returned: when a server was removed
  type: float
  sample: 0.52
"""

from urllib.parse import urlsplit

from ansible_collections.raftops.cluster.plugins.module_utils import _raft
from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsAPIError
from ansible_collections.raftops.cluster.plugins.module_utils._diff import make_diff
from ansible_collections.raftops.cluster.plugins.module_utils._module import ModuleError, new_module, run
from ansible_collections.raftops.cluster.plugins.module_utils._wait import wait_for

UNKNOWN_NODE = "(unknown)"


def diff_view(servers):
    """Servers keyed by address, so that a check-mode diff and the real one match line for line."""
    return {
        "Servers": dict(
            (s.get("Address"), {"ID": s.get("ID"), "Node": s.get("Node"), "Voter": s.get("Voter")}) for s in servers
        )
    }


def peer_address(peer_url):
    """host:port of a peer URL; ValueError unless it is http(s)://host:port."""
    parts = urlsplit(peer_url or "")
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in ("http", "https") or not parts.hostname or port is None:
        raise ValueError("peer_url %r must look like https://HOST:PORT or http://HOST:PORT" % (peer_url,))
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("peer_url %r must not have a path, query or fragment" % (peer_url,))
    return parts.netloc


def check_removal(module, client, servers, target):
    """Raise ModuleError when removing ``target`` is refused (leader, quorum) and force is not set."""
    if module.params["force"]:
        return
    if target.get("Leader"):
        raise ModuleError(
            "%s is the current leader; transfer leadership away first (raftops.cluster.raft_leader) or set "
            "force=true" % _raft.describe(target),
            server=target,
        )
    if not target.get("Voter"):
        return
    try:
        report = _raft.read_health(client)[1]
    except RaftopsAPIError as exc:
        raise ModuleError(
            "cannot check that removing %s keeps a quorum, because the health report is not readable (%s); "
            "set force=true to remove it without the check" % (_raft.describe(target), exc),
            server=target,
        ) from exc
    refusal = _raft.removal_refusal(servers, target, _raft.healthy_ids(report))
    if refusal:
        raise ModuleError(refusal + "; set force=true to remove it anyway", server=target)


def remove(module, client):
    key, value = _raft.selection(module.params)
    servers = _raft.read_configuration(client)["Servers"]
    target = _raft.find_server(servers, key, value)
    result = {"changed": False, "server": target or {}, "servers": servers}
    if target is None:
        if module._diff:
            result["diff"] = make_diff(diff_view(servers), diff_view(servers))
        return result
    check_removal(module, client, servers, target)
    remaining = [server for server in servers if server is not target]
    result["changed"] = True
    if module._diff:
        result["diff"] = make_diff(diff_view(servers), diff_view(remaining))
    if module.check_mode:
        return result
    client.delete(_raft.PEER_PATH, query=_raft.target_query(target))
    if module.params["wait_timeout"] == 0:
        result["servers"] = remaining
        return result

    def gone():
        current = _raft.read_configuration(client)["Servers"]
        return not any(server.get("ID") == target.get("ID") for server in current), current

    waited = wait_for(gone, module.params["wait_timeout"])
    result["servers"] = waited.value
    result["waited"] = waited.elapsed
    if not waited.done:
        raise ModuleError(
            "%s was removed but is still in the Raft configuration after %s s"
            % (_raft.describe(target), waited.elapsed),
            servers=waited.value,
        )
    return result


def join(module, client):
    node, peer_url = module.params["node"], module.params["peer_url"]
    address = peer_address(peer_url)
    servers = _raft.read_configuration(client)["Servers"]
    existing = next((server for server in servers if server.get("Address") == address), None)
    result = {"changed": False, "server": existing or {}, "servers": servers}
    if existing is not None:
        if existing.get("Node") not in (node, UNKNOWN_NODE):
            raise ModuleError(
                "the Raft address %s already belongs to %s, not to %s" % (address, _raft.describe(existing), node),
                server=existing,
            )
        if module._diff:
            result["diff"] = make_diff(diff_view(servers), diff_view(servers))
        return result
    clash = next((server for server in servers if server.get("Node") == node), None)
    if clash is not None:
        raise ModuleError(
            "a server named %s already exists at %s; remove it first or choose another name"
            % (node, clash.get("Address")),
            server=clash,
        )
    result["changed"] = True
    if module._diff:
        after = diff_view(servers)
        after["Servers"][address] = {"ID": None, "Node": node, "Voter": False}
        result["diff"] = make_diff(diff_view(servers), after)
    if module.check_mode:
        return result
    answer = client.put(_raft.JOIN_PATH, body={"Name": node, "PeerURLs": [peer_url]}).data
    if not isinstance(answer, dict) or not isinstance(answer.get("Member"), dict):
        raise ValueError("unexpected answer to PUT %s: %r" % (_raft.JOIN_PATH, answer))
    result["server"] = answer["Member"]
    result["initial_cluster"] = answer.get("InitialCluster")
    result["initial_cluster_state"] = answer.get("InitialClusterState")
    result["servers"] = _raft.read_configuration(client)["Servers"]
    return result


def apply(module, client):
    if module.params["wait_timeout"] < 0:
        raise ValueError("wait_timeout must be 0 or greater, got %s" % module.params["wait_timeout"])
    if module.params["state"] == "present":
        return join(module, client)
    if module.params["peer_url"] is not None:
        raise ValueError("peer_url is only used with state=present")
    return remove(module, client)


def main():
    module = new_module(
        {
            "state": {"type": "str", "required": True, "choices": ["absent", "present"]},
            "id": {"type": "str"},
            "address": {"type": "str"},
            "node": {"type": "str"},
            "peer_url": {"type": "str"},
            "force": {"type": "bool", "default": False},
            "wait_timeout": {"type": "int", "default": 30},
        },
        mutually_exclusive=[("id", "address", "node"), ("id", "peer_url"), ("address", "peer_url")],
        required_if=[("state", "present", ("node", "peer_url"))],
        supports_check_mode=True,
    )
    run(module, apply)


if __name__ == "__main__":
    main()
