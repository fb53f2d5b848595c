#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: acl_token
short_description: Manage an ACL token
version_added: 0.1.0
description:
  - Creates, updates or deletes an ACL token through C(/v1/acl/token) and C(/v1/acl/token/:accessor_id).
  - The token is identified by O(accessor_id), or else by O(name), in which case the module finds its accessor by
    listing the tokens (C(GET /v1/acl/tokens)); the name must then belong to one token only.
  - The module compares only the options you set (O(name), O(type), O(policies) as a set, O(global)) and writes
    only when one differs.
  - The token's secret (C(SecretID)) is returned only by the run that creates the token. Store it then, and run the
    task with C(no_log=true).
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
      - Check mode reads the token and predicts the change. The server checks that the policies exist only when the
        token is written, so check mode does not report unknown policies.
  diff_mode:
    support: full
    details:
      - The diff shows the name, type, policies and global flag, before and after. It never contains the secret.
  idempotent:
    support: full
options:
  name:
    description:
      - The token's name. Identifies the token when O(accessor_id) is not set; required to create a token.
      - With O(accessor_id), the name the token must have.
    type: str
  accessor_id:
    description:
      - The accessor ID of an existing token. A token cannot be created under a chosen accessor ID; to create one,
        identify it by O(name).
    type: str
  type:
    description:
      - V(client) tokens get the capabilities of their O(policies); V(management) tokens may do everything and have
        no policies.
      - When left out, an existing token keeps its type and a new one is a V(client) token.
    type: str
    choices: [client, management]
  policies:
    description:
      - The names of the policies of a V(client) token, compared as a set (order does not matter).
      - When left out, an existing token keeps its policies.
    type: list
    elements: str
  global:
    description:
      - Whether the token is replicated to every region. Set when the token is created; it cannot change later, and
        the module fails when an existing token differs.
      - When left out, new tokens are not global.
    type: bool
  state:
    description: Whether the token must exist or not exist.
    type: str
    choices: [present, absent]
    default: present
notes:
  - The token used by the module (O(token)) needs the C(management) capability when ACLs are enabled.
  - raftops keeps only a hash of each secret, so a lost secret cannot be read back; delete the token and create it
    again.
seealso:
  - module: raftops.cluster.acl_policy
  - module: raftops.cluster.acl_bootstrap
  - name: Nomad ACL tokens API
    description: The endpoints this module reads and writes.
    link: https://developer.hashicorp.com/nomad/api-docs/acl/tokens
"""

EXAMPLES = r"""
- name: Create a token for the operators (the secret is returned once)
  raftops.cluster.acl_token:
    url: https://raft1.example.com:4646
    token: "{{ raftops_management_token }}"
    name: operators
    type: client
    policies: [ops]
  register: operators_token
  no_log: true

- name: Keep the secret on the controller
  ansible.builtin.copy:
    content: "{{ operators_token.token.SecretID }}"
    dest: "{{ playbook_dir }}/secrets/operators-token"
    mode: "0600"
  delegate_to: localhost
  no_log: true
  when: operators_token is changed

- name: Rename a token by its accessor ID
  raftops.cluster.acl_token:
    accessor_id: 9360d86a-450a-4d34-aee9-e760e115ec13
    name: operators-eu

- name: Delete the token
  raftops.cluster.acl_token:
    name: operators
    state: absent
"""

RETURN = r"""
token:
  description:
    - The token after the module ran (in check mode, the predicted token). Empty when it does not exist.
    - C(SecretID) is present only when the token was created by this run.
  returned: success
  type: dict
  sample:
    AccessorID: 9360d86a-450a-4d34-aee9-e760e115ec13
    SecretID: e8e5225a-9e10-4267-9120-1e968a961a07
    Name: operators
    Type: client
    Policies: [ops]
    Global: false
    CreateTime: "2026-11-23T23:36:18.443533189Z"
    CreateIndex: 14
    ModifyIndex: 14
"""

from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsAPIError, quote_segment
from ansible_collections.raftops.cluster.plugins.module_utils._diff import make_diff
from ansible_collections.raftops.cluster.plugins.module_utils._module import ModuleError, new_module, run

LIST_PATH = "/v1/acl/tokens"
CREATE_PATH = "/v1/acl/token"


def token_path(accessor):
    return "/v1/acl/token/" + quote_segment(accessor)


def view(token):
    """What the module manages, in a form that compares as the user means it (policies as a sorted set)."""
    if not token:
        return {}
    return {
        "Name": token.get("Name") or "",
        "Type": token.get("Type"),
        "Policies": sorted(set(token.get("Policies") or [])),
        "Global": bool(token.get("Global")),
    }


def without_secret(token):
    return dict((key, value) for key, value in (token or {}).items() if key != "SecretID")


def find_token(client, accessor_id, name):
    """The token (a list stub when found by name, the full token by accessor), or None."""
    if accessor_id:
        try:
            return client.get(token_path(accessor_id), retry=True).data
        except RaftopsAPIError as exc:
            if exc.status == 404:
                return None
            raise
    tokens = client.get(LIST_PATH, retry=True).data
    if not isinstance(tokens, list):
        raise ValueError("unexpected answer to GET %s" % LIST_PATH)
    matches = [token for token in tokens if isinstance(token, dict) and token.get("Name") == name]
    if len(matches) > 1:
        raise ModuleError(
            "%d tokens are named %r (accessor IDs %s); set accessor_id to choose one"
            % (len(matches), name, ", ".join(token.get("AccessorID") for token in matches)),
            accessor_ids=[token.get("AccessorID") for token in matches],
        )
    return matches[0] if matches else None


def wanted_view(params, current):
    """The managed fields the token must have: the options set, the current (or new-token) values for the rest."""
    base = view(current) or {"Name": params["name"], "Type": "client", "Policies": [], "Global": False}
    out = dict(base)
    if params["name"] is not None:
        out["Name"] = params["name"]
    if params["type"] is not None:
        out["Type"] = params["type"]
    if params["policies"] is not None:
        out["Policies"] = sorted(set(params["policies"]))
    elif out["Type"] == "management":
        out["Policies"] = []  # management tokens carry no policies; a client token's are dropped when it is promoted
    if params["global"] is not None:
        out["Global"] = params["global"]
    return out


def apply(module, client):
    params = module.params
    accessor_id, name, state = params["accessor_id"], params["name"], params["state"]
    current = find_token(client, accessor_id, name)
    if state == "absent":
        changed = current is not None
        result = {"changed": changed, "token": {} if changed else without_secret(current)}
        if module._diff:
            result["diff"] = make_diff(view(current), {})
        if changed and not module.check_mode:
            # Not retried: a repeat after a lost answer would fail on the token it just deleted.
            client.delete(token_path(current["AccessorID"]))
        return result

    if current is None and accessor_id:
        raise ModuleError(
            "no token has the accessor ID %s; a token cannot be created under a chosen accessor ID, "
            "identify it by name to create it" % accessor_id
        )
    wanted = wanted_view(params, current)
    if current is not None and wanted["Global"] != view(current)["Global"]:
        raise ModuleError(
            "token %s is %sglobal and cannot change that; delete it and create it again"
            % (current.get("AccessorID"), "" if view(current)["Global"] else "not "),
            token=without_secret(current),
        )
    changed = wanted != view(current)
    result = {"changed": changed}
    if module._diff:
        result["diff"] = make_diff(view(current), wanted)
    body = {"Name": wanted["Name"], "Type": wanted["Type"], "Policies": wanted["Policies"], "Global": wanted["Global"]}
    if not changed:
        result["token"] = without_secret(current)
    elif module.check_mode:
        result["token"] = dict(without_secret(current), **body)
    elif current is None:
        # Not retried: a repeat after a lost answer would create a second token.
        result["token"] = client.post(CREATE_PATH, body=body).data
    else:
        # The list shows a stub; the update must carry the stored expiry, which cannot change.
        full = client.get(token_path(current["AccessorID"]), retry=True).data
        body["AccessorID"] = current["AccessorID"]
        body["ExpirationTTL"] = full.get("ExpirationTTL") or ""
        body["ExpirationTime"] = full.get("ExpirationTime")
        answer = client.post(token_path(current["AccessorID"]), body=body, retry=True).data
        result["token"] = without_secret(answer)
    return result


def main():
    module = new_module(
        {
            "name": {"type": "str"},
            "accessor_id": {"type": "str"},
            "type": {"type": "str", "choices": ["client", "management"]},
            "policies": {"type": "list", "elements": "str"},
            "global": {"type": "bool"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        required_one_of=[("name", "accessor_id")],
        supports_check_mode=True,
    )
    run(module, apply)


if __name__ == "__main__":
    main()
