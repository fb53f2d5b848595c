# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading license blobs without the key, in the form the API shows an installed license."""

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils import _license
from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsResponse

DOCUMENT = {
    "LicenseID": "lic-1",
    "CustomerID": "acme",
    "InstallationID": "*",
    "IssueTime": "2026-11-23T23:36:44.236972947Z",
    "StartTime": "2026-11-23T23:36:44.236972947Z",
    "ExpirationTime": "2027-11-23T23:36:44.236972947Z",
    "NonProduction": False,
    "Product": "nomad",
    "Features": ["Preemption"],
}


def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def blob(document):
    return f"{b64(json.dumps(document).encode())}.{b64(b'signature')}"


def test_decode_returns_the_api_view():
    view = _license.decode("\n " + blob(DOCUMENT) + " \n")
    assert view["LicenseID"] == "lic-1"
    assert view["TerminationTime"] == "0001-01-01T00:00:00Z"
    assert view["Flags"] == {} and view["Modules"] == [] and view["Features"] == ["Preemption"]
    assert list(view) == list(_license.FIELDS)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no-dot",
        "a.b.c",
        "!!!.sig",
        b64(b"not json") + ".sig",
        b64(b"[1, 2]") + ".sig",
        blob({"CustomerID": "no id"}),
        "02MV4UU43BK5HGYYTOJZWFQMTMNNEWU33JJZ2GGMSNKRCTCTLKJRBGYVK",
    ],
)
def test_decode_gives_none_for_blobs_it_cannot_read(text):
    assert _license.decode(text) is None


class FakeClient:
    def __init__(self, response):
        self.response = response

    def get(self, path, **kwargs):
        return self.response


def test_read_installed():
    reply = {"License": _license.view(DOCUMENT), "LastIndex": 4}
    assert _license.read_installed(FakeClient(RaftopsResponse(200, {}, reply, b"")))["LicenseID"] == "lic-1"
    assert _license.read_installed(FakeClient(RaftopsResponse(204, {}, None, b""))) is None
    with pytest.raises(ValueError):
        _license.read_installed(FakeClient(RaftopsResponse(200, {}, {"License": "x"}, b"")))
