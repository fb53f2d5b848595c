#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: acl_policy
short_description: Manage an ACL policy
version_added: 0.1.0
description:
  - Creates, updates or deletes the ACL policy O(name) through C(/v1/acl/policy/:name).
  - The module reads the policy and writes it only when O(rules) or O(description) (when set) differ from what the
    server holds.
    O(rules) are compared as text, exactly as given.
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
      - Check mode reads the policy and predicts the change. The server checks O(rules) only when they are written,
        so check mode does not report rules the server would refuse.
  diff_mode:
    support: full
    details:
      - The diff shows the name, the description and the rules, before and after.
  idempotent:
    support: full
options:
  name:
    description: The policy's name (letters, digits and C(-), at most 128 characters).
    type: str
    required: true
  description:
    description:
      - The policy's description, at most 256 characters.
      - When left out, an existing policy keeps its description and a new one gets none.
    type: str
  rules:
    description:
      - The policy's rules, in HCL or JSON, as a string (C(Rules)). Required with O(state=present).
      - Compared with the stored rules as text, so a reformatted but equivalent policy counts as a change.
    type: str
  state:
    description: Whether the policy must exist with O(description) and O(rules), or not exist.
    type: str
    choices: [present, absent]
    default: present
notes:
  - The token needs the C(management) capability when ACLs are enabled.
  - Nomad has no check-and-set for policies; the last writer wins.
seealso:
  - module: raftops.cluster.acl_token
  - module: raftops.cluster.acl_bootstrap
  - name: Nomad ACL policies API
    description: The endpoints this module reads and writes.
    link: https://developer.hashicorp.com/nomad/api-docs/acl/policies
"""

EXAMPLES = r"""
- name: Operators may change the operator configuration and the app's variables
  raftops.cluster.acl_policy:
    url: https://raft1.example.com:4646
    token: "{{ raftops_management_token }}"
    name: ops
    description: Operators
    rules: |
      operator {
        policy = "write"
      }
      namespace "default" {
        variables {
          path "app/*" { capabilities = ["read", "write", "list", "destroy"] }
        }
      }

- name: Remove a policy
  raftops.cluster.acl_policy:
    name: legacy
    state: absent
"""

RETURN = r"""
policy:
  description:
    - The policy after the module ran (in check mode, the predicted one), without C(RulesJSON). Empty when it does not
      exist.
  returned: success
  type: dict
  sample:
    Name: ops
    Description: Operators
    Rules: "operator {\n  policy = \"write\"\n}\n"
    CreateIndex: 13
    ModifyIndex: 13
"""

from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsAPIError, quote_segment
from ansible_collections.raftops.cluster.plugins.module_utils._diff import make_diff
from ansible_collections.raftops.cluster.plugins.module_utils._module import new_module, run

MANAGED = ("Name", "Description", "Rules")


def view(policy):
    return dict((key, policy.get(key) or "") for key in MANAGED) if policy else {}


def read_policy(client, url):
    try:
        data = client.get(url, retry=True).data
    except RaftopsAPIError as exc:
        if exc.status == 404:
            return None
        raise
    if not isinstance(data, dict):
        raise ValueError("unexpected answer to GET %s: %r" % (url, data))
    return data


def apply(module, client):
    name, state = module.params["name"], module.params["state"]
    if not name:
        raise ValueError("name must not be empty")
    url = "/v1/acl/policy/" + quote_segment(name)
    current = read_policy(client, url)
    if state == "present":
        description = module.params["description"]
        if description is None:
            description = (current or {}).get("Description") or ""
        wanted = {"Name": name, "Description": description, "Rules": module.params["rules"]}
        changed = view(current) != wanted
    else:
        wanted = None
        changed = current is not None
    result = {"changed": changed}
    if module._diff:
        result["diff"] = make_diff(view(current), wanted)
    if not changed:
        final = current
    elif module.check_mode:
        final = dict(current or {}, **wanted) if wanted else current
    elif wanted is None:
        client.delete(url, retry=True)  # deleting a missing policy succeeds, so a repeat is harmless
        final = None
    else:
        client.put(url, body=wanted, retry=True)  # a plain upsert: repeating it writes the same policy
        final = read_policy(client, url)
    result["policy"] = dict((key, value) for key, value in (final or {}).items() if key != "RulesJSON")
    return result


def main():
    module = new_module(
        {
            "name": {"type": "str", "required": True},
            "description": {"type": "str"},
            "rules": {"type": "str"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        required_if=[("state", "present", ("rules",))],
        supports_check_mode=True,
    )
    run(module, apply)


if __name__ == "__main__":
    main()
