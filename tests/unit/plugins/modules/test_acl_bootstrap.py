# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""acl_bootstrap: telling "already bootstrapped" from the server's refusal, and the module's requests."""

from __future__ import annotations

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsAPIError, RaftopsResponse
from ansible_collections.raftops.cluster.plugins.modules import acl_bootstrap

SECRET = "983fd9d0-1b85-415d-80d1-b37fd54f3d1b"
TOKEN = {"AccessorID": "123a56b4-1fbe-48d5-aba8-63dd8c0f003d", "SecretID": SECRET, "Type": "management"}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("ACL bootstrap already done (reset index: 12)", (True, 12)),
        ("Invalid bootstrap reset index (specified 7, reset index: 11)", (True, 11)),
        ("Unexpected response code: 500 (ACL bootstrap already done (reset index: 7))", (True, 7)),
        ("invalid acl token", (False, None)),
        ("ACL support disabled", (False, None)),
        (None, (False, None)),
    ],
)
def test_already_bootstrapped(message, expected):
    assert acl_bootstrap.already_bootstrapped(message) == expected


class FakeModule:
    def __init__(self, check_mode=False, secret=None):
        self.params = {"bootstrap_secret": secret}
        self.check_mode = check_mode
        self._diff = True
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)


class FakeClient:
    def __init__(self, outcome):
        self.outcome = outcome
        self.bodies = []

    def post(self, path, body=None, **kwargs):
        assert path == "/v1/acl/bootstrap"
        assert not kwargs.get("retry")  # a lost answer must not bootstrap twice
        self.bodies.append(body)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return RaftopsResponse(200, {}, self.outcome, b"")


def refusal(text):
    return RaftopsAPIError(400, text, text, "POST", "/v1/acl/bootstrap")


def test_bootstraps_and_returns_the_token():
    client = FakeClient(TOKEN)
    result = acl_bootstrap.apply(FakeModule(), client)
    assert result["changed"] and result["token"] == TOKEN and not result["already_bootstrapped"]
    assert client.bodies == [None]
    assert result["diff"] == {"before": {"bootstrapped": False}, "after": {"bootstrapped": True}}


def test_sends_the_chosen_secret():
    client = FakeClient(TOKEN)
    acl_bootstrap.apply(FakeModule(secret=SECRET), client)
    assert client.bodies == [{"BootstrapSecret": SECRET}]


def test_already_bootstrapped_is_no_change():
    result = acl_bootstrap.apply(FakeModule(), FakeClient(refusal("ACL bootstrap already done (reset index: 12)")))
    assert not result["changed"] and result["already_bootstrapped"] and result["reset_index"] == 12
    assert result["token"] == {}


def test_check_mode_probes_with_a_secret_the_server_refuses():
    client = FakeClient(refusal("invalid acl token"))
    result = acl_bootstrap.apply(FakeModule(check_mode=True, secret=SECRET), client)
    assert result["changed"] and result["token"] == {}
    assert client.bodies == [{"BootstrapSecret": acl_bootstrap.PROBE_SECRET}]


def test_check_mode_on_a_bootstrapped_cluster():
    client = FakeClient(refusal("ACL bootstrap already done (reset index: 3)"))
    assert not acl_bootstrap.apply(FakeModule(check_mode=True), client)["changed"]


def test_other_refusals_fail():
    with pytest.raises(RaftopsAPIError):
        acl_bootstrap.apply(FakeModule(), FakeClient(refusal("ACL support disabled")))


def test_a_bad_secret_is_refused_before_any_request_and_not_echoed():
    client = FakeClient(TOKEN)
    with pytest.raises(ValueError) as error:
        acl_bootstrap.apply(FakeModule(secret="my-secret-value"), client)
    assert client.bodies == [] and "my-secret-value" not in str(error.value)
