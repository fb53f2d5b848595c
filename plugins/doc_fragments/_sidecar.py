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
      - The sidecar has no ACLs, so O(token) is never sent to it. O(ca_path), O(client_cert), O(client_key),
        O(validate_certs), O(timeout) and O(retries) apply to it as to the agent.
    type: str
    default: http://127.0.0.1:19999
notes:
  - The sidecar serves every backup, which holds every ACL secret, to anyone who reaches its port; it binds to
    127.0.0.1 by default. Run these modules on the host of the sidecar, or reach it through a trusted network.
"""
