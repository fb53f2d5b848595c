# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""license: the decision to write, against a fake client."""

from __future__ import annotations

import base64
import json

from ansible_collections.raftops.cluster.plugins.module_utils import _license
from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsResponse
from ansible_collections.raftops.cluster.plugins.modules import license as license_module

# The fields the server requires to decode a license (raftops.license.decode).
DOCUMENT = {
    "LicenseID": "lic-1",
    "Product": "nomad",
    "IssueTime": "2026-01-01T00:00:00Z",
    "StartTime": "2026-01-01T00:00:00Z",
    "ExpirationTime": "2027-01-01T00:00:00Z",
}


def encode(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def blob(document):
    return f"{encode(json.dumps(document).encode())}.{encode(b'sig')}"


class FakeModule:
    def __init__(self, license_blob, check_mode=False, force=False):
        self.params = {"license": license_blob, "force": force}
        self.check_mode = check_mode
        self._diff = True


class FakeClient:
    def __init__(self, installed):
        self.installed = installed
        self.puts = []

    def get(self, path, **kwargs):
        if self.installed is None:
            return RaftopsResponse(204, {}, None, b"")
        return RaftopsResponse(200, {}, {"License": self.installed}, b"")

    def put(self, path, query=None, body=None, **kwargs):
        self.puts.append((query, body))
        self.installed = _license.decode(body) or {"LicenseID": "opaque"}
        return RaftopsResponse(200, {}, {"Index": 9}, b"")


def test_the_installed_license_is_not_written_again():
    client = FakeClient(_license.view(DOCUMENT))
    result = license_module.apply(FakeModule(blob(DOCUMENT)), client)
    assert not result["changed"] and result["readable"] and client.puts == []


def test_another_license_is_written_and_check_mode_predicts_it():
    predicted = license_module.apply(FakeModule(blob(DOCUMENT), check_mode=True), FakeClient(None))
    client = FakeClient(None)
    result = license_module.apply(FakeModule(blob(DOCUMENT), force=True), client)
    assert result["changed"] and client.puts == [({"force": "true"}, blob(DOCUMENT))]
    assert predicted["diff"] == result["diff"]
    assert predicted["license"] == result["license"]


def test_a_blob_the_module_cannot_read_is_always_written():
    client = FakeClient({"LicenseID": "opaque"})
    result = license_module.apply(FakeModule("02MV4UU43BK5HGYYTOJZWFQMTMNNEWU33JJZ"), client)
    assert result["changed"] and not result["readable"] and len(client.puts) == 1
