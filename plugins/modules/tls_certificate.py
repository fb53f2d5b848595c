#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tls_certificate
short_description: Issue a certificate from the cluster CA, and issue it again only when it no longer fits
version_added: 0.1.0
description:
  - Issues an end-entity certificate and its private key from a CA made by M(raftops.cluster.tls_ca) - the key at
    O(private_key_path) (mode V(0600)) and the certificate at O(path) (mode V(0644)). Missing parent directories are
    created with mode V(0700).
  - An existing certificate is kept while it fits. It is issued again, with a new key, when the certificate or the key
    is missing or unreadable, the key does not belong to the certificate, the certificate was not issued by the
    given CA (a rotated CA), its common name, subject alternative names, extended key usages or key type differ from
    the options, it expires within O(renew_days), or O(force=true).
  - Meant to run on the controller (C(delegate_to=localhost)), where the CA key is; copy the results to the host.
    roles/server issues each server one certificate for etcd (peer and client, as server and as client) and the
    agent's HTTPS API, and one for the backup sidecar.
author:
  - raftops maintainers (@raftops)
extends_documentation_fragment:
  - raftops.cluster._attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode nothing is written; RV(reasons) says why a certificate would be issued. When the CA does not
        exist yet (a M(raftops.cluster.tls_ca) task in check mode created nothing), a certificate would be issued.
  diff_mode:
    support: full
    details:
      - The diff shows the certificate's common name, subject alternative names, extended key usages, issuer, key
        type, serial number, end of validity and the files' modes. A certificate that is (or would be) issued shows
        V(new) as its serial number and end of validity, in check mode and outside it alike (RV(certificate) has the
        values).
  idempotent:
    support: full
    details:
      - A second run keeps the certificate, unless O(force=true) or the certificate entered the O(renew_days) window.
requirements:
  - cryptography (a dependency of ansible-core, so the controller's Python has it)
options:
  path:
    description: The certificate (PEM).
    type: path
    required: true
  private_key_path:
    description: Its private key (PEM, unencrypted, mode V(0600)).
    type: path
    required: true
  ca_certificate_path:
    description: The issuing CA's certificate (PEM), as M(raftops.cluster.tls_ca) wrote it.
    type: path
    required: true
  ca_private_key_path:
    description: The issuing CA's private key.
    type: path
    required: true
  common_name:
    description: The certificate's common name (the organization is V(raftops)), for example the node name.
    type: str
    required: true
  subject_alt_names:
    description:
      - Subject alternative names, each V(IP:address), V(DNS:name), or a bare address or name (an address when it
        parses as one). Order and duplicates do not matter.
      - TLS clients check the name or address they connect to against these; give every address and name that
        clients use, for example the advertised address, the host name, V(127.0.0.1) and V(localhost).
    type: list
    elements: str
    default: []
  extended_key_usages:
    description:
      - What the certificate may be used for. etcd peers need both, since each member is a TLS server and a client
        of the others; the agent uses its certificate as a client of etcd too.
    type: list
    elements: str
    choices: [serverAuth, clientAuth]
    default: [serverAuth, clientAuth]
  valid_days:
    description: Validity of a newly issued certificate, in days (never beyond the CA's own end of validity).
    type: int
    default: 365
  renew_days:
    description: Issue the certificate again when it expires within this many days.
    type: int
    default: 30
  force:
    description: Issue the certificate again, with a new key, even though the current one fits (leaf rotation).
    type: bool
    default: false
  key_type:
    description: The key of a newly issued certificate - V(ec) (P-256) or V(rsa) (3072 bits).
    type: str
    choices: [ec, rsa]
    default: ec
seealso:
  - module: raftops.cluster.tls_ca
"""

EXAMPLES = r"""
- name: Issue this server's certificate on the controller
  raftops.cluster.tls_certificate:
    path: "~/.config/raftops/prod-eu1/pki/certs/{{ inventory_hostname }}.pem"
    private_key_path: "~/.config/raftops/prod-eu1/pki/certs/{{ inventory_hostname }}-key.pem"
    ca_certificate_path: ~/.config/raftops/prod-eu1/pki/ca.pem
    ca_private_key_path: ~/.config/raftops/prod-eu1/pki/ca-key.pem
    common_name: "{{ inventory_hostname_short }}"
    subject_alt_names:
      - "IP:{{ ansible_facts.default_ipv4.address }}"
      - "DNS:{{ inventory_hostname }}"
      - IP:127.0.0.1
      - DNS:localhost
  delegate_to: localhost
  register: cert

- name: A client-only certificate for an operator's tools
  raftops.cluster.tls_certificate:
    path: ~/.config/raftops/prod-eu1/pki/operator.pem
    private_key_path: ~/.config/raftops/prod-eu1/pki/operator-key.pem
    ca_certificate_path: ~/.config/raftops/prod-eu1/pki/ca.pem
    ca_private_key_path: ~/.config/raftops/prod-eu1/pki/ca-key.pem
    common_name: operator
    extended_key_usages: [clientAuth]
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
issued:
  description: Whether a certificate was issued by this run (or would be, in check mode).
  returned: success
  type: bool
  sample: true
reasons:
  description: Why it was (or would be) issued; empty when the current certificate was kept.
  returned: success
  type: list
  elements: str
  sample: ["the subject alternative names are ['IP:10.0.0.11'], not ['DNS:raft1', 'IP:10.0.0.11']"]
path:
  description: The certificate's path.
  returned: success
  type: str
  sample: /home/ops/.config/raftops/prod-eu1/pki/certs/raft1.pem
private_key_path:
  description: The key's path.
  returned: success
  type: str
  sample: /home/ops/.config/raftops/prod-eu1/pki/certs/raft1-key.pem
certificate:
  description: The certificate now at O(path); in check mode the current one (empty when there is none).
  returned: success
  type: dict
  contains:
    subject:
      description: Subject (RFC 4514).
      type: str
      sample: CN=raft1,O=raftops
    common_name:
      description: Common name.
      type: str
      sample: raft1
    issuer:
      description: The issuing CA's subject.
      type: str
      sample: CN=raftops prod-eu1 CA,O=raftops
    serial_number:
      description: Serial number in hex.
      type: str
      sample: 5d2c0e7a91
    not_before:
      description: Start of validity (UTC).
      type: str
      sample: "2026-01-05T09:00:00Z"
    not_after:
      description: End of validity (UTC).
      type: str
      sample: "2027-01-05T10:00:00Z"
    expires_in_days:
      description: Whole days until the end of validity (negative once expired).
      type: int
      sample: 364
    sha256_fingerprint:
      description: SHA-256 of the DER certificate, in hex.
      type: str
      sample: 0b4f2e...
    key_type:
      description: V(ec) or V(rsa).
      type: str
      sample: ec
    is_ca:
      description: V(false) for the certificates this module issues.
      type: bool
      sample: false
    subject_alt_names:
      description: Subject alternative names, canonical (V(IP:...), V(DNS:...)) and sorted.
      type: list
      elements: str
      sample: ["DNS:localhost", "DNS:raft1", "IP:10.0.0.11", "IP:127.0.0.1"]
    extended_key_usages:
      description: Extended key usages, sorted.
      type: list
      elements: str
      sample: ["clientAuth", "serverAuth"]
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.raftops.cluster.plugins.module_utils import _pki

NEW = "new"
DIFF_KEYS = (
    "common_name",
    "subject_alt_names",
    "extended_key_usages",
    "issuer",
    "key_type",
    "serial_number",
    "not_after",
)


class CertificateError(Exception):
    pass


def mode_text(mode):
    return "%04o" % mode if mode is not None else None


def view(description, cert_mode, key_mode):
    if not description:
        return {}
    shown = dict((key, description[key]) for key in DIFF_KEYS)
    shown["certificate_mode"] = mode_text(cert_mode)
    shown["private_key_mode"] = mode_text(key_mode)
    return shown


def load_ca(params, check_mode):
    """(certificate, key) of the issuing CA; (None, None) in check mode when the CA does not exist yet."""
    cert_data = _pki.read_if_exists(params["ca_certificate_path"])
    key_data = _pki.read_if_exists(params["ca_private_key_path"])
    if cert_data is None and key_data is None and check_mode:
        return None, None
    for data, option in ((cert_data, "ca_certificate_path"), (key_data, "ca_private_key_path")):
        if data is None:
            raise CertificateError(
                "%s: no such file: %s (make the CA with raftops.cluster.tls_ca)" % (option, params[option])
            )
    ca_cert = _pki.load_cert(cert_data, params["ca_certificate_path"])
    ca_key = _pki.load_key(key_data, params["ca_private_key_path"])
    if not _pki.is_ca(ca_cert):
        raise CertificateError("%s is not a CA certificate" % params["ca_certificate_path"])
    if not _pki.key_matches(ca_key, ca_cert):
        raise CertificateError(
            "%s is not the private key of %s" % (params["ca_private_key_path"], params["ca_certificate_path"])
        )
    if _pki.not_valid_after(ca_cert) <= _pki.utcnow():
        raise CertificateError(
            "the CA %s expired on %s; rotate it with playbooks/rotate_certificates.yml -e raftops_rotate_ca=true"
            % (params["ca_certificate_path"], _pki.isoformat(_pki.not_valid_after(ca_cert)))
        )
    return ca_cert, ca_key


def load_current(params):
    """(certificate, key, problems) of what is at path and private_key_path; unreadable files count as missing."""
    cert = key = None
    problems = []
    cert_data = _pki.read_if_exists(params["path"])
    key_data = _pki.read_if_exists(params["private_key_path"])
    if cert_data is not None:
        try:
            cert = _pki.load_cert(cert_data, params["path"])
        except ValueError as exc:
            problems.append(to_native(exc))
    if key_data is not None:
        try:
            key = _pki.load_key(key_data, params["private_key_path"])
        except ValueError as exc:
            problems.append(to_native(exc))
    return cert, key, problems


def wanted_from(params):
    for name, low in (("valid_days", 1), ("renew_days", 0)):
        if params[name] < low:
            raise CertificateError("%s must be at least %d, got %s" % (name, low, params[name]))
    if params["renew_days"] >= params["valid_days"]:
        raise CertificateError(
            "renew_days (%s) must be less than valid_days (%s), or every run would issue the certificate again"
            % (params["renew_days"], params["valid_days"])
        )
    if not params["common_name"].strip():
        raise CertificateError("common_name must not be empty")
    paths = [
        os.path.abspath(params[name])
        for name in ("path", "private_key_path", "ca_certificate_path", "ca_private_key_path")
    ]
    if len(set(paths)) != len(paths):
        raise CertificateError(
            "path, private_key_path, ca_certificate_path and ca_private_key_path must be four different files"
        )
    return {
        "common_name": params["common_name"],
        "subject_alt_names": _pki.normalize_sans(params["subject_alt_names"]),
        "extended_key_usages": _pki.normalize_ekus(params["extended_key_usages"]),
        "key_type": params["key_type"],
        "renew_days": params["renew_days"],
    }


def run(module):
    params = module.params
    wanted = wanted_from(params)
    ca_cert, ca_key = load_ca(params, module.check_mode)
    cert, key, problems = load_current(params)
    if ca_cert is None:
        reasons = ["the CA %s does not exist yet" % params["ca_certificate_path"]]
    else:
        reasons = problems or _pki.reissue_reasons(cert, key, ca_cert, wanted)
    if not reasons and params["force"]:
        reasons = ["force=true"]

    cert_mode, key_mode = _pki.file_mode(params["path"]), _pki.file_mode(params["private_key_path"])
    current = _pki.describe(cert) if cert is not None else {}
    before = view(current, cert_mode, key_mode)
    result = {
        "path": params["path"],
        "private_key_path": params["private_key_path"],
        "issued": bool(reasons),
        "reasons": reasons,
        "certificate": current,
    }
    if reasons:
        after = {
            "common_name": wanted["common_name"],
            "subject_alt_names": wanted["subject_alt_names"],
            "extended_key_usages": wanted["extended_key_usages"],
            "issuer": ca_cert.subject.rfc4514_string() if ca_cert is not None else params["ca_certificate_path"],
            "key_type": wanted["key_type"],
            "serial_number": NEW,
            "not_after": NEW,
            "certificate_mode": mode_text(_pki.CERT_MODE),
            "private_key_mode": mode_text(_pki.KEY_MODE),
        }
        if not module.check_mode:
            new_key = _pki.new_private_key(wanted["key_type"])
            new_cert = _pki.issue(
                new_key,
                ca_cert,
                ca_key,
                wanted["common_name"],
                wanted["subject_alt_names"],
                wanted["extended_key_usages"],
                params["valid_days"],
            )
            _pki.make_parent(params["private_key_path"])
            _pki.make_parent(params["path"])
            _pki.write_atomically(params["private_key_path"], _pki.key_pem(new_key), _pki.KEY_MODE)
            _pki.write_atomically(params["path"], _pki.cert_pem(new_cert), _pki.CERT_MODE)
            result["certificate"] = _pki.describe(new_cert)
        changed = True
    else:
        # Modes only ever get stricter: the key 0600, the certificate not writable by others.
        after = view(current, cert_mode & ~0o022, _pki.KEY_MODE)
        changed = after != before
        if changed and not module.check_mode:
            os.chmod(params["private_key_path"], _pki.KEY_MODE)
            os.chmod(params["path"], cert_mode & ~0o022)
    result["changed"] = changed
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            private_key_path=dict(type="path", required=True),
            ca_certificate_path=dict(type="path", required=True),
            ca_private_key_path=dict(type="path", required=True),
            common_name=dict(type="str", required=True),
            subject_alt_names=dict(type="list", elements="str", default=[]),
            extended_key_usages=dict(
                type="list",
                elements="str",
                choices=list(_pki.EXTENDED_KEY_USAGES),
                default=["serverAuth", "clientAuth"],
            ),
            valid_days=dict(type="int", default=365),
            renew_days=dict(type="int", default=30),
            force=dict(type="bool", default=False),
            key_type=dict(type="str", choices=list(_pki.KEY_TYPES), default="ec"),
        ),
        supports_check_mode=True,
    )
    if not _pki.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=_pki.CRYPTOGRAPHY_IMPORT_ERROR)
    try:
        result = run(module)
    except (CertificateError, ValueError, OSError) as exc:
        module.fail_json(msg=to_native(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
