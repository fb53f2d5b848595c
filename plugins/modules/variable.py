#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: variable
short_description: Manage a Nomad variable with check-and-set
version_added: 0.1.0
description:
  - Creates, updates or deletes the variable at O(path) in O(namespace) through C(/v1/var/:path).
  - With O(state=present) the variable must hold exactly O(items), no more and no fewer. The module reads it
    (C(GET)), and when the items differ writes them with C(?cas=<ModifyIndex>) (C(?cas=0) when the variable does not
    exist yet). A write or delete answered with HTTP 409 (another writer got there first) is read, compared and
    sent again, up to O(cas_retries) times; with O(cas_index), nothing is retried.
  - O(items) are secrets in Nomad. The module never returns their values or shows them in a diff, and Ansible hides
    them wherever they would appear in the output (O(items) is a C(no_log) option).
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
      - Check mode reads the variable and predicts the change without writing. O(path), O(namespace) and O(items)
        are checked against Nomad's rules before anything is sent.
  diff_mode:
    support: full
    details:
      - The diff shows the namespace, the path and the item B(keys). Item values are replaced by C(<hidden>), and
        by C(<hidden, changed>) where a value changes.
  idempotent:
    support: full
options:
  path:
    description:
      - The variable's path, for example V(app/db). Letters, digits, C(-), C(_), C(~) and C(/), at most 128
        characters. Under the top-level C(nomad) directory only C(nomad/jobs...), C(nomad/sentinel...) and
        C(nomad/job-templates/<name>) are allowed.
    type: str
    required: true
  namespace:
    description: The variable's namespace.
    type: str
    default: default
  items:
    description:
      - The keys and values the variable must hold, all strings. Integers are accepted and sent as strings; other
        types (booleans, lists, dicts) are refused, so quote values such as V("true").
      - Keys and values together may hold at most 64 KiB.
      - Required with O(state=present).
    type: dict
  state:
    description: Whether the variable must exist with O(items) or not exist.
    type: str
    choices: [present, absent]
    default: present
notes:
  - The token needs the variables capabilities C(read) and C(write) (for O(state=absent), C(read) and C(destroy)) on the
    namespace and path when ACLs are enabled.
  - Because O(items) is a C(no_log) option, Ansible also masks any other text in the task output that contains an item
    value, for example a path that contains one. Avoid short, common values in items.
  - To read item values, use C(ansible.builtin.uri) on C(/v1/var/:path) with C(no_log=true).
seealso:
  - name: Nomad Variables API
    description: The endpoints this module reads and writes.
    link: https://developer.hashicorp.com/nomad/api-docs/variables/variables
"""

EXAMPLES = r"""
- name: Store database credentials for the app
  raftops.cluster.variable:
    url: https://raft1.example.com:4646
    token: "{{ raftops_app_token }}"
    path: app/db
    items:
      user: app
      password: "{{ vault_db_password }}"

- name: Update only if nobody changed the variable since it was read
  raftops.cluster.variable:
    path: app/db
    namespace: prod
    items:
      user: app
      password: "{{ new_db_password }}"
    cas_index: "{{ previous.variable.ModifyIndex }}"

- name: Delete the variable
  raftops.cluster.variable:
    path: app/db
    state: absent
"""

RETURN = r"""
variable:
  description:
    - The variable's metadata after the module ran, without its items. Empty when it does not exist.
    - In check mode, the current metadata (only C(Namespace) and C(Path) for a variable that would be created).
  returned: success
  type: dict
  sample:
    Namespace: default
    Path: app/db
    CreateIndex: 20
    CreateTime: 1795476997027521766
    ModifyIndex: 21
    ModifyTime: 1795476997237208774
item_keys:
  description: The sorted keys of the variable's items after the module ran (in check mode, the predicted keys).
  returned: success
  type: list
  elements: str
  sample:
    - password
    - user
"""

import re

from ansible_collections.raftops.cluster.plugins.module_utils._cas import Plan, Snapshot, WriteResult, reconcile
from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsAPIError, quote_segment
from ansible_collections.raftops.cluster.plugins.module_utils._config_object import cas_argument_spec
from ansible_collections.raftops.cluster.plugins.module_utils._diff import make_diff
from ansible_collections.raftops.cluster.plugins.module_utils._module import new_module, run

MAX_SIZE = 65536
METADATA = ("Namespace", "Path", "CreateIndex", "CreateTime", "ModifyIndex", "ModifyTime")
HIDDEN = "<hidden>"
HIDDEN_CHANGED = "<hidden, changed>"
_VALID_PATH = re.compile(r"^[a-zA-Z0-9\-_~/]{1,128}$")
_VALID_NAMESPACE = re.compile(r"^[a-zA-Z0-9-]{1,128}$")


def path_error(path):
    """Nomad's rule for variable paths, as a message; None when the path is valid."""
    if not _VALID_PATH.match(path or ""):
        return "invalid path %r: use 1 to 128 letters, digits, '-', '_', '~' or '/'" % (path,)
    parts = path.split("/")
    if parts[0] != "nomad":
        return None
    if len(parts) > 1 and parts[1] in ("jobs", "sentinel"):
        return None
    if len(parts) == 3 and parts[1] == "job-templates":
        return None
    return (
        'invalid path %r: under the reserved top-level directory "nomad" only nomad/jobs..., '
        "nomad/sentinel... and nomad/job-templates/<name> are allowed" % (path,)
    )


def check_items(items):
    """The items as a dict of strings; ValueError for an empty dict, a non-string value or more than 64 KiB."""
    if not isinstance(items, dict) or not items:
        raise ValueError("items must be a non-empty dict of strings")
    out = {}
    for key, value in items.items():
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            # The value itself is a secret: name the key and the type only.
            raise ValueError("items[%r] must be a string, got a %s; quote it" % (key, type(value).__name__))
        out[str(key)] = str(value)
    size = sum(len(key.encode("utf-8")) + len(value.encode("utf-8")) for key, value in out.items())
    if size > MAX_SIZE:
        raise ValueError("items hold %d bytes; variables are limited to 64 KiB (65536 bytes) of keys and values" % size)
    return out


def masked_items(items, other=None):
    """Item keys with hidden values; against ``other`` (the before state), changed values are marked."""
    masked = {}
    for key, value in (items or {}).items():
        changed = other is not None and key in other and other[key] != value
        masked[key] = HIDDEN_CHANGED if changed else HIDDEN
    return masked


def diff_view(variable, before_items=None):
    if variable is None:
        return {}
    return {
        "Namespace": variable.get("Namespace"),
        "Path": variable.get("Path"),
        "Items": masked_items(variable.get("Items"), before_items),
    }


class VariableAPI(object):
    def __init__(self, client, namespace, path):
        self.client = client
        self.namespace = namespace
        self.path = path
        self.url = "/v1/var/" + "/".join(quote_segment(part) for part in path.split("/"))

    def read(self):
        try:
            data = self.client.get(self.url, query={"namespace": self.namespace}, retry=True).data
        except RaftopsAPIError as exc:
            if exc.status == 404:
                return Snapshot(None, 0)
            raise
        if not isinstance(data, dict) or "ModifyIndex" not in data:
            raise ValueError("unexpected answer to GET %s: %r" % (self.url, data))
        return Snapshot(data, data["ModifyIndex"])

    def write(self, after, index):
        query = {"namespace": self.namespace, "cas": index}
        if after is None:
            response = self.client.delete(self.url, query=query, retry=True, accept_status=(409,))
        else:
            response = self.client.put(self.url, query=query, body=after, retry=True, accept_status=(409,))
        data = response.data if isinstance(response.data, dict) else {}
        if response.status == 409:
            return WriteResult(False, data.get("ModifyIndex"))
        return WriteResult(True, data.get("ModifyIndex"), data or None)


def apply(module, client):
    params = module.params
    namespace, path, state = params["namespace"], params["path"], params["state"]
    if not _VALID_NAMESPACE.match(namespace or ""):
        raise ValueError("invalid namespace %r: use 1 to 128 letters, digits or '-'" % (namespace,))
    error = path_error(path)
    if error:
        raise ValueError(error)
    wanted = check_items(params["items"]) if state == "present" else None
    api = VariableAPI(client, namespace, path)

    def plan(current):
        if wanted is None:
            return Plan(current is not None, None, ["Items"] if current is not None else [])
        current_items = (current or {}).get("Items") or {}
        after = {"Namespace": namespace, "Path": path, "Items": wanted}
        if current is None:
            return Plan(True, after, ["Items"])
        differing = sorted(set(current_items) ^ set(wanted)) + sorted(
            key for key in set(current_items) & set(wanted) if current_items[key] != wanted[key]
        )
        return Plan(bool(differing), after, ["Items." + key for key in sorted(differing)])

    outcome = reconcile(
        api.read,
        plan,
        api.write,
        check_mode=module.check_mode,
        cas_index=params["cas_index"],
        cas_retries=params["cas_retries"],
        warn=module.warn,
        what="variable %s in namespace %s" % (path, namespace),
    )
    before = outcome.before
    if not outcome.changed:
        final = before
    elif outcome.write is not None:
        final = outcome.write.value if outcome.after is not None else None
    else:
        final = before if before is not None else {"Namespace": namespace, "Path": path}
    result = {
        "changed": outcome.changed,
        "variable": dict((key, final[key]) for key in METADATA if key in final) if final else {},
        "item_keys": sorted((outcome.after or {}).get("Items") or {}) if state == "present" else [],
    }
    if module._diff:
        before_items = (before or {}).get("Items")
        result["diff"] = make_diff(diff_view(before), diff_view(outcome.after, before_items))
    return result


def main():
    spec = {
        "path": {"type": "str", "required": True},
        "namespace": {"type": "str", "default": "default"},
        "items": {"type": "dict", "no_log": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    }
    spec.update(cas_argument_spec())
    module = new_module(spec, required_if=[("state", "present", ("items",))], supports_check_mode=True)
    run(module, apply)


if __name__ == "__main__":
    main()
