#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scheduler_config_info
short_description: Read the scheduler configuration
version_added: 0.1.0
description:
  - Reads C(GET /v1/operator/scheduler/configuration) and returns the configuration, including the C(ModifyIndex)
    that M(raftops.cluster.scheduler_config) accepts as O(raftops.cluster.scheduler_config#module:cas_index).
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
  - module: raftops.cluster.scheduler_config
"""

EXAMPLES = r"""
- name: Read the scheduler configuration
  raftops.cluster.scheduler_config_info:
    url: https://raft1.example.com:4646
    token: "{{ raftops_operator_token }}"
  register: scheduler

- name: Fail when job registration is switched off
  ansible.builtin.assert:
    that: not scheduler.config.RejectJobRegistration
"""

RETURN = r"""
config:
  description: The scheduler configuration (C(SchedulerConfig)), with C(CreateIndex) and C(ModifyIndex).
  returned: success
  type: dict
  sample:
    SchedulerAlgorithm: binpack
    PreemptionConfig:
      SystemSchedulerEnabled: true
      SysBatchSchedulerEnabled: false
      BatchSchedulerEnabled: false
      ServiceSchedulerEnabled: false
    MemoryOversubscriptionEnabled: false
    RejectJobRegistration: false
    PauseEvalBroker: false
    NodeLimitForFeasibilityChecks: 0
    CreateIndex: 11
    ModifyIndex: 11
index:
  description: The C(Index) of the answer (the query metadata), which is the configuration's C(ModifyIndex) on raftops.
  returned: success
  type: int
  sample: 11
"""

from ansible_collections.raftops.cluster.plugins.module_utils._module import new_module, run

PATH = "/v1/operator/scheduler/configuration"


def apply(module, client):
    data = client.get(PATH, retry=True).data
    if not isinstance(data, dict) or not isinstance(data.get("SchedulerConfig"), dict):
        raise ValueError("unexpected answer to GET %s: %r" % (PATH, data))
    return {"config": data["SchedulerConfig"], "index": data.get("Index")}


def main():
    module = new_module({}, supports_check_mode=True)
    run(module, apply)


if __name__ == "__main__":
    main()
