#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: snapshot_repository
short_description: Manage a snapshot repository for snapshot management (SM) policies
version_added: 0.1.0
description:
  - Defines, changes or removes the OpenSearch-style snapshot repository O(name) through C(/_snapshot/<name>), where
    SM policies (M(raftops.cluster.sm_policy)) keep their snapshots.
  - The module reads the definition and compares the O(type) and the B(whole) O(settings) with it (the server keeps
    settings as strings, so V(true) and V("true") are equal). When they differ it sends the new definition, which
    the server verifies by writing, reading and removing a probe file unless O(verify=false).
  - Removing a definition leaves the snapshots in the storage.
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
      - Check mode reads the definition and predicts the change without writing; it does not verify the storage.
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  name:
    description:
      - The repository's name. Without C(#), C(_all) or any of C(\ / * ? " < > | ,) and spaces.
    type: str
    required: true
  state:
    description: Whether the repository must be defined or not.
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - The storage. V(fs) is a directory on every agent host (or a shared mount); V(s3) an S3 bucket.
      - Required with O(state=present).
    type: str
    choices: [fs, s3]
  settings:
    description:
      - The storage's settings. V(fs) needs C(location), an absolute path (under the agents' C(sm.path_repo) when
        that is set). V(s3) needs C(bucket) and takes C(base_path), C(endpoint), C(region) and
        C(path_style_access).
      - S3 credentials never go here (they would be in every snapshot and in C(GET /_snapshot)); the agents take them
        from their C(sm.s3) configuration or the environment.
      - Values are strings, numbers or booleans.
    type: dict
    default: {}
  verify:
    description: Whether the server checks that every agent can write to the storage before it stores a new definition.
    type: bool
    default: true
notes:
  - The token must be a C(management) token when ACLs are enabled (C(operator:read) in check mode and when nothing
    changes), because a repository receives snapshots, which hold every ACL secret.
  - The API has no concurrency token for repositories; the last writer wins.
seealso:
  - module: raftops.cluster.sm_policy
"""

EXAMPLES = r"""
- name: Keep snapshots in a shared directory
  raftops.cluster.snapshot_repository:
    name: backups
    type: fs
    settings:
      location: /srv/raftops-snapshots

- name: Keep snapshots in S3-compatible storage
  raftops.cluster.snapshot_repository:
    name: offsite
    type: s3
    settings:
      bucket: raftops-backups
      base_path: prod
      endpoint: https://s3.example.net
      path_style_access: true

- name: Forget a repository (its snapshots stay in the storage)
  raftops.cluster.snapshot_repository:
    name: old
    state: absent
"""

RETURN = r"""
repository:
  description: The definition after the module ran (in check mode, the predicted one); empty when there is none.
  returned: success
  type: dict
  sample:
    type: fs
    settings:
      location: /srv/raftops-snapshots
differences:
  description: What differs (C(type), C(settings.<key>)); empty when nothing does.
  returned: success
  type: list
  elements: str
  sample:
    - settings.location
"""

from ansible_collections.raftops.cluster.plugins.module_utils._cas import Plan, Snapshot, WriteResult, reconcile
from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsAPIError, quote_segment
from ansible_collections.raftops.cluster.plugins.module_utils._diff import make_diff
from ansible_collections.raftops.cluster.plugins.module_utils._module import new_module, run
from ansible_collections.raftops.cluster.plugins.module_utils._opensearch import (
    check_repository_name,
    is_missing,
    settings_text,
)

BASE = "/_snapshot/"


class RepositoryAPI(object):
    def __init__(self, client, name, verify):
        self.client = client
        self.name = name
        self.verify = verify
        self.path = BASE + quote_segment(name)

    def read(self):
        try:
            data = self.client.get(self.path, retry=True).data
        except RaftopsAPIError as exc:
            if is_missing(exc, "repository_missing_exception"):
                return Snapshot(None, None)
            raise
        if not isinstance(data, dict) or not isinstance(data.get(self.name), dict):
            raise ValueError("unexpected answer to GET %s: %r" % (self.path, data))
        found = data[self.name]
        return Snapshot({"type": found.get("type"), "settings": found.get("settings") or {}}, None)

    def write(self, after, index):
        if after is None:
            response = self.client.delete(self.path, retry=True, accept_status=(404,))
            # 404: someone else removed it meanwhile; read again and decide anew.
            return WriteResult(response.status != 404)
        # Not retried: the server answers a definition it refuses (or a storage it cannot reach) with HTTP 500.
        self.client.put(self.path, query=None if self.verify else {"verify": "false"}, body=after)
        return WriteResult(True)


def apply(module, client):
    params = module.params
    name = check_repository_name(params["name"])
    wanted = None
    if params["state"] == "present":
        if not params["type"]:
            raise ValueError("type is required with state=present")
        wanted = {"type": params["type"], "settings": settings_text(params["settings"])}
    api = RepositoryAPI(client, name, params["verify"])

    def plan(current):
        if wanted is None:
            return Plan(current is not None, None, ["type", "settings"] if current is not None else [])
        found = []
        if current is None or current["type"] != wanted["type"]:
            found.append("type")
        current_settings = (current or {}).get("settings") or {}
        found.extend(
            "settings." + key
            for key in sorted(set(current_settings) | set(wanted["settings"]))
            if current_settings.get(key) != wanted["settings"].get(key)
        )
        return Plan(bool(found) or current is None, wanted, found)

    outcome = reconcile(
        api.read, plan, api.write, check_mode=module.check_mode, warn=module.warn, what="snapshot repository %s" % name
    )
    final = outcome.after if outcome.changed else outcome.before
    result = {
        "changed": outcome.changed,
        "repository": final or {},
        "differences": outcome.differences,
    }
    if module._diff:
        result["diff"] = make_diff(outcome.before, final)
    return result


def main():
    spec = {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "type": {"type": "str", "choices": ["fs", "s3"]},
        "settings": {"type": "dict", "default": {}},
        "verify": {"type": "bool", "default": True},
    }
    module = new_module(spec, required_if=[("state", "present", ("type",))], supports_check_mode=True)
    run(module, apply)


if __name__ == "__main__":
    main()
