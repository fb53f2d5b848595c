#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: license
short_description: Install the cluster's license
version_added: 0.1.0
description:
  - Installs a license blob with C(PUT /v1/operator/license) unless it is the license already installed
    (C(GET /v1/operator/license)).
  - The module reads raftops license blobs (signed JSON) itself and compares their fields with the installed
    license. A blob it cannot read (a Nomad Enterprise license, for example) cannot be compared, so it is written on
    every run and the module reports a change each time.
  - The server checks the signature, the product and the validity period, and refuses a license older than the
    installed one unless O(force=true); nothing is written then.
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
      - Check mode reads the installed license and predicts the change. The signature is checked by the server only
        when the license is written, so check mode does not report a blob the server would refuse.
  diff_mode:
    support: full
    details:
      - The diff shows the license fields (ID, customer, times, features) before and after.
  idempotent:
    support: partial
    details:
      - Full for raftops license blobs. A blob the module cannot read is written on every run.
options:
  license:
    description:
      - The license blob, for example V("{{ lookup('ansible.builtin.file', 'acme.lic') }}"). Surrounding whitespace
        is ignored.
    type: str
    required: true
  force:
    description:
      - Install the license even when it was issued before the installed one (C(?force=true)).
    type: bool
    default: false
notes:
  - The token needs the C(operator:write) capability when ACLs are enabled (C(operator:read) in check mode).
  - The agents verify raftops licenses with the public key of their C(license_public_key) setting; an agent without
    it refuses the write with HTTP 501.
  - There is no way to remove a license through the API.
seealso:
  - module: raftops.cluster.license_info
  - name: Nomad operator license API
    description: The endpoints this module reads and writes.
    link: https://developer.hashicorp.com/nomad/api-docs/operator/license
"""

EXAMPLES = r"""
- name: Install the license shipped with the playbook
  raftops.cluster.license:
    url: https://raft1.example.com:4646
    token: "{{ raftops_operator_token }}"
    license: "{{ lookup('ansible.builtin.file', 'files/acme.lic') }}"

- name: Go back to an older license
  raftops.cluster.license:
    license: "{{ lookup('ansible.builtin.file', 'files/acme-2025.lic') }}"
    force: true
"""

RETURN = r"""
license:
  description:
    - The installed license after the module ran (in check mode, the predicted one when the blob is readable, else
      the installed one). Empty when none is installed.
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
    Flags:
      modules: [governance-policy]
    Modules: [governance-policy]
    Features: [Automated Upgrades, Preemption]
readable:
  description: Whether the module could read the blob's fields (and so compare it with the installed license).
  returned: success
  type: bool
  sample: true
"""

from ansible_collections.raftops.cluster.plugins.module_utils import _license
from ansible_collections.raftops.cluster.plugins.module_utils._diff import make_diff
from ansible_collections.raftops.cluster.plugins.module_utils._module import new_module, run

UNREADABLE = {"LicenseID": "<a blob the module cannot read>"}


def apply(module, client):
    blob = (module.params["license"] or "").strip()
    if not blob:
        raise ValueError("license must not be empty")
    wanted = _license.decode(blob)
    installed = _license.read_installed(client)
    changed = wanted is None or wanted != installed
    result = {"changed": changed, "readable": wanted is not None}
    if module._diff:
        result["diff"] = make_diff(installed, wanted if wanted is not None else UNREADABLE)
    if not changed:
        result["license"] = installed
    elif module.check_mode:
        result["license"] = wanted if wanted is not None else (installed or {})
    else:
        # Writing the same blob twice installs the same license, so the write is safe to repeat.
        client.put(_license.PATH, query={"force": "true"} if module.params["force"] else None, body=blob, retry=True)
        result["license"] = _license.read_installed(client) or {}
    return result


def main():
    module = new_module(
        {"license": {"type": "str", "required": True}, "force": {"type": "bool", "default": False}},
        supports_check_mode=True,
    )
    run(module, apply)


if __name__ == "__main__":
    main()
