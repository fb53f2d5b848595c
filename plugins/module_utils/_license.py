# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Reading a license blob without the signing key, to tell whether it is the license already installed.

A raftops license blob is ``<base64url(payload JSON)>.<base64url(signature)>``; the payload holds the fields of
Nomad's ``License``. decode() returns those fields in the form ``GET /v1/operator/license`` answers them (missing
times as Go's zero time, missing lists as empty lists), or None for a blob it cannot read (a Nomad Enterprise
license, for example). The signature is the server's business: it checks it on every write.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import datetime
import json
import re

PATH = "/v1/operator/license"
FIELDS = (
    "LicenseID",
    "CustomerID",
    "InstallationID",
    "IssueTime",
    "StartTime",
    "ExpirationTime",
    "TerminationTime",
    "NonProduction",
    "Product",
    "Flags",
    "Modules",
    "Features",
)
TIME_FIELDS = ("IssueTime", "StartTime", "ExpirationTime", "TerminationTime")
GO_ZERO_TIME = "0001-01-01T00:00:00Z"
REQUIRED = ("LicenseID", "Product", "IssueTime", "StartTime", "ExpirationTime")
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))\Z"
)


def view(document):
    """The license fields as the API shows an installed license."""
    out = dict((name, document.get(name)) for name in FIELDS)
    for name in TIME_FIELDS:
        out[name] = out[name] or GO_ZERO_TIME
    out["NonProduction"] = bool(out["NonProduction"])
    out["Flags"] = out["Flags"] or {}
    out["Modules"] = out["Modules"] or []
    out["Features"] = out["Features"] or []
    return out


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _is_time(text):
    """Whether ``text`` is an RFC 3339 time the server reads (Go's time.RFC3339, any offset)."""
    match = _RFC3339.match(text) if isinstance(text, str) else None
    if not match:
        return False
    try:
        datetime.datetime(*(int(group) for group in match.groups()[:6]))
    except ValueError:
        return False
    return True


def decode(blob):
    """The license fields of a raftops blob, or None when the server would refuse to decode it (the checks of the
    server's license.decode, but the signature's: that needs the key, and the server checks it on every write)."""
    text = (blob or "").strip()
    payload, dot, signature = text.partition(".")
    if not dot or not payload or not signature or "." in signature:
        return None
    try:
        raw = _unb64(payload)
        _unb64(signature)
        document = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict) or not all(document.get(name) for name in REQUIRED):
        return None
    if not all(_is_time(document[name]) for name in TIME_FIELDS if document.get(name)):
        return None
    return view(document)


def read_installed(client):
    """The installed license's fields, or None when none is installed (HTTP 204)."""
    response = client.get(PATH, retry=True)
    if response.status == 204 or response.data is None:
        return None
    data = response.data
    if not isinstance(data, dict) or not isinstance(data.get("License"), dict):
        raise ValueError("unexpected answer to GET %s: %r" % (PATH, data))
    return data["License"]
