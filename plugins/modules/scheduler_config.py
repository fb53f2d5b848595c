#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scheduler_config
short_description: Manage the scheduler configuration with check-and-set
version_added: 0.1.0
description:
  - Reads C(GET /v1/operator/scheduler/configuration), compares the options you set (and only those, including
    single keys of O(preemption_config)) with it, and when something differs writes the whole configuration back
    with your values laid over it, through C(PUT /v1/operator/scheduler/configuration?cas=<ModifyIndex>).
  - Options you leave out keep the value the cluster holds; the API replaces the whole object on every write.
  - A write that loses to a concurrent writer (C(Updated=false)) is read, compared and written again, up to
    O(cas_retries) times. With O(cas_index), nothing is retried. See the collection's C(docs/modules/cas.md).
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
  scheduler_algorithm:
    description: Whether the scheduler packs allocations onto few nodes or spreads them (C(SchedulerAlgorithm)).
    type: str
    choices: [binpack, spread]
  preemption_config:
    description: Which schedulers may preempt lower-priority allocations (C(PreemptionConfig)). Keys you leave out keep
      their value.
    type: dict
    suboptions:
      system_scheduler_enabled:
        description: Preemption for system jobs (C(SystemSchedulerEnabled)).
        type: bool
      sys_batch_scheduler_enabled:
        description: Preemption for sysbatch jobs (C(SysBatchSchedulerEnabled)).
        type: bool
      batch_scheduler_enabled:
        description: Preemption for batch jobs (C(BatchSchedulerEnabled)).
        type: bool
      service_scheduler_enabled:
        description: Preemption for service jobs (C(ServiceSchedulerEnabled)).
        type: bool
  memory_oversubscription_enabled:
    description: Let tasks use more memory than they reserve (C(MemoryOversubscriptionEnabled)).
    type: bool
  reject_job_registration:
    description: Refuse new job registrations (C(RejectJobRegistration)).
    type: bool
  pause_eval_broker:
    description: Pause the evaluation broker (C(PauseEvalBroker)).
    type: bool
  node_limit_for_feasibility_checks:
    description: How many nodes the scheduler checks for feasibility, V(0) for its default
      (C(NodeLimitForFeasibilityChecks)).
    type: int
notes:
  - The token needs the C(operator:write) capability when ACLs are enabled (C(operator:read) in check mode).
  - raftops stores the scheduler configuration for the tools that manage it; it has no scheduler of its own.
seealso:
  - module: raftops.cluster.scheduler_config_info
  - module: raftops.cluster.autopilot_config
  - name: Nomad operator API, scheduler configuration
    description: The endpoints this module reads and writes.
    link: https://developer.hashicorp.com/nomad/api-docs/operator/scheduler
"""

EXAMPLES = r"""
- name: Spread allocations and let service jobs preempt, leave everything else as it is
  raftops.cluster.scheduler_config:
    url: https://raft1.example.com:4646
    token: "{{ raftops_operator_token }}"
    scheduler_algorithm: spread
    preemption_config:
      service_scheduler_enabled: true

- name: Pause the evaluation broker during maintenance
  raftops.cluster.scheduler_config:
    pause_eval_broker: true
    cas_retries: 5
"""

RETURN = r"""
config:
  description:
    - The scheduler configuration (C(SchedulerConfig)) after the module ran, with C(CreateIndex) and C(ModifyIndex).
    - In check mode, the predicted configuration at the current indexes.
  returned: success
  type: dict
  sample:
    SchedulerAlgorithm: spread
    PreemptionConfig:
      SystemSchedulerEnabled: true
      SysBatchSchedulerEnabled: false
      BatchSchedulerEnabled: false
      ServiceSchedulerEnabled: true
    MemoryOversubscriptionEnabled: false
    RejectJobRegistration: false
    PauseEvalBroker: false
    NodeLimitForFeasibilityChecks: 0
    CreateIndex: 11
    ModifyIndex: 19
differences:
  description: The API fields (nested ones dotted) whose value differed from what you set.
  returned: success
  type: list
  elements: str
  sample:
    - PreemptionConfig.ServiceSchedulerEnabled
    - SchedulerAlgorithm
"""

from ansible_collections.raftops.cluster.plugins.module_utils._cas import Snapshot, WriteResult
from ansible_collections.raftops.cluster.plugins.module_utils._config_object import (
    BOOL,
    DICT,
    INT,
    STR,
    Field,
    cas_argument_spec,
    manage,
)
from ansible_collections.raftops.cluster.plugins.module_utils._module import new_module, run

PATH = "/v1/operator/scheduler/configuration"
PREEMPTION_FIELDS = (
    Field("system_scheduler_enabled", "SystemSchedulerEnabled", BOOL),
    Field("sys_batch_scheduler_enabled", "SysBatchSchedulerEnabled", BOOL),
    Field("batch_scheduler_enabled", "BatchSchedulerEnabled", BOOL),
    Field("service_scheduler_enabled", "ServiceSchedulerEnabled", BOOL),
)
FIELDS = (
    Field("scheduler_algorithm", "SchedulerAlgorithm", STR),
    Field("preemption_config", "PreemptionConfig", DICT, PREEMPTION_FIELDS),
    Field("memory_oversubscription_enabled", "MemoryOversubscriptionEnabled", BOOL),
    Field("reject_job_registration", "RejectJobRegistration", BOOL),
    Field("pause_eval_broker", "PauseEvalBroker", BOOL),
    Field("node_limit_for_feasibility_checks", "NodeLimitForFeasibilityChecks", INT),
)


def read_config(client):
    data = client.get(PATH, retry=True).data
    config = data.get("SchedulerConfig") if isinstance(data, dict) else None
    if not isinstance(config, dict) or "ModifyIndex" not in config:
        raise ValueError("unexpected answer to GET %s: %r" % (PATH, data))
    return config


def make_read(client):
    def read():
        config = read_config(client)
        return Snapshot(config, config["ModifyIndex"])

    return read


def make_write(client):
    def write(body, index):
        answer = client.put(PATH, query={"cas": index}, body=body, retry=True).data
        if not isinstance(answer, dict) or not isinstance(answer.get("Updated"), bool):
            raise ValueError("unexpected answer to PUT %s: %r" % (PATH, answer))
        # With ?cas, Updated says whether the write happened; Index is then the configuration's new ModifyIndex.
        if answer["Updated"]:
            return WriteResult(True, answer.get("Index"))
        return WriteResult(False)

    return write


def apply(module, client):
    return manage(module, make_read(client), make_write(client), FIELDS, "the scheduler configuration")


def main():
    spec = {
        "scheduler_algorithm": {"type": "str", "choices": ["binpack", "spread"]},
        "preemption_config": {
            "type": "dict",
            "options": dict((field.option, {"type": "bool"}) for field in PREEMPTION_FIELDS),
        },
        "memory_oversubscription_enabled": {"type": "bool"},
        "reject_job_registration": {"type": "bool"},
        "pause_eval_broker": {"type": "bool"},
        "node_limit_for_feasibility_checks": {"type": "int"},
    }
    spec.update(cas_argument_spec())
    module = new_module(spec, supports_check_mode=True)
    run(module, apply)


if __name__ == "__main__":
    main()
