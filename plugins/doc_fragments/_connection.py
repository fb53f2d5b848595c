# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this doc fragment is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Connection options shared by every module that talks to a raftops agent.
    # Keep in sync with CONNECTION_ARGSPEC in plugins/module_utils/_client.py.
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the raftops agent HTTP API (Nomad-style API), for example V(https://raft1.example.com:4646).
      - Must start with V(http://) or V(https://). A path prefix (for a reverse proxy) is kept.
      - If not set, the value of the E(RAFTOPS_ADDR) environment variable is used, then E(NOMAD_ADDR),
        then the default.
    type: str
    default: http://127.0.0.1:4646
  token:
    description:
      - ACL token sent in the C(X-Nomad-Token) header.
      - If not set, the value of the E(RAFTOPS_TOKEN) environment variable is used, then E(NOMAD_TOKEN).
        Without a token, requests are anonymous.
    type: str
  ca_path:
    description:
      - PEM file with the CA certificate(s) used to verify the agent's TLS certificate.
      - If not set, the value of the E(RAFTOPS_CACERT) environment variable is used, then E(NOMAD_CACERT),
        then the system trust store.
    type: path
  client_cert:
    description:
      - PEM file with the client certificate for mutual TLS. It may also contain the private key.
      - If not set, the value of the E(RAFTOPS_CLIENT_CERT) environment variable is used, then E(NOMAD_CLIENT_CERT).
    type: path
  client_key:
    description:
      - PEM file with the private key of O(client_cert), when the key is not part of O(client_cert).
      - If not set, the value of the E(RAFTOPS_CLIENT_KEY) environment variable is used, then E(NOMAD_CLIENT_KEY).
      - Requires O(client_cert).
    type: path
  validate_certs:
    description:
      - Whether to verify the agent's TLS certificate and host name.
      - Set to V(false) only for throw-away test clusters with self-signed certificates.
    type: bool
    default: true
  timeout:
    description:
      - Timeout in seconds for connecting and for each read from the agent.
    type: int
    default: 10
  retries:
    description:
      - How many times a request is retried after a connection error, an HTTP 429 or an HTTP 5xx answer.
      - Only requests that are safe to repeat are retried (reads, and writes the module marks as idempotent).
        A write that may already have been applied is never repeated blindly.
      - Retries wait 1, 2, 4, ... seconds (at most 10 seconds, or the server's C(Retry-After) if shorter),
        and each retry emits a warning.
      - Set to V(0) to disable retries.
    type: int
    default: 3
notes:
  - The connection options can be set once for all modules of the collection with
    C(module_defaults) and the C(group/raftops.cluster.raftops) action group.
  - The modules only use the Python standard library and ansible-core, so no extra Python package is needed
    on the host that runs them.
"""
