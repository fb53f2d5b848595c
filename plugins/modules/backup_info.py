#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: backup_info
short_description: Read the backup sidecar's status and its latest backup
version_added: 0.1.0
description:
  - Reads the backup sidecar (C(raftops backup-sidecar), etcd-operator's backup service API), its status
    (C(GET /v1/status)) and the latest backup in its storage (C(HEAD /v1/backup)).
  - The sidecar has no endpoint that lists its backups, so the module reports how many there are and their total
    size, and names the latest one (state revision, etcd and raftops versions, size), not each of them.
  - With O(compare_cluster=true), it also reads the cluster's state revision (C(GET /v1/raftops/state) through the
    connection options) and tells whether the latest backup holds the current state.
author:
  - raftops maintainers (@raftops)
extends_documentation_fragment:
  - raftops.cluster._connection
  - raftops.cluster._sidecar
  - raftops.cluster._attributes
  - raftops.cluster._attributes.info_module
  - raftops.cluster._attributes.actiongroup_raftops
options:
  etcd_version:
    description:
      - Also ask the sidecar whether the latest backup can seed an etcd of this version (C(X.Y.Z)); see
        RV(compatible).
    type: str
  compare_cluster:
    description:
      - Also read the cluster's state revision and compare it with the latest backup's (RV(up_to_date)).
      - The connection options (O(url), O(token)) then name the cluster; the token needs C(operator:read).
    type: bool
    default: false
seealso:
  - module: raftops.cluster.backup
  - module: raftops.cluster.snapshot_info
"""

EXAMPLES = r"""
- name: Read the sidecar's status (operator:read is enough)
  raftops.cluster.backup_info:
    sidecar_url: https://127.0.0.1:19999
    ca_path: /etc/raftops/tls/ca.pem
    token: "{{ raftops_operator_token }}"
  register: backups

- name: Alert when the last attempt failed
  ansible.builtin.fail:
    msg: "backups are failing: {{ backups.status.lastError }}"
  when: backups.status.lastError is defined

- name: Is the latest backup current?
  raftops.cluster.backup_info:
    url: https://raft1.example.com:4646
    sidecar_url: https://127.0.0.1:19999
    ca_path: /etc/raftops/tls/ca.pem
    token: "{{ raftops_operator_token }}"
    compare_cluster: true
  register: current
"""

RETURN = r"""
status:
  description:
    - The sidecar's C(/v1/status), as it answers it. C(recentBackup) is the latest backup B(this sidecar process) made
      (absent before its first); C(backups) counts the backups in storage and C(backupSize) sums them (MB, 2^20
      bytes); C(lastError) and C(lastErrorTime) are present while the last attempt failed.
  returned: success
  type: dict
  sample:
    recentBackup:
      creationTime: "2026-11-23T23:49:11Z"
      size: 0.001
      revision: 13
      version: 3.4.23
      timeTookInSecond: 1
    backups: 1
    backupSize: 0.001
backups:
  description: How many backups the storage holds.
  returned: success
  type: int
  sample: 1
latest:
  description: The latest backup in storage (highest revision); empty when there is none.
  returned: success
  type: dict
  contains:
    revision:
      description: The cluster's state revision the backup holds.
      type: int
      sample: 24
    etcd_version:
      description: The etcd version the cluster ran (part of the backup's name).
      type: str
      sample: 3.4.23
    raftops_version:
      description: The raftops version that wrote the backup.
      type: str
      sample: 0.1.0
    size:
      description: The backup's size in bytes.
      type: int
      sample: 1224
compatible:
  description:
    - With O(etcd_version), whether the latest backup can seed an etcd of that version (null when there is no backup).
  returned: when etcd_version is set
  type: bool
  sample: true
compatibility_message:
  description: With O(etcd_version), the sidecar's reason when the backup is not compatible.
  returned: when etcd_version is set and the backup is not compatible
  type: str
  sample: requested version (3.2) is not compatible with the backup (3.4)
cluster:
  description: With O(compare_cluster=true), the cluster's C(GET /v1/raftops/state).
  returned: when compare_cluster=true
  type: dict
  sample:
    Revision: 24
    Generation: "1"
    EtcdVersion: 3.4.23
    RaftopsVersion: 0.1.0
up_to_date:
  description: With O(compare_cluster=true), whether the latest backup holds the cluster's current state revision.
  returned: when compare_cluster=true
  type: bool
  sample: true
"""

import re

from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsAPIError
from ansible_collections.raftops.cluster.plugins.module_utils._module import new_module, run
from ansible_collections.raftops.cluster.plugins.module_utils._sidecar import (
    read_cluster_state,
    read_latest,
    read_status,
    sidecar_argument_spec,
    sidecar_client,
)

_DOTTED_TRI = re.compile(r"^(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def major_minor(version):
    """``X.Y`` of a dotted-tri version (go-semver's rule, as the sidecar applies it); ValueError otherwise."""
    match = _DOTTED_TRI.match(version or "")
    if not match:
        raise ValueError("etcd_version %r is not in dotted-tri format (X.Y.Z)" % (version,))
    return "%s.%s" % (int(match.group(1)), int(match.group(2)))


def apply(module, client):
    params = module.params
    sidecar = sidecar_client(params, warn=module.warn)
    status = read_status(sidecar)
    latest = read_latest(sidecar)
    result = {"status": status, "backups": status.get("backups", 0), "latest": latest or {}}
    if params["etcd_version"]:
        requested = major_minor(params["etcd_version"])
        if latest is None:
            result["compatible"] = None
        else:
            try:
                read_latest(sidecar, params["etcd_version"])
                result["compatible"] = True
            except RaftopsAPIError as exc:
                # A HEAD answer has no body; with a well-formed version, a 400 is the compatibility refusal.
                if exc.status != 400:
                    raise
                result["compatible"] = False
                result["compatibility_message"] = "requested version (%s) is not compatible with the backup (%s)" % (
                    requested,
                    major_minor(latest.get("etcd_version") or "0.0.0"),
                )
    if params["compare_cluster"]:
        cluster = read_cluster_state(client)
        result["cluster"] = cluster
        result["up_to_date"] = latest is not None and latest.get("revision") == cluster["Revision"]
    return result


def main():
    spec = sidecar_argument_spec()
    spec.update(
        {
            "etcd_version": {"type": "str"},
            "compare_cluster": {"type": "bool", "default": False},
        }
    )
    module = new_module(spec, supports_check_mode=True)
    run(module, apply)


if __name__ == "__main__":
    main()
