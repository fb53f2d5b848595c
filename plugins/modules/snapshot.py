#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: snapshot
short_description: Save a snapshot of the cluster's state to a file, or restore one
version_added: 0.1.0
description:
  - With O(state=saved), takes a point-in-time snapshot (C(GET /v1/operator/snapshot)) and writes it to O(path) on
    the host that runs the module. The archive streams into a temporary file in the same directory, is checked
    against the server's C(Digest) header and its length as it arrives, verified offline (every hash, the metadata,
    the whole state), synced to disk and only then renamed onto O(path), so O(path) never holds a partial archive.
  - With O(state=restored), verifies the archive at O(path) offline first, then replaces the whole state of the
    cluster with it (C(PUT /v1/operator/snapshot), with a C(Digest) header). The server verifies it again and
    swaps the state atomically. Because this is destructive, a cluster that holds data needs O(force=true).
author:
  - raftops maintainers (@raftops)
extends_documentation_fragment:
  - raftops.cluster._connection
  - raftops.cluster._attributes
  - raftops.cluster._attributes.actiongroup_raftops
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    details:
      - O(state=saved) downloads nothing in check mode and reports a change (unless O(overwrite=false) and O(path)
        exists).
      - O(state=restored) sends nothing in check mode; it verifies the archive offline, checks the O(force) rule
        against the cluster and reports a change.
  diff_mode:
    support: none
  idempotent:
    support: none
    details:
      - Every save takes a new snapshot (unless O(overwrite=false) finds O(path) already there), and every restore
        replaces the state, so both always report a change.
options:
  state:
    description: Whether to save a snapshot to O(path) or restore the cluster from O(path).
    type: str
    choices: [saved, restored]
    default: saved
  path:
    description:
      - The archive file on the host that runs the module. Its directory must exist.
    type: path
    required: true
  overwrite:
    description:
      - With O(state=saved), whether an existing O(path) is replaced by a new snapshot.
      - When V(false) and O(path) exists, nothing is downloaded and the module reports no change, after verifying
        the existing archive (a damaged one is an error) - a C(creates)-style guard.
    type: bool
    default: true
  stale:
    description:
      - With O(state=saved), read the answering server's copy of the state without a leader (C(?stale)), for a
        cluster that has lost quorum. The archive records that it is stale.
    type: bool
    default: false
  force:
    description:
      - With O(state=restored), restore even though the cluster holds data, replacing all of it.
      - The cluster holds data when its state revision (C(GET /v1/raftops/state)) is not 0, that is when anything
        has been written to its state since it was created (an ACL bootstrap, a variable, a configuration, a policy,
        an earlier restore). A freshly created cluster has revision 0.
      - Against a server without C(/v1/raftops/state) (Nomad), the module cannot tell and requires O(force=true).
    type: bool
    default: false
  snapshot_timeout:
    description:
      - Seconds to wait for each read and write of the snapshot transfer, instead of O(timeout). The server builds a
        whole archive before it sends the first byte, and verifies and writes a whole restore before it answers, so
        both can take longer than a plain request on a large state.
    type: int
    default: 300
notes:
  - With O(state=saved), the archive gets the permissions O(mode) when set, else V(0600), because it holds every ACL
    token (as hashes), every policy and every variable in clear text. The other file options apply to it too.
  - The token must be a C(management) token when ACLs are enabled (C(operator:read) for the O(force) check).
  - The archive streams to disk, so the module's memory does not grow with the size of the state.
  - After a restore every restored object has new, higher indexes; a check-and-set based on an index read before
    the restore fails and re-reads, as it should.
seealso:
  - module: raftops.cluster.snapshot_info
  - module: raftops.cluster.backup
  - name: Nomad snapshot API
    description: The endpoints this module speaks.
    link: https://developer.hashicorp.com/nomad/api-docs/operator/snapshot
"""

EXAMPLES = r"""
- name: Save a snapshot on the controller
  raftops.cluster.snapshot:
    url: https://raft1.example.com:4646
    token: "{{ raftops_management_token }}"
    path: "/var/backups/raftops/{{ ansible_date_time.date }}.snap"
  delegate_to: localhost
  register: saved

- name: Take the snapshot only once a day
  raftops.cluster.snapshot:
    path: "/var/backups/raftops/{{ ansible_date_time.date }}.snap"
    overwrite: false

- name: Restore a cluster from it (replaces all of its state)
  raftops.cluster.snapshot:
    state: restored
    path: "{{ saved.path }}"
    force: true
"""

RETURN = r"""
path:
  description: The archive saved or restored.
  returned: success
  type: str
  sample: /var/backups/raftops/2026-11-24.snap
size:
  description: The archive's size in bytes. Not returned when a check-mode save downloads nothing.
  returned: success
  type: int
  sample: 1711
sha256:
  description: The SHA-256 of the archive, in hex (the C(Digest) header's hash). Not returned by a check-mode save.
  returned: success
  type: str
  sample: 5f5c312d97549c55f51fd8eed042eb190f4cb5de42142d32b5c7238c5f054aa2
format:
  description:
    - V(raftops) for a raftops archive, V(nomad) for a Nomad server's (whose state the module cannot read, so only
      its container, hashes and metadata version are verified offline). Not returned by a check-mode save.
  returned: success
  type: str
  sample: raftops
summary:
  description:
    - What the archive holds (see M(raftops.cluster.snapshot_info)), that is its ID, index, term, revisions, cluster ID,
      creation time, versions, members. Not returned by a check-mode save.
  returned: success
  type: dict
  sample:
    id: 2-374-1795480486847
    state_revision: 15
    created_at: "2026-11-24T00:34:46Z"
item_count:
  description: The number of records in the archive's state (null for a Nomad archive). Not returned by a check-mode
    save.
  returned: success
  type: int
  sample: 7
cluster_before:
  description:
    - With O(state=restored), the cluster's C(GET /v1/raftops/state) before the restore (C(Revision), C(Generation),
      versions); empty against a server without it.
  returned: when state=restored
  type: dict
  sample:
    Revision: 42
    Generation: "1"
    EtcdVersion: 3.4.23
    RaftopsVersion: 0.1.0
cluster_after:
  description:
    - With O(state=restored), the same after the restore; a restore moves the state to a new C(Generation). Empty in
      check mode, and when the token used does not exist in the restored ACL state (the module then warns).
  returned: when state=restored
  type: dict
  sample:
    Revision: 57
    Generation: "2"
    EtcdVersion: 3.4.23
    RaftopsVersion: 0.1.0
"""

import os

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.raftops.cluster.plugins.module_utils._archive import ArchiveError, inspect_file, summary
from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsAPIError
from ansible_collections.raftops.cluster.plugins.module_utils._module import ModuleError, new_module, run
from ansible_collections.raftops.cluster.plugins.module_utils._sidecar import STATE_PATH, read_cluster_state
from ansible_collections.raftops.cluster.plugins.module_utils._stream import (
    StreamingTransport,
    fsync_directory,
    remove_quietly,
)

SNAPSHOT_PATH = "/v1/operator/snapshot"
DEFAULT_MODE = "0600"


def archive_result(path, info):
    return {
        "path": path,
        "format": info["format"],
        "size": info["size"],
        "sha256": info["sha256"],
        "summary": summary(info),
        "item_count": info["items"],
    }


def verified(path):
    try:
        return inspect_file(path, allow_nomad=True)
    except ArchiveError as exc:
        raise ModuleError("%s is not a valid snapshot archive: %s" % (path, to_native(exc)), path=path) from None
    except OSError as exc:
        raise ModuleError("cannot read %s: %s" % (path, to_native(exc)), path=path) from None


def restore_refusal(state, force):
    """Why a restore must not go ahead without force, or None."""
    if force:
        return None
    if state is None:
        return (
            "the server has no %s, so the module cannot tell whether the cluster holds data; set force=true to "
            "replace whatever it holds" % STATE_PATH
        )
    if state.get("Revision"):
        return (
            "the cluster holds data (state revision %s, generation %s): a restore replaces all of it; set "
            "force=true to go ahead" % (state.get("Revision"), state.get("Generation"))
        )
    return None


def save(module, client):
    params = module.params
    path = params["path"]
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ValueError("path %s is a directory; name the archive file" % path)
    if not os.path.isdir(directory):
        raise ValueError("the directory of path %s does not exist" % path)
    if os.path.exists(path) and not params["overwrite"]:
        result = archive_result(path, verified(path))
        result["changed"] = module.set_fs_attributes_if_different(file_arguments(module, path), False)
        return result
    if module.check_mode:
        return {"changed": True, "path": path}
    transport = StreamingTransport(client, warn=module.warn, timeout=params["snapshot_timeout"])
    download = transport.download(
        SNAPSHOT_PATH,
        directory,
        "." + os.path.basename(path) + ".",
        query={"stale": "true"} if params["stale"] else None,
    )
    try:
        info = verified(download.temp_path)
        module.set_fs_attributes_if_different(file_arguments(module, download.temp_path), False)
        os.rename(download.temp_path, path)
    except BaseException:
        remove_quietly(download.temp_path)
        raise
    fsync_directory(directory)
    result = archive_result(path, info)
    result["changed"] = True
    return result


def file_arguments(module, path):
    arguments = module.load_file_common_arguments(module.params, path=path)
    if arguments.get("mode") is None:
        arguments["mode"] = DEFAULT_MODE
    return arguments


def restore(module, client):
    params = module.params
    path = params["path"]
    info = verified(path)
    before = read_cluster_state(client, missing_ok=True)
    refusal = restore_refusal(before, params["force"])
    if refusal:
        raise ModuleError("not restoring %s: %s" % (path, refusal), path=path, cluster_before=before or {})
    result = archive_result(path, info)
    result.update(changed=True, cluster_before=before or {}, cluster_after={})
    if module.check_mode:
        return result
    transport = StreamingTransport(client, warn=module.warn, timeout=params["snapshot_timeout"])
    transport.upload("PUT", SNAPSHOT_PATH, path, info["digest"])
    if before is not None:
        try:
            result["cluster_after"] = read_cluster_state(client, missing_ok=True) or {}
        except RaftopsAPIError as exc:
            if exc.status != 403:
                raise
            # The restore replaced the ACL tokens too: the token that sent it may not exist in the restored state.
            module.warn(
                "the snapshot was restored, but the token used is not valid in the restored state (HTTP 403 on "
                "GET %s): use a management token of the snapshot's ACL state from now on" % STATE_PATH
            )
    return result


def apply(module, client):
    if module.params["snapshot_timeout"] <= 0:
        raise ValueError("snapshot_timeout must be greater than 0, got %s" % module.params["snapshot_timeout"])
    if module.params["state"] == "restored":
        return restore(module, client)
    return save(module, client)


def main():
    spec = {
        "state": {"type": "str", "choices": ["saved", "restored"], "default": "saved"},
        "path": {"type": "path", "required": True},
        "overwrite": {"type": "bool", "default": True},
        "stale": {"type": "bool", "default": False},
        "force": {"type": "bool", "default": False},
        "snapshot_timeout": {"type": "int", "default": 300},
    }
    module = new_module(spec, supports_check_mode=True, add_file_common_args=True)
    run(module, apply)


if __name__ == "__main__":
    main()
