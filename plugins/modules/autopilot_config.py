#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: autopilot_config
short_description: Manage the autopilot configuration with check-and-set
version_added: 0.1.0
description:
  - Reads C(GET /v1/operator/autopilot/configuration), compares the options you set (and only those) with it, and
    when something differs writes the whole configuration back with your values laid over it, through
    C(PUT /v1/operator/autopilot/configuration?cas=<ModifyIndex>).
  - Options you leave out keep the value the cluster holds. The API replaces the whole object on every write, which is
    why the module always sends the merged whole.
  - A write that loses to a concurrent writer is read, compared and written again, up to O(cas_retries) times. With
    O(cas_index), nothing is retried. See the collection's C(docs/modules/cas.md).
  - Durations are Go duration strings and are compared in Go's canonical form, so V(0.2s) and V(200ms) are equal.
  - The configuration always exists, so there is no O(ignore:state); to go back to the defaults, set them.
author:
  - raftops maintainers (@raftops)
extends_documentation_fragment:
  - raftops.cluster._connection
  - raftops.cluster._cas
  - raftops.cluster._attributes
  - raftops.cluster._attributes.actiongroup_raftops
attributes:
  check_mode:
    support: full
    details:
      - Check mode reads the configuration and predicts the change without writing.
  diff_mode:
    support: full
    details:
      - The diff shows the whole configuration before and after, without C(CreateIndex) and C(ModifyIndex).
  idempotent:
    support: full
options:
  cleanup_dead_servers:
    description: Remove dead servers automatically (C(CleanupDeadServers)).
    type: bool
  last_contact_threshold:
    description:
      - How long a server may go without contact from the leader before it counts as unhealthy
        (C(LastContactThreshold)), as a Go duration such as V(200ms).
    type: str
  max_trailing_logs:
    description:
      - How many log entries a server may trail the leader by before it counts as unhealthy (C(MaxTrailingLogs)).
    type: int
  min_quorum:
    description: The number of voters below which dead servers are not removed (C(MinQuorum)). V(0) means no minimum.
    type: int
  server_stabilization_time:
    description:
      - How long a new server must be healthy before it is promoted to a voter (C(ServerStabilizationTime)),
        as a Go duration such as V(10s).
    type: str
  enable_redundancy_zones:
    description: Nomad Enterprise redundancy zones (C(EnableRedundancyZones)). Stored, not acted on by raftops.
    type: bool
  disable_upgrade_migration:
    description:
      - Nomad Enterprise upgrade migration switch (C(DisableUpgradeMigration)). Stored, not acted on by raftops.
    type: bool
  enable_custom_upgrades:
    description: Nomad Enterprise custom upgrades (C(EnableCustomUpgrades)). Stored, not acted on by raftops.
    type: bool
notes:
  - The token needs the C(operator:write) capability when ACLs are enabled (C(operator:read) in check mode).
seealso:
  - module: raftops.cluster.autopilot_config_info
  - module: raftops.cluster.autopilot_health_info
  - module: raftops.cluster.scheduler_config
  - name: Nomad operator API, autopilot configuration
    description: The endpoints this module reads and writes.
    link: https://developer.hashicorp.com/nomad/api-docs/operator/autopilot
"""

EXAMPLES = r"""
- name: Tolerate slower followers, leave every other setting as it is
  raftops.cluster.autopilot_config:
    url: https://raft1.example.com:4646
    token: "{{ raftops_operator_token }}"
    last_contact_threshold: 500ms
    max_trailing_logs: 500

- name: Only change the configuration if nobody else changed it since it was read
  block:
    - name: Read the autopilot configuration
      raftops.cluster.autopilot_config_info:
      register: autopilot

    - name: Write with strict check-and-set on the index just read
      raftops.cluster.autopilot_config:
        cleanup_dead_servers: false
        cas_index: "{{ autopilot.config.ModifyIndex }}"
"""

RETURN = r"""
config:
  description:
    - The autopilot configuration after the module ran, with C(CreateIndex) and C(ModifyIndex).
    - In check mode, the predicted configuration at the current indexes.
  returned: success
  type: dict
  sample:
    CleanupDeadServers: true
    LastContactThreshold: 500ms
    MaxTrailingLogs: 500
    MinQuorum: 0
    ServerStabilizationTime: 10s
    EnableRedundancyZones: false
    DisableUpgradeMigration: false
    EnableCustomUpgrades: false
    CreateIndex: 10
    ModifyIndex: 18
differences:
  description: The API fields whose value differed from what you set (empty when nothing changed).
  returned: success
  type: list
  elements: str
  sample:
    - LastContactThreshold
    - MaxTrailingLogs
"""

from ansible_collections.raftops.cluster.plugins.module_utils._cas import Snapshot, WriteResult
from ansible_collections.raftops.cluster.plugins.module_utils._config_object import (
    BOOL,
    DURATION,
    INT,
    Field,
    cas_argument_spec,
    manage,
)
from ansible_collections.raftops.cluster.plugins.module_utils._module import new_module, run

PATH = "/v1/operator/autopilot/configuration"
FIELDS = (
    Field("cleanup_dead_servers", "CleanupDeadServers", BOOL),
    Field("last_contact_threshold", "LastContactThreshold", DURATION),
    Field("max_trailing_logs", "MaxTrailingLogs", INT),
    Field("min_quorum", "MinQuorum", INT),
    Field("server_stabilization_time", "ServerStabilizationTime", DURATION),
    Field("enable_redundancy_zones", "EnableRedundancyZones", BOOL),
    Field("disable_upgrade_migration", "DisableUpgradeMigration", BOOL),
    Field("enable_custom_upgrades", "EnableCustomUpgrades", BOOL),
)
OPTION_TYPES = {BOOL: "bool", DURATION: "str", INT: "int"}


def read_config(client):
    data = client.get(PATH, retry=True).data
    if not isinstance(data, dict) or "ModifyIndex" not in data:
        raise ValueError("unexpected answer to GET %s: %r" % (PATH, data))
    return data


def make_read(client):
    def read():
        data = read_config(client)
        return Snapshot(data, data["ModifyIndex"])

    return read


def make_write(client):
    def write(body, index):
        # The answer is a bare JSON boolean: whether the CAS write happened. It carries no index.
        answer = client.put(PATH, query={"cas": index}, body=body, retry=True).data
        if not isinstance(answer, bool):
            raise ValueError("unexpected answer to PUT %s: %r" % (PATH, answer))
        return WriteResult(answer)

    return write


def apply(module, client):
    return manage(
        module,
        make_read(client),
        make_write(client),
        FIELDS,
        "the autopilot configuration",
        reread=lambda: read_config(client),
    )


def main():
    spec = dict((field.option, {"type": OPTION_TYPES[field.kind]}) for field in FIELDS)
    spec.update(cas_argument_spec())
    module = new_module(spec, supports_check_mode=True)
    run(module, apply)


if __name__ == "__main__":
    main()
