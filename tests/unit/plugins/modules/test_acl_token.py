# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""acl_token: what is compared (policies as a set, only the options set) and how a token is found."""

from __future__ import annotations

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsResponse
from ansible_collections.raftops.cluster.plugins.module_utils._module import ModuleError
from ansible_collections.raftops.cluster.plugins.modules import acl_token

STUB = {"AccessorID": "a-1", "Name": "ops", "Type": "client", "Policies": ["b", "a"], "Global": False}


def params(**kwargs):
    base = {"name": None, "accessor_id": None, "type": None, "policies": None, "global": None, "state": "present"}
    base.update(kwargs)
    return base


def test_view_sorts_policies_and_drops_bookkeeping():
    assert acl_token.view(dict(STUB, SecretID="s", ModifyIndex=3)) == {
        "Name": "ops",
        "Type": "client",
        "Policies": ["a", "b"],
        "Global": False,
    }
    assert acl_token.view(None) == {}


def test_options_left_out_keep_the_current_values():
    assert acl_token.wanted_view(params(name="ops"), STUB) == acl_token.view(STUB)
    assert acl_token.wanted_view(params(name="ops", policies=["a", "b", "a"]), STUB) == acl_token.view(STUB)


def test_a_new_token_defaults_to_a_client_token_that_is_not_global():
    assert acl_token.wanted_view(params(name="new", policies=["p"]), None) == {
        "Name": "new",
        "Type": "client",
        "Policies": ["p"],
        "Global": False,
    }


def test_promotion_to_management_drops_the_policies():
    wanted = acl_token.wanted_view(params(name="ops", type="management"), STUB)
    assert wanted["Type"] == "management" and wanted["Policies"] == []


def test_without_secret():
    assert acl_token.without_secret(dict(STUB, SecretID="s")) == STUB
    assert acl_token.without_secret(None) == {}


class FakeClient:
    def __init__(self, tokens):
        self.tokens = tokens

    def get(self, path, **kwargs):
        assert path == "/v1/acl/tokens"
        return RaftopsResponse(200, {}, self.tokens, b"")


def test_find_token_by_name():
    assert acl_token.find_token(FakeClient([STUB, dict(STUB, Name="other")]), None, "ops") == STUB
    assert acl_token.find_token(FakeClient([STUB]), None, "missing") is None


def test_a_name_two_tokens_share_is_refused_with_their_accessors():
    with pytest.raises(ModuleError) as error:
        acl_token.find_token(FakeClient([STUB, dict(STUB, AccessorID="a-2")]), None, "ops")
    assert "2 tokens are named 'ops'" in error.value.message
    assert error.value.details["accessor_ids"] == ["a-1", "a-2"]


def test_token_path_quotes_the_accessor():
    assert acl_token.token_path("a/b") == "/v1/acl/token/a%2Fb"
