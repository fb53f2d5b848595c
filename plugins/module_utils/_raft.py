# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The Raft configuration as Nomad's API shows it, and the safety rules of changing it (pure logic + two reads).

``GET /v1/operator/raft/configuration`` lists ``Servers`` with ``ID``, ``Node``, ``Address``, ``Leader`` and ``Voter``.
A server is selected by exactly one of its ID, its address (``ip:port``) or its node name. Removing a voter must
leave a working majority: after the removal, the healthy remaining voters (``GET /v1/operator/autopilot/health``)
must still be a quorum of the remaining voters.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import re

CONFIGURATION_PATH = "/v1/operator/raft/configuration"
PEER_PATH = "/v1/operator/raft/peer"
TRANSFER_PATH = "/v1/operator/raft/transfer-leadership"
JOIN_PATH = "/v1/operator/raft/join"
HEALTH_PATH = "/v1/operator/autopilot/health"

SELECTORS = ("id", "address", "node")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def read_configuration(client, stale=False):
    """The raft configuration (``Servers``, ``Index``). Reads are safe to retry."""
    data = client.get(CONFIGURATION_PATH, query={"stale": "true"} if stale else None, retry=True).data
    if not isinstance(data, dict) or not isinstance(data.get("Servers"), list):
        raise ValueError("unexpected answer to GET %s: %r" % (CONFIGURATION_PATH, data))
    return data


def read_health(client):
    """(HTTP status, report) of the autopilot health endpoint; its 429 (unhealthy) is an answer, not an error."""
    response = client.get(HEALTH_PATH, retry=True, accept_status=(429,))
    report = response.data
    if isinstance(report, str):
        # Nomad writes the 429 status before the body, so the body is labelled text/plain although it is JSON.
        with contextlib.suppress(ValueError):
            report = json.loads(report)
    if not isinstance(report, dict):
        raise ValueError("unexpected answer to GET %s: %r" % (HEALTH_PATH, response.data))
    return response.status, report


def is_uuid(text):
    return bool(_UUID.match(text or ""))


def leader_of(servers):
    return next((server for server in servers if server.get("Leader")), None)


def voters_of(servers):
    return [server for server in servers if server.get("Voter")]


def describe(server):
    return "%s (ID %s, address %s)" % (server.get("Node"), server.get("ID"), server.get("Address"))


def summary(servers):
    """The identity and role of each server, without the leader flag (which the same change may move)."""
    rows = [dict((key, server.get(key)) for key in ("ID", "Node", "Address", "Voter")) for server in servers]
    return sorted(rows, key=lambda row: (row["Address"] or "", row["ID"] or ""))


def selection(params):
    """(key, value) of the one selector set among id, address and node."""
    chosen = [(key, params.get(key)) for key in SELECTORS if params.get(key) is not None]
    if len(chosen) != 1:
        raise ValueError("set exactly one of id, address or node, got %s" % (", ".join(k for k, v in chosen) or "none"))
    key, value = chosen[0]
    if not value:
        raise ValueError("%s must not be empty" % key)
    return key, value


def find_server(servers, key, value):
    """The server whose ID, Address or Node (``key``: id, address, node) is ``value``; None when there is none.

    Raises ValueError when a node name matches several servers (it is not unique, unlike ID and address).
    """
    field = {"id": "ID", "address": "Address", "node": "Node"}[key]
    matches = [server for server in servers if server.get(field) == value]
    if len(matches) > 1:
        raise ValueError(
            "node name %r matches %d servers (%s); select the server by id or address"
            % (value, len(matches), "; ".join(describe(server) for server in matches))
        )
    return matches[0] if matches else None


def target_query(server):
    """The query that names ``server`` to the remove-peer and transfer-leadership endpoints.

    The ID where it is a UUID (Raft protocol 3, and what Nomad 1.11 requires), the address otherwise (servers
    whose ID is their address).
    """
    if is_uuid(server.get("ID")):
        return {"id": server["ID"]}
    return {"address": server["Address"]}


def quorum_size(voters):
    return voters // 2 + 1


def healthy_ids(report):
    """IDs and addresses of the servers the health report calls healthy."""
    out = set()
    for server in report.get("Servers") or []:
        if server.get("Healthy"):
            out.add(server.get("ID"))
            out.add(server.get("Address"))
    out.discard(None)
    return out


def removal_refusal(servers, target, healthy):
    """Why removing ``target`` would break the cluster, or None when it is safe.

    ``healthy``: IDs/addresses of healthy servers (healthy_ids()). Learners never count towards quorum. Removing a
    voter must leave at least one voter, and the healthy voters that remain must be a majority of the voters
    that remain.
    """
    if not target.get("Voter"):
        return None
    remaining = [server for server in voters_of(servers) if server is not target]
    if not remaining:
        return "%s is the only voter; removing it would leave the cluster without voters" % describe(target)
    alive = [server for server in remaining if server.get("ID") in healthy or server.get("Address") in healthy]
    needed = quorum_size(len(remaining))
    if len(alive) < needed:
        return (
            "removing %s would break quorum: %d voter(s) would remain, of which %d healthy (%s), but %d are needed"
            % (
                describe(target),
                len(remaining),
                len(alive),
                ", ".join(server.get("Node") or server.get("ID") for server in alive) or "none",
                needed,
            )
        )
    return None
