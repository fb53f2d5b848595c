#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tls_ca
short_description: Create a cluster certificate authority once, and keep it
version_added: 0.1.0
description:
  - Makes a self-signed certificate authority for a raftops cluster (etcd peer and client traffic, the agents' HTTPS
    API, the backup sidecar) - a private key at O(private_key_path) (mode V(0600)) and its certificate at O(path)
    (mode V(0644)). Missing parent directories are created with mode V(0700).
  - An existing CA is always reused, never replaced. The module checks that the key belongs to the certificate and
    that the certificate is a CA; it only corrects the modes of the two files. A new CA is a rotation - see
    C(playbooks/rotate_certificates.yml) with C(-e raftops_rotate_ca=true), which keeps the cluster trusting the old
    CA until every certificate is issued by the new one.
  - Meant to run on the controller (C(delegate_to=localhost), C(run_once=true)), so that the CA key never leaves it.
    M(raftops.cluster.tls_certificate) issues certificates with the CA.
author:
  - raftops maintainers (@raftops)
extends_documentation_fragment:
  - raftops.cluster._attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode nothing is written; the result says whether a CA would be created or a mode corrected.
  diff_mode:
    support: full
    details:
      - The diff shows the CA's subject, serial number, key type, fingerprint and validity (empty before a creation)
        and the files' modes. A created CA shows V(new) as its serial number, fingerprint and dates, in check mode and
        outside it alike (RV(certificate) has the values).
  idempotent:
    support: full
requirements:
  - cryptography (a dependency of ansible-core, so the controller's Python has it)
options:
  path:
    description: The CA certificate (PEM) to create or reuse.
    type: path
    required: true
  private_key_path:
    description:
      - The CA's private key (PEM, unencrypted, mode V(0600)). Keep it on the controller; hosts only need O(path).
    type: path
    required: true
  common_name:
    description:
      - The CA's common name when it is created (the organization is V(raftops)). An existing CA keeps its name.
      - Give each CA of a cluster a distinct name (the default role tasks add the creation time), so that the old and
        the new CA can be told apart while both are trusted during a rotation.
    type: str
    default: raftops cluster CA
  valid_days:
    description: Validity of a new CA, in days. Certificates it issues never outlive it.
    type: int
    default: 3650
  key_type:
    description: Key of a new CA - V(ec) (P-256, ECDSA with SHA-256) or V(rsa) (3072 bits).
    type: str
    choices: [ec, rsa]
    default: ec
  warn_days:
    description: Warn when the CA expires within this many days (and rotate it with the playbook).
    type: int
    default: 180
notes:
  - The CA key is written unencrypted with mode V(0600) in a V(0700) directory; protect the controller account that
    runs Ansible accordingly, or keep your own CA and pass its files to the roles instead.
seealso:
  - module: raftops.cluster.tls_certificate
"""

EXAMPLES = r"""
- name: Make the cluster CA on the controller (once)
  raftops.cluster.tls_ca:
    path: ~/.config/raftops/prod-eu1/pki/ca.pem
    private_key_path: ~/.config/raftops/prod-eu1/pki/ca-key.pem
    common_name: raftops prod-eu1 CA
  delegate_to: localhost
  run_once: true
  register: ca

- name: Show it
  ansible.builtin.debug:
    msg: "{{ ca.certificate.subject }} valid until {{ ca.certificate.not_after }}"
"""

RETURN = r"""
created:
  description: Whether the CA was created by this run (or would be, in check mode).
  returned: success
  type: bool
  sample: false
path:
  description: The CA certificate's path.
  returned: success
  type: str
  sample: /home/ops/.config/raftops/prod-eu1/pki/ca.pem
private_key_path:
  description: The CA key's path.
  returned: success
  type: str
  sample: /home/ops/.config/raftops/prod-eu1/pki/ca-key.pem
certificate:
  description: The CA certificate; empty when it would be created in check mode.
  returned: success
  type: dict
  contains:
    subject:
      description: Subject (RFC 4514).
      type: str
      sample: CN=raftops prod-eu1 CA,O=raftops
    common_name:
      description: Common name.
      type: str
      sample: raftops prod-eu1 CA
    issuer:
      description: Issuer (the subject itself, for this self-signed CA).
      type: str
      sample: CN=raftops prod-eu1 CA,O=raftops
    serial_number:
      description: Serial number in hex.
      type: str
      sample: 4a1f0c9e3b
    not_before:
      description: Start of validity (UTC).
      type: str
      sample: "2026-01-05T09:00:00Z"
    not_after:
      description: End of validity (UTC).
      type: str
      sample: "2036-01-03T10:00:00Z"
    expires_in_days:
      description: Whole days until the end of validity (negative once expired).
      type: int
      sample: 3649
    sha256_fingerprint:
      description: SHA-256 of the DER certificate, in hex.
      type: str
      sample: 9c1d0a...
    key_type:
      description: V(ec) or V(rsa).
      type: str
      sample: ec
    is_ca:
      description: Always V(true) for a CA.
      type: bool
      sample: true
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.raftops.cluster.plugins.module_utils import _pki

NEW = "new"


class CAError(Exception):
    pass


def view(description, cert_mode, key_mode):
    """What the diff shows of a CA and its files."""
    if not description:
        return {}
    shown = dict((key, description[key]) for key in ("subject", "serial_number", "not_before", "not_after", "key_type"))
    shown["sha256_fingerprint"] = description["sha256_fingerprint"]
    shown["certificate_mode"] = "%04o" % cert_mode if cert_mode is not None else None
    shown["private_key_mode"] = "%04o" % key_mode if key_mode is not None else None
    return shown


def existing_ca(cert_data, key_data, params):
    """The existing CA's certificate after checking that it is a CA and that the key belongs to it."""
    if cert_data is None or key_data is None:
        present, absent = ("path", "private_key_path") if cert_data is not None else ("private_key_path", "path")
        raise CAError(
            "%s exists but %s does not: refusing to replace half of a CA. Restore the missing file, or move the other "
            "away to create a new CA (every certificate it issued must then be issued again)"
            % (params[present], params[absent])
        )
    cert = _pki.load_cert(cert_data, params["path"])
    key = _pki.load_key(key_data, params["private_key_path"])
    if not _pki.is_ca(cert):
        raise CAError("%s is not a CA certificate (no basicConstraints CA:TRUE)" % params["path"])
    if not _pki.key_matches(key, cert):
        raise CAError("%s is not the private key of %s" % (params["private_key_path"], params["path"]))
    return cert


def run(module):
    params = module.params
    if params["valid_days"] < 1:
        raise CAError("valid_days must be at least 1, got %s" % params["valid_days"])
    if params["warn_days"] < 0:
        raise CAError("warn_days must be 0 or more, got %s" % params["warn_days"])
    if not params["common_name"].strip():
        raise CAError("common_name must not be empty")
    cert_path, key_path = params["path"], params["private_key_path"]
    if os.path.abspath(cert_path) == os.path.abspath(key_path):
        raise CAError("path and private_key_path must be different files")
    cert_data, key_data = _pki.read_if_exists(cert_path), _pki.read_if_exists(key_path)
    result = {"path": cert_path, "private_key_path": key_path, "created": False, "changed": False}

    if cert_data is None and key_data is None:
        before = {}
        result.update(created=True, changed=True, certificate={})
        # The new CA's serial, fingerprint and dates are in RV(certificate); the diff says "new" in both modes, so
        # that check mode predicts it exactly.
        after = {
            "subject": _pki.subject_for(params["common_name"]),
            "serial_number": NEW,
            "not_before": NEW,
            "not_after": NEW,
            "key_type": params["key_type"],
            "sha256_fingerprint": NEW,
            "certificate_mode": "%04o" % _pki.CERT_MODE,
            "private_key_mode": "%04o" % _pki.KEY_MODE,
        }
        if not module.check_mode:
            key = _pki.new_private_key(params["key_type"])
            cert = _pki.build_ca(key, params["common_name"], params["valid_days"])
            _pki.make_parent(key_path)
            _pki.make_parent(cert_path)
            # The key first: a certificate on disk always has its key beside it.
            _pki.write_atomically(key_path, _pki.key_pem(key), _pki.KEY_MODE)
            _pki.write_atomically(cert_path, _pki.cert_pem(cert), _pki.CERT_MODE)
            result["certificate"] = _pki.describe(cert)
    else:
        cert = existing_ca(cert_data, key_data, params)
        description = _pki.describe(cert)
        result["certificate"] = description
        cert_mode, key_mode = _pki.file_mode(cert_path), _pki.file_mode(key_path)
        before = view(description, cert_mode, key_mode)
        after = view(description, cert_mode & ~0o022 if cert_mode is not None else None, _pki.KEY_MODE)
        # Modes only ever get stricter: the key 0600, the certificate not writable by others.
        if after != before:
            result["changed"] = True
            if not module.check_mode:
                os.chmod(key_path, _pki.KEY_MODE)
                os.chmod(cert_path, cert_mode & ~0o022)
        days = description["expires_in_days"]
        if days < 0:
            module.warn(
                "the CA %s expired on %s: every certificate it issued is invalid. Rotate it with "
                "playbooks/rotate_certificates.yml -e raftops_rotate_ca=true" % (cert_path, description["not_after"])
            )
        elif days <= params["warn_days"]:
            module.warn(
                "the CA %s expires on %s, in %d days: rotate it with playbooks/rotate_certificates.yml "
                "-e raftops_rotate_ca=true" % (cert_path, description["not_after"], days)
            )
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            private_key_path=dict(type="path", required=True),
            common_name=dict(type="str", default="raftops cluster CA"),
            valid_days=dict(type="int", default=3650),
            key_type=dict(type="str", choices=list(_pki.KEY_TYPES), default="ec"),
            warn_days=dict(type="int", default=180),
        ),
        supports_check_mode=True,
    )
    if not _pki.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=_pki.CRYPTOGRAPHY_IMPORT_ERROR)
    try:
        result = run(module)
    except (CAError, ValueError, OSError) as exc:
        module.fail_json(msg=to_native(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
