# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this doc fragment is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The backup sidecar's address, for the modules that talk to it.
    # Keep in sync with SIDECAR_ARGSPEC in plugins/module_utils/_sidecar.py.
    DOCUMENTATION = r"""
options:
  sidecar_url:
    description:
      - Base URL of the backup sidecar's HTTP API (C(raftops backup-sidecar)), for example V(http://127.0.0.1:19999).
      - If not set, the value of the E(RAFTOPS_BACKUP_SIDECAR_ADDR) environment variable is used, then the default.
      - O(ca_path), O(client_cert), O(client_key), O(validate_certs), O(timeout) and O(retries) apply to it as to the
        agent. The sidecar's certificate comes from the cluster CA, so the cluster's O(ca_path) verifies it, and a
        client certificate from that CA (O(client_cert)) is a credential the sidecar accepts instead of a token.
    type: str
    default: http://127.0.0.1:19999
  sidecar_token:
    description:
      - ACL token sent to the sidecar in the C(X-Nomad-Token) header. The sidecar checks it with the cluster; a backup
        holds every secret, so C(/v1/backup) and C(/v1/backupnow) need a C(management) token (C(operator:read) is
        enough for C(/v1/status)).
      - If not set, the value of the E(RAFTOPS_BACKUP_SIDECAR_TOKEN) environment variable is used, then O(token).
        An empty string sends no token (use a client certificate then, for example when the cluster is down and
        cannot check a token).
    type: str
notes:
  - The sidecar serves every backup, which holds every ACL secret; it binds to 127.0.0.1 by default and
    authenticates every request (a token or a client certificate). Run these modules on the host of the sidecar,
    or bind it where the controller reaches it.
"""
