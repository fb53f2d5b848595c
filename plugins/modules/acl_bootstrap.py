#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: acl_bootstrap
short_description: Bootstrap the ACL system and return the first management token
version_added: 0.1.0
description:
  - Sends C(POST /v1/acl/bootstrap), which creates the first management token once per cluster, and returns that
    token, including its secret.
  - When the cluster is already bootstrapped, the server refuses with C(ACL bootstrap already done (reset index N));
    the module reports no change and RV(already_bootstrapped=true). A reset file left on the server after a
    re-bootstrap (C(Invalid bootstrap reset index ...)) means the same.
  - The secret is shown only in the answer to the bootstrap itself. Register the result and store the secret at
    once, for example in a vault; run the task with C(no_log=true) so that it does not appear in logs.
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
      - In check mode the module sends a bootstrap request whose C(BootstrapSecret) is deliberately not a UUID. The
        server checks whether the cluster is already bootstrapped first and the secret second, and refuses either
        way before writing anything, so the refusal tells whether a real run would bootstrap. raftops behaves so;
        do not run this module in check mode against a server that ignores C(BootstrapSecret).
  diff_mode:
    support: full
    details:
      - The diff shows whether the cluster is bootstrapped, before and after. It never contains the secret.
  idempotent:
    support: full
options:
  bootstrap_secret:
    description:
      - The secret (a UUID) the management token gets, instead of one the server generates
        (C(BootstrapSecret)). Useful when the secret is created and stored ahead of time.
    type: str
notes:
  - ACLs must be enabled on the agents; otherwise the server answers C(ACL support disabled) and the module fails.
  - No token is needed to bootstrap.
seealso:
  - module: raftops.cluster.acl_policy
  - module: raftops.cluster.acl_token
  - name: Nomad ACL bootstrap API
    description: The endpoint this module calls.
    link: https://developer.hashicorp.com/nomad/api-docs/acl/bootstrap
"""

EXAMPLES = r"""
- name: Bootstrap ACLs (no change if already done)
  raftops.cluster.acl_bootstrap:
    url: https://raft1.example.com:4646
  register: acl_bootstrap
  no_log: true

- name: Keep the management secret on the controller, readable only by its owner
  ansible.builtin.copy:
    content: "{{ acl_bootstrap.token.SecretID }}"
    dest: "{{ playbook_dir }}/secrets/management-token"
    mode: "0600"
  delegate_to: localhost
  no_log: true
  when: acl_bootstrap is changed

- name: Bootstrap with a secret generated and stored beforehand
  raftops.cluster.acl_bootstrap:
    bootstrap_secret: "{{ vault_raftops_management_secret }}"
"""

RETURN = r"""
already_bootstrapped:
  description: Whether the cluster was bootstrapped before the module ran.
  returned: success
  type: bool
  sample: false
reset_index:
  description:
    - The reset index the server reported when it refused to bootstrap again (write it into the agent's
      C(<data_dir>/acl-bootstrap-reset) to allow one more bootstrap).
  returned: when RV(already_bootstrapped=true) and the server named it
  type: int
  sample: 12
token:
  description:
    - The new management token, with its C(SecretID). Treat the whole result as a secret.
    - Empty when nothing was bootstrapped (already done, or check mode).
    - With O(bootstrap_secret), Ansible masks that value wherever it appears in the result, so C(SecretID) reads
      V(********); the secret is the one you passed.
  returned: success
  type: dict
  sample:
    AccessorID: 123a56b4-1fbe-48d5-aba8-63dd8c0f003d
    SecretID: 983fd9d0-1b85-415d-80d1-b37fd54f3d1b
    Name: Bootstrap Token
    Type: management
    Global: true
    CreateTime: "2026-11-23T23:36:15.224134127Z"
    CreateIndex: 12
    ModifyIndex: 12
"""

import re

from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsAPIError
from ansible_collections.raftops.cluster.plugins.module_utils._diff import make_diff
from ansible_collections.raftops.cluster.plugins.module_utils._module import new_module, run
from ansible_collections.raftops.cluster.plugins.module_utils._raft import is_uuid

PATH = "/v1/acl/bootstrap"
# Not a UUID on purpose: the server refuses it, after telling whether the cluster is already bootstrapped.
PROBE_SECRET = "check-mode-probe-not-a-uuid"
_ALREADY_DONE = re.compile(r"ACL bootstrap already done \(reset index: (\d+)\)")
_STALE_RESET = re.compile(r"Invalid bootstrap reset index \(specified \d+, reset index: (\d+)\)")
_INVALID_SECRET = "invalid acl token"


def already_bootstrapped(message):
    """(True, reset index) when the server's refusal says the cluster is bootstrapped, else (False, None)."""
    for pattern in (_ALREADY_DONE, _STALE_RESET):
        match = pattern.search(message or "")
        if match:
            return True, int(match.group(1))
    return False, None


def shape(changed, bootstrapped_before, reset_index=None, token=None, diff=False):
    result = {"changed": changed, "already_bootstrapped": bootstrapped_before, "token": token or {}}
    if reset_index is not None:
        result["reset_index"] = reset_index
    if diff:
        result["diff"] = make_diff({"bootstrapped": bootstrapped_before}, {"bootstrapped": True})
    return result


def apply(module, client):
    secret = module.params["bootstrap_secret"]
    if secret is not None and not is_uuid(secret):
        raise ValueError("bootstrap_secret must be a UUID (8-4-4-4-12 hexadecimal digits)")
    body = {"BootstrapSecret": PROBE_SECRET if module.check_mode else secret} if (secret or module.check_mode) else None
    try:
        answer = client.post(PATH, body=body).data
    except RaftopsAPIError as exc:
        done, reset_index = already_bootstrapped(exc.message)
        if done:
            return shape(False, True, reset_index, diff=module._diff)
        if module.check_mode and _INVALID_SECRET in (exc.message or ""):
            return shape(True, False, diff=module._diff)
        raise
    if module.check_mode:
        # The server took the probe secret: it ignores BootstrapSecret. Say so rather than hide it.
        module.warn(
            "the server bootstrapped ACLs in check mode with the probe request, because it ignores "
            "BootstrapSecret; the token is returned, store it"
        )
    if not isinstance(answer, dict) or not answer.get("AccessorID"):
        raise ValueError("unexpected answer to POST %s (no token in it)" % PATH)
    return shape(True, False, token=answer, diff=module._diff)


def main():
    module = new_module({"bootstrap_secret": {"type": "str", "no_log": True}}, supports_check_mode=True)
    run(module, apply)


if __name__ == "__main__":
    main()
