#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: autopilot_health_info
short_description: Read the autopilot health of the servers, optionally waiting until the cluster is healthy
version_added: 0.1.0
description:
  - Reads C(GET /v1/operator/autopilot/health). The API answers HTTP 200 when every server is healthy and HTTP 429,
    with the same report, when one is not; both are results, not errors.
  - With O(wait_for_healthy) or O(min_failure_tolerance), the module reads the report again every half second until
    the conditions hold, and fails when they do not hold after O(wait_timeout) seconds. Use it to gate rolling
    restarts and upgrades on the cluster's failure tolerance.
author:
  - raftops maintainers (@raftops)
extends_documentation_fragment:
  - raftops.cluster._connection
  - raftops.cluster._attributes
  - raftops.cluster._attributes.info_module
  - raftops.cluster._attributes.actiongroup_raftops
options:
  wait_for_healthy:
    description:
      - Wait until the report says C(Healthy=true) (every server, voters and learners, is healthy).
    type: bool
    default: false
  min_failure_tolerance:
    description:
      - Wait until C(FailureTolerance), the number of voters that may fail without losing quorum, is at least this.
    type: int
  wait_timeout:
    description:
      - Seconds to wait for the conditions of O(wait_for_healthy) and O(min_failure_tolerance). V(0) checks once.
      - Without either condition the module reads the report once and never fails on what it says.
    type: int
    default: 60
notes:
  - The token needs the C(operator:read) capability when ACLs are enabled.
seealso:
  - module: raftops.cluster.raft_info
  - module: raftops.cluster.autopilot_config
  - name: Nomad operator API, autopilot health
    description: The endpoint this module reads.
    link: https://developer.hashicorp.com/nomad/api-docs/operator/autopilot
"""

EXAMPLES = r"""
- name: Read the health report, healthy or not
  raftops.cluster.autopilot_health_info:
    url: https://raft1.example.com:4646
    token: "{{ raftops_operator_token }}"
  register: health

- name: Before restarting the next server, wait until the cluster can lose one server again
  raftops.cluster.autopilot_health_info:
    wait_for_healthy: true
    min_failure_tolerance: 1
    wait_timeout: 120
"""

RETURN = r"""
healthy:
  description: Whether every server is healthy (C(Healthy)).
  returned: success
  type: bool
  sample: true
failure_tolerance:
  description: How many voters may fail without the cluster losing quorum (C(FailureTolerance)).
  returned: success
  type: int
  sample: 1
servers:
  description: The health of each server (C(Servers)), as the API answers it.
  returned: success
  type: list
  elements: dict
  sample:
    - ID: a44a1691-f665-448d-b8cc-efb04ccba349
      Name: server3
      Address: 10.0.0.13:2380
      SerfStatus: alive
      Version: 0.1.0
      Leader: true
      LastContact: 0s
      LastTerm: 4
      LastIndex: 42
      Healthy: true
      Voter: true
      StableSince: "2026-11-23T23:30:53Z"
leader:
  description: The ID of the leader (C(Leader)); empty when the server does not report it.
  returned: success
  type: str
  sample: a44a1691-f665-448d-b8cc-efb04ccba349
voters:
  description: The IDs of the voters (C(Voters)); empty when the server does not report them.
  returned: success
  type: list
  elements: str
  sample:
    - a44a1691-f665-448d-b8cc-efb04ccba349
status:
  description: The HTTP status of the last answer, V(200) (healthy) or V(429) (not healthy).
  returned: success
  type: int
  sample: 200
waited:
  description: Seconds spent reading the report until the conditions held (0 without conditions).
  returned: success
  type: float
  sample: 0.0
"""

from ansible_collections.raftops.cluster.plugins.module_utils._module import ModuleError, new_module, run
from ansible_collections.raftops.cluster.plugins.module_utils._raft import read_health
from ansible_collections.raftops.cluster.plugins.module_utils._wait import wait_for


def shape(status, report, waited):
    return {
        "healthy": bool(report.get("Healthy")),
        "failure_tolerance": report.get("FailureTolerance", 0),
        "servers": report.get("Servers") or [],
        "leader": report.get("Leader") or "",
        "voters": report.get("Voters") or [],
        "status": status,
        "waited": waited,
    }


def unmet(report, wait_for_healthy, min_failure_tolerance):
    """What the report lacks, in words; an empty list when the conditions hold."""
    missing = []
    if wait_for_healthy and not report.get("Healthy"):
        sick = [
            server.get("Name") or server.get("ID")
            for server in report.get("Servers") or []
            if not server.get("Healthy")
        ]
        missing.append("the cluster is not healthy (unhealthy: %s)" % (", ".join(sick) or "no server reported"))
    tolerance = report.get("FailureTolerance", 0)
    if min_failure_tolerance is not None and tolerance < min_failure_tolerance:
        missing.append("the failure tolerance is %s, below %s" % (tolerance, min_failure_tolerance))
    return missing


def apply(module, client):
    wait_for_healthy = module.params["wait_for_healthy"]
    minimum = module.params["min_failure_tolerance"]
    timeout = module.params["wait_timeout"]
    if timeout < 0:
        raise ValueError("wait_timeout must be 0 or greater, got %s" % timeout)
    if minimum is not None and minimum < 0:
        raise ValueError("min_failure_tolerance must be 0 or greater, got %s" % minimum)
    if not wait_for_healthy and minimum is None:
        status, report = read_health(client)
        return shape(status, report, 0.0)

    def check():
        status, report = read_health(client)
        return not unmet(report, wait_for_healthy, minimum), (status, report)

    waited = wait_for(check, timeout)
    status, report = waited.value
    result = shape(status, report, waited.elapsed)
    if not waited.done:
        missing = unmet(report, wait_for_healthy, minimum)
        raise ModuleError("after %s s (%d reads): %s" % (waited.elapsed, waited.attempts, "; ".join(missing)), **result)
    return result


def main():
    module = new_module(
        {
            "wait_for_healthy": {"type": "bool", "default": False},
            "min_failure_tolerance": {"type": "int"},
            "wait_timeout": {"type": "int", "default": 60},
        },
        supports_check_mode=True,
    )
    run(module, apply)


if __name__ == "__main__":
    main()
