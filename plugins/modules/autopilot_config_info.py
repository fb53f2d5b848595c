#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: autopilot_config_info
short_description: Read the autopilot configuration
version_added: 0.1.0
description:
  - Reads C(GET /v1/operator/autopilot/configuration) and returns it, including the C(ModifyIndex) that
    M(raftops.cluster.autopilot_config) accepts as O(raftops.cluster.autopilot_config#module:cas_index).
author:
  - raftops maintainers (@raftops)
extends_documentation_fragment:
  - raftops.cluster._connection
  - raftops.cluster._attributes
  - raftops.cluster._attributes.info_module
  - raftops.cluster._attributes.actiongroup_raftops
options: {}
notes:
  - The token needs the C(operator:read) capability when ACLs are enabled.
seealso:
  - module: raftops.cluster.autopilot_config
  - module: raftops.cluster.autopilot_health_info
"""

EXAMPLES = r"""
- name: Read the autopilot configuration
  raftops.cluster.autopilot_config_info:
    url: https://raft1.example.com:4646
    token: "{{ raftops_operator_token }}"
  register: autopilot

- name: Show the promotion delay
  ansible.builtin.debug:
    msg: "New servers vote after {{ autopilot.config.ServerStabilizationTime }}"
"""

RETURN = r"""
config:
  description: The autopilot configuration as the API answers it, with C(CreateIndex) and C(ModifyIndex).
  returned: success
  type: dict
  sample:
    CleanupDeadServers: true
    LastContactThreshold: 200ms
    MaxTrailingLogs: 250
    MinQuorum: 0
    ServerStabilizationTime: 10s
    EnableRedundancyZones: false
    DisableUpgradeMigration: false
    EnableCustomUpgrades: false
    CreateIndex: 10
    ModifyIndex: 10
"""

from ansible_collections.raftops.cluster.plugins.module_utils._module import new_module, run

PATH = "/v1/operator/autopilot/configuration"


def apply(module, client):
    data = client.get(PATH, retry=True).data
    if not isinstance(data, dict):
        raise ValueError("unexpected answer to GET %s: %r" % (PATH, data))
    return {"config": data}


def main():
    module = new_module({}, supports_check_mode=True)
    run(module, apply)


if __name__ == "__main__":
    main()
