# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""run(): every kind of failure ends as one fail_json with the status and a clear message."""

from __future__ import annotations

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils import _module
from ansible_collections.raftops.cluster.plugins.module_utils._cas import CasError
from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsAPIError
from ansible_collections.raftops.cluster.plugins.module_utils._module import ModuleError, run


class Exit(Exception):
    pass


class FakeModule:
    def __init__(self):
        self.params = {"url": "http://127.0.0.1:4646", "retries": 0, "timeout": 5}
        self.exited = None
        self.failed = None

    def warn(self, message):
        pass

    def exit_json(self, **result):
        self.exited = result
        raise Exit()

    def fail_json(self, **result):
        self.failed = result
        raise Exit()


def outcome(apply):
    module = FakeModule()
    with pytest.raises(Exit):
        run(module, apply)
    return module


def test_the_result_exits_with_changed_defaulting_to_false():
    module = outcome(lambda module, client: {"config": {"A": 1}})
    assert module.exited == {"config": {"A": 1}, "changed": False}


def test_api_errors_carry_the_status_and_the_servers_message():
    def apply(module, client):
        raise RaftopsAPIError(403, "Permission denied", "Permission denied", "GET", "/v1/x")

    module = outcome(apply)
    assert module.failed["msg"] == "GET /v1/x: HTTP 403: Permission denied"
    assert module.failed["status"] == 403


def test_cas_errors_carry_the_conflicting_index():
    def apply(module, client):
        raise CasError("moved", index=17)

    assert outcome(apply).failed == {"msg": "moved", "status": None, "conflict_index": 17}


def test_module_errors_carry_their_details_and_may_name_a_status():
    def apply(module, client):
        raise ModuleError("refused", server={"ID": "x"}, status=429, msg="ignored")

    assert outcome(apply).failed == {"msg": "refused", "status": 429, "server": {"ID": "x"}}


def test_bad_input_has_no_status():
    def apply(module, client):
        raise ValueError("wait_timeout must be 0 or greater")

    failed = outcome(apply).failed
    assert failed["msg"] == "wait_timeout must be 0 or greater" and failed["status"] is None


def test_new_module_merges_the_connection_options(monkeypatch):
    captured = {}

    def fake_module(argument_spec, **kwargs):
        captured.update(argument_spec=argument_spec, kwargs=kwargs)
        return "module"

    monkeypatch.setattr(_module, "AnsibleModule", fake_module)
    assert _module.new_module({"name": {"type": "str"}}, supports_check_mode=True) == "module"
    assert {"url", "token", "retries", "name"} <= set(captured["argument_spec"])
    assert captured["argument_spec"]["token"]["no_log"] is True
    assert captured["kwargs"] == {"supports_check_mode": True}
