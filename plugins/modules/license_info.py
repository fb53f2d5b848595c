#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: license_info
short_description: Read the cluster's license
version_added: 0.1.0
description:
  - Reads C(GET /v1/operator/license). No license installed (HTTP 204, what Nomad CE answers) is a result,
    RV(installed=false), not an error.
author:
  - raftops maintainers (@raftops)
extends_documentation_fragment:
  - raftops.cluster._connection
  - raftops.cluster._attributes
  - raftops.cluster._attributes.info_module
  - raftops.cluster._attributes.actiongroup_raftops
options: {}
notes:
  - The token needs the C(operator:read) capability, or the operator capability C(license-read), when ACLs are
    enabled.
seealso:
  - module: raftops.cluster.license
"""

EXAMPLES = r"""
- name: Read the license
  raftops.cluster.license_info:
    url: https://raft1.example.com:4646
    token: "{{ raftops_operator_token }}"
  register: license

- name: Warn a month before it expires
  ansible.builtin.debug:
    msg: "The license {{ license.license.LicenseID }} expires at {{ license.license.ExpirationTime }}"
  when: license.installed
"""

RETURN = r"""
installed:
  description: Whether a license is installed.
  returned: success
  type: bool
  sample: true
license:
  description: The installed license's fields (C(License)); empty when none is installed.
  returned: success
  type: dict
  sample:
    LicenseID: lic-2026-001
    CustomerID: acme
    InstallationID: "*"
    IssueTime: "2026-11-23T23:36:44.236972947Z"
    StartTime: "2026-11-23T23:36:44.236972947Z"
    ExpirationTime: "2027-11-23T23:36:44.236972947Z"
    TerminationTime: "2027-11-23T23:36:44.236972947Z"
    NonProduction: false
    Product: nomad
    Flags: {}
    Modules: []
    Features: [Automated Upgrades]
"""

from ansible_collections.raftops.cluster.plugins.module_utils._license import read_installed
from ansible_collections.raftops.cluster.plugins.module_utils._module import new_module, run


def apply(module, client):
    installed = read_installed(client)
    return {"installed": installed is not None, "license": installed or {}}


def main():
    module = new_module({}, supports_check_mode=True)
    run(module, apply)


if __name__ == "__main__":
    main()
