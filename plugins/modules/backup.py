#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: backup
short_description: Make the backup sidecar back up the cluster now
version_added: 0.1.0
description:
  - Asks the backup sidecar (C(raftops backup-sidecar)) for a backup now (C(GET /v1/backupnow)). The sidecar takes one
    only when the cluster's state changed since its latest backup; otherwise it answers the latest backup's status.
  - The module reads the latest backup first (C(HEAD /v1/backup)) and reports a change when the backup the sidecar
    answers has another revision, that is when a new backup now exists.
  - In check mode, the module asks nothing of the sidecar but the latest backup, reads the cluster's state revision
    (C(GET /v1/raftops/state) through the connection options) and applies the sidecar's rule; a backup is taken when
    there is none or the revision moved.
author:
  - raftops maintainers (@raftops)
extends_documentation_fragment:
  - raftops.cluster._connection
  - raftops.cluster._sidecar
  - raftops.cluster._attributes
  - raftops.cluster._attributes.actiongroup_raftops
attributes:
  check_mode:
    support: full
    details:
      - Check mode compares the cluster's state revision with the latest backup's; the connection options must
        reach the cluster (C(operator:read)). Outside check mode the cluster is not contacted.
  diff_mode:
    support: full
    details:
      - The diff shows the latest backup's revision and etcd version before, and after it C(revision=new) when a new
        backup is (or would be) taken. The new backup's revision is in RV(backup) rather than the diff, so that
        check mode predicts the diff exactly even when earlier tasks of the play change the state.
  idempotent:
    support: full
    details:
      - A second run finds the state unchanged and takes no backup, unless the cluster's state changed in between.
options:
  backup_timeout:
    description:
      - Seconds to wait for the sidecar to take the backup (the sidecar itself gives up after 10 minutes and
        answers HTTP 408).
    type: int
    default: 600
notes:
  - The sidecar takes backups one at a time in one loop; if its periodic backup runs between the module's read and
    its request, the module reports the backup the sidecar made as the new one.
seealso:
  - module: raftops.cluster.backup_info
  - module: raftops.cluster.snapshot
"""

EXAMPLES = r"""
- name: Back up before an upgrade (on the sidecar's host; the sidecar checks the management token with the cluster)
  raftops.cluster.backup:
    sidecar_url: https://127.0.0.1:19999
    ca_path: /etc/raftops/tls/ca.pem
    token: "{{ raftops_management_token }}"
  register: backup

- name: Show it
  ansible.builtin.debug:
    msg: "backup of state revision {{ backup.backup.revision }} ({{ backup.backup.size }} MB)"

- name: Would a backup be taken? (reads the cluster's state revision)
  raftops.cluster.backup:
    url: https://raft1.example.com:4646
    sidecar_url: https://127.0.0.1:19999
    ca_path: /etc/raftops/tls/ca.pem
    token: "{{ raftops_management_token }}"
  check_mode: true

- name: Back up while the cluster cannot check a token, with the sidecar's own client certificate (as root)
  raftops.cluster.backup:
    sidecar_url: https://127.0.0.1:19999
    sidecar_token: ""
    ca_path: /etc/raftops-backup/tls/ca.pem
    client_cert: /etc/raftops-backup/tls/sidecar.pem
    client_key: /etc/raftops-backup/tls/sidecar-key.pem
  become: true
"""

RETURN = r"""
backup:
  description:
    - The sidecar's answer (etcd-operator's C(BackupStatus)) for the latest backup after the module ran - the new one,
      or the previous one when nothing changed. In check mode, the latest backup before, as C(/v1/status) does not
      say; empty when there is none.
  returned: success
  type: dict
  sample:
    creationTime: "2026-11-23T23:49:13Z"
    size: 0.001
    revision: 24
    version: 3.4.23
    timeTookInSecond: 1
latest_before:
  description: The latest backup in storage before the module ran (see M(raftops.cluster.backup_info)); empty when none.
  returned: success
  type: dict
  sample:
    revision: 13
    etcd_version: 3.4.23
    raftops_version: 0.1.0
    size: 1171
cluster:
  description: In check mode, the cluster's C(GET /v1/raftops/state) the prediction is based on.
  returned: in check mode
  type: dict
  sample:
    Revision: 24
    Generation: "1"
    EtcdVersion: 3.4.23
    RaftopsVersion: 0.1.0
"""

from ansible_collections.raftops.cluster.plugins.module_utils._diff import make_diff
from ansible_collections.raftops.cluster.plugins.module_utils._module import ModuleError, new_module, run
from ansible_collections.raftops.cluster.plugins.module_utils._sidecar import (
    DEFAULT_BACKUP_TIMEOUT,
    backup_now,
    predict,
    read_cluster_state,
    read_latest,
    sidecar_argument_spec,
    sidecar_client,
)

# The diff's revision of a backup taken by this run: its number depends on what earlier tasks of the play wrote,
# which check mode cannot know; RV(backup) carries it.
NEW_BACKUP = "new"


def backup_view(revision, etcd_version):
    if revision is None:
        return {}
    return {"revision": revision, "etcd_version": etcd_version}


def new_backup_view(etcd_version):
    return {"revision": NEW_BACKUP, "etcd_version": etcd_version}


def apply(module, client):
    params = module.params
    if params["backup_timeout"] <= 0:
        raise ValueError("backup_timeout must be greater than 0, got %s" % params["backup_timeout"])
    sidecar = sidecar_client(params, warn=module.warn)
    latest = read_latest(sidecar)
    before = backup_view((latest or {}).get("revision"), (latest or {}).get("etcd_version"))
    result = {"latest_before": latest or {}}
    if module.check_mode:
        cluster = read_cluster_state(client)
        changed, refusal = predict(latest, cluster)
        if refusal:
            raise ModuleError(refusal, cluster=cluster, latest_before=latest or {})
        after = new_backup_view(cluster["EtcdVersion"]) if changed else before
        result.update(changed=changed, cluster=cluster, backup={})
    else:
        status = backup_now(sidecar_client(params, warn=module.warn, timeout=params["backup_timeout"]))
        taken = backup_view(status.get("revision"), status.get("version"))
        changed = taken != before
        after = new_backup_view(status.get("version")) if changed else before
        result.update(changed=changed, backup=status)
    if module._diff:
        result["diff"] = make_diff(before, after)
    return result


def main():
    spec = sidecar_argument_spec()
    spec["backup_timeout"] = {"type": "int", "default": DEFAULT_BACKUP_TIMEOUT}
    module = new_module(spec, supports_check_mode=True)
    run(module, apply)


if __name__ == "__main__":
    main()
