#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sm_policy_info
short_description: Read snapshot management (SM) policies and what they are doing
version_added: 0.1.0
description:
  - Reads OpenSearch-style snapshot management policies in one of three ways, with one request each.
  - With O(name), reads that policy (C(GET /_plugins/_sm/policies/<name>)). A policy that does not exist is not an
    error; RV(policies) is then empty.
  - With O(explain), reports the executor's state of the policies named
    (C(GET /_plugins/_sm/policies/<names>/_explain)), that is the creation and deletion workflows, their current
    step, the last and next runs, retries and failures.
  - With neither, lists policies (C(GET /_plugins/_sm/policies)), filtered by O(query_string), sorted and paged.
author:
  - raftops maintainers (@raftops)
extends_documentation_fragment:
  - raftops.cluster._connection
  - raftops.cluster._attributes
  - raftops.cluster._attributes.info_module
  - raftops.cluster._attributes.actiongroup_raftops
options:
  name:
    description: The policy to read. Mutually exclusive with O(explain).
    type: str
  explain:
    description:
      - Names of the policies whose executor state to report; wildcards (V(*), V(?)) select several, V(*) all.
    type: list
    elements: str
  query_string:
    description:
      - When listing, which policies to list, an OpenSearch query string on the policy name (V(daily*),
        V(daily OR weekly), V(NOT test*)).
    type: str
    default: "*"
  from:
    description: When listing, how many policies to skip.
    type: int
    default: 0
  size:
    description: When listing, how many policies to return at most.
    type: int
    default: 20
  sort_field:
    description: When listing, the field to sort on, for example V(sm_policy.name) or V(sm_policy.last_updated_time).
    type: str
    default: sm_policy.name
  sort_order:
    description: When listing, the sort order.
    type: str
    choices: [asc, desc]
    default: asc
notes:
  - The token needs the C(operator:read) capability when ACLs are enabled.
seealso:
  - module: raftops.cluster.sm_policy
"""

EXAMPLES = r"""
- name: Read one policy, with the _seq_no and _primary_term a strict update needs
  raftops.cluster.sm_policy_info:
    name: nightly
  register: nightly

- name: List the daily policies, newest change first
  raftops.cluster.sm_policy_info:
    query_string: "daily*"
    sort_field: sm_policy.last_updated_time
    sort_order: desc
    size: 50
  register: daily

- name: What is every policy doing?
  raftops.cluster.sm_policy_info:
    explain: ["*"]
  register: explained

- name: Fail when a policy's last creation failed
  ansible.builtin.assert:
    that: item.creation.latest_execution.status | default('') != 'FAILED'
  loop: "{{ explained.explained }}"
  loop_control:
    label: "{{ item.name }}"
"""

RETURN = r"""
policies:
  description:
    - The policies read or listed, each as the API shows it (C(_id), C(_seq_no), C(_primary_term), C(sm_policy); a
      single policy read by O(name) also has C(_version)). Empty for O(explain).
  returned: success
  type: list
  elements: dict
  sample:
    - _id: nightly-sm-policy
      _version: 1
      _seq_no: 27
      _primary_term: 2
      sm_policy:
        name: nightly
        creation:
          schedule:
            cron:
              expression: "0 2 * * *"
              timezone: UTC
        snapshot_config:
          repository: backups
        enabled: true
total_policies:
  description: How many policies match (all of them, not only the page returned); 0 or 1 with O(name).
  returned: success
  type: int
  sample: 2
explained:
  description: With O(explain), the executor's state of each policy selected, as the C(_explain) API answers it.
  returned: success
  type: list
  elements: dict
  sample:
    - name: nightly
      creation:
        current_state: CREATION_START
        trigger:
          time: 1795479480000
      policy_seq_no: 27
      policy_primary_term: 2
      enabled: true
"""

from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsAPIError, quote_segment
from ansible_collections.raftops.cluster.plugins.module_utils._module import new_module, run
from ansible_collections.raftops.cluster.plugins.module_utils._opensearch import check_policy_name, is_missing

BASE = "/_plugins/_sm/policies"


def _answer(data, path, key):
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise ValueError("unexpected answer to GET %s: %r" % (path, data))
    return data


def explain_path(patterns):
    """The explain URL path for names and wildcards (each checked, then joined with commas)."""
    names = []
    for pattern in patterns:
        if not pattern or "," in pattern or "/" in pattern:
            raise ValueError("explain: %r is not a policy name or wildcard" % (pattern,))
        names.append(quote_segment(pattern).replace("%2A", "*"))
    return "%s/%s/_explain" % (BASE, ",".join(names))


def apply(module, client):
    params = module.params
    if params["name"] is not None:
        path = "%s/%s" % (BASE, quote_segment(check_policy_name(params["name"])))
        try:
            data = client.get(path, retry=True).data
        except RaftopsAPIError as exc:
            if is_missing(exc, "status_exception"):
                return {"policies": [], "total_policies": 0, "explained": []}
            raise
        if not isinstance(data, dict) or not isinstance(data.get("sm_policy"), dict):
            raise ValueError("unexpected answer to GET %s: %r" % (path, data))
        return {"policies": [data], "total_policies": 1, "explained": []}
    if params["explain"] is not None:
        if not params["explain"]:
            raise ValueError("explain must name at least one policy or wildcard")
        path = explain_path(params["explain"])
        data = _answer(client.get(path, retry=True).data, path, "policies")
        return {"policies": [], "total_policies": 0, "explained": data["policies"]}
    for option in ("from", "size"):
        if params[option] < 0:
            raise ValueError("%s must be 0 or greater, got %s" % (option, params[option]))
    query = {
        "from": params["from"],
        "size": params["size"],
        "sortField": params["sort_field"],
        "sortOrder": params["sort_order"],
        "queryString": params["query_string"],
    }
    data = _answer(client.get(BASE, query=query, retry=True).data, BASE, "policies")
    return {"policies": data["policies"], "total_policies": data.get("total_policies", 0), "explained": []}


def main():
    spec = {
        "name": {"type": "str"},
        "explain": {"type": "list", "elements": "str"},
        "query_string": {"type": "str", "default": "*"},
        "from": {"type": "int", "default": 0},
        "size": {"type": "int", "default": 20},
        "sort_field": {"type": "str", "default": "sm_policy.name"},
        "sort_order": {"type": "str", "choices": ["asc", "desc"], "default": "asc"},
    }
    module = new_module(spec, mutually_exclusive=[("name", "explain")], supports_check_mode=True)
    run(module, apply)


if __name__ == "__main__":
    main()
