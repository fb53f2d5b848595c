#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: snapshot_info
short_description: Inspect a raftops snapshot archive offline
version_added: 0.1.0
description:
  - Reads the snapshot archive at O(path) on the host that runs the module and verifies it the way the server does
    before a restore, without any server; it checks the gzip stream, the tar structure, every SHA-256 in C(SHA256SUMS),
    C(meta.json) and a full parse of C(state.bin), whose record count must match.
  - Returns the metadata, the sizes and hashes, and the number of records in the state. Like
    C(raftops operator snapshot inspect), it fails on an archive that does not verify, saying why.
  - Works on archives from M(raftops.cluster.snapshot), C(GET /v1/operator/snapshot), the backup sidecar and the
    snapshots SM policies keep in a repository (C(<name>.tar.gz)).
author:
  - raftops maintainers (@raftops)
extends_documentation_fragment:
  - raftops.cluster._connection
  - raftops.cluster._attributes
  - raftops.cluster._attributes.info_module
  - raftops.cluster._attributes.actiongroup_raftops
options:
  path:
    description: The archive on the host that runs the module.
    type: path
    required: true
notes:
  - The module never contacts a server. It accepts the connection options only so that C(module_defaults) for the
    C(group/raftops.cluster.raftops) action group apply to it without an error; they are not used.
  - Only raftops archives of the schema and state format this collection knows (schema 1, C(raftops-state) 1) are
    verified completely. A Nomad server's archive (same container, no C(Raftops) section in C(meta.json)) is
    verified as far as it can be without reading Nomad's state format.
seealso:
  - module: raftops.cluster.snapshot
"""

EXAMPLES = r"""
- name: Check last night's archive before relying on it
  raftops.cluster.snapshot_info:
    path: /var/backups/raftops/nightly.snap
  register: archive

- name: Show what it holds
  ansible.builtin.debug:
    msg: >-
      {{ archive.summary.id }} taken {{ archive.summary.created_at }} at state revision
      {{ archive.summary.state_revision }}: {{ archive.item_count }} records ({{ archive.item_counts }})
"""

RETURN = r"""
format:
  description:
    - V(raftops) for a raftops archive. V(nomad) for a Nomad server's archive, whose C(state.bin) the module cannot
      read; for it, only the container, the hashes and the metadata version are verified, RV(item_count) is null and
      RV(item_counts) empty.
  returned: success
  type: str
  sample: raftops
path:
  description: The archive read.
  returned: success
  type: str
  sample: /var/backups/raftops/nightly.snap
size:
  description: The archive's size in bytes.
  returned: success
  type: int
  sample: 1711
sha256:
  description: The SHA-256 of the archive file, in hex.
  returned: success
  type: str
  sample: 5f5c312d97549c55f51fd8eed042eb190f4cb5de42142d32b5c7238c5f054aa2
digest:
  description: The C(Digest) header value a server sends with this archive.
  returned: success
  type: str
  sample: sha-256=X1wxLZdUnFX1H9ju0ELrGQ9Mtd5CFC0ytccjjF8FSqI=
meta:
  description: The archive's C(meta.json), whose C(Raftops) object describes the raftops state.
  returned: success
  type: dict
  sample:
    Version: 1
    ID: 2-374-1795480486847
    Index: 374
    Term: 2
    Size: 1982
    Raftops:
      Revision: 15
      StateRevision: 15
      Generation: "1"
      ClusterID: 47feddcba298d62e
      Items: 7
summary:
  description: The fields C(raftops operator snapshot inspect) prints, flattened.
  returned: success
  type: dict
  sample:
    id: 2-374-1795480486847
    index: 374
    term: 2
    version: 1
    state_size: 1982
    revision: 15
    state_revision: 15
    generation: "1"
    cluster_id: 47feddcba298d62e
    created_at: "2026-11-24T00:34:46Z"
    raftops_version: 0.1.0
    etcd_version: 3.4.23
    schema_version: 1
    stale: false
    members:
      - server1@127.0.0.91:2380
members:
  description: The three tar members with their sizes and SHA-256 hashes, all verified.
  returned: success
  type: list
  elements: dict
  sample:
    - name: meta.json
      size: 1133
      sha256: 2f0051c3db8c56857c7c8ec3f174c3d81647502f335a9cc85ef29b1f401a18df
item_count:
  description: The number of records in the state (null for a Nomad archive).
  returned: success
  type: int
  sample: 7
item_counts:
  description: Records per top-level path segment of the state (C(acl), C(vars), C(operator), C(sm), ...).
  returned: success
  type: dict
  sample:
    acl: 3
    operator: 2
    sm: 2
"""

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.raftops.cluster.plugins.module_utils._archive import ArchiveError, inspect_file, summary
from ansible_collections.raftops.cluster.plugins.module_utils._module import new_module


def main():
    module = new_module({"path": {"type": "path", "required": True}}, supports_check_mode=True)
    path = module.params["path"]
    try:
        info = inspect_file(path, allow_nomad=True)
    except ArchiveError as exc:
        module.fail_json(msg="%s is not a valid snapshot archive: %s" % (path, to_native(exc)), path=path)
    except OSError as exc:
        module.fail_json(msg="cannot read %s: %s" % (path, to_native(exc)), path=path)
    info["summary"] = summary(info)
    info["item_count"] = info.pop("items")  # "items" would hide the dict method in Jinja (result.items)
    module.exit_json(changed=False, path=path, **info)


if __name__ == "__main__":
    main()
