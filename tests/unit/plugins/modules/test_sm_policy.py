# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sm_policy's plan (which write a document leads to) and how a write's answer is read (applied, lost, error)."""

from __future__ import annotations

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsAPIError, RaftopsResponse
from ansible_collections.raftops.cluster.plugins.modules import sm_policy

CURRENT = {
    "_id": "daily-sm-policy",
    "_seq_no": 27,
    "_primary_term": 2,
    "sm_policy": {
        "name": "daily",
        "schema_version": 30,
        "creation": {"schedule": {"cron": {"expression": "0 8 * * *", "timezone": "UTC"}}, "time_limit": "1h"},
        "snapshot_config": {"repository": "repo"},
        "schedule": {"interval": {"start_time": 1, "period": 1, "unit": "Minutes"}},
        "enabled": True,
        "last_updated_time": 1,
        "enabled_time": 1,
    },
}


def plan(state, wanted, current):
    return sm_policy.make_plan(state, wanted)(current)


def test_an_equal_document_needs_nothing():
    outcome = plan("present", {"creation": {"time_limit": "60m"}, "enabled": True}, CURRENT)
    assert not outcome.changed
    assert outcome.after.action == "none"


def test_enabled_alone_is_a_start_or_a_stop():
    outcome = plan("present", {"enabled": False}, CURRENT)
    assert outcome.changed and outcome.after.action == "stop" and outcome.differences == ["enabled"]
    assert outcome.after.view["enabled"] is False


def test_a_document_change_is_one_update_that_carries_enabled():
    outcome = plan("present", {"enabled": False, "description": "x"}, CURRENT)
    assert outcome.after.action == "update"
    assert outcome.differences == ["description", "enabled"]
    assert outcome.after.body["enabled"] is False and outcome.after.body["description"] == "x"
    assert outcome.after.body["schedule"] == CURRENT["sm_policy"]["schedule"]


def test_a_missing_policy_is_created_from_the_users_document():
    wanted = {
        "creation": {"schedule": {"cron": {"expression": "0 8 * * *", "timezone": "UTC"}}},
        "snapshot_config": {"repository": "repo"},
    }
    outcome = plan("present", wanted, None)
    assert outcome.after.action == "create" and outcome.after.body == wanted
    assert outcome.after.view["enabled"] is True
    with pytest.raises(ValueError, match="Must provide the repository"):
        plan("present", {"creation": wanted["creation"]}, None)


def test_absent():
    assert not plan("absent", None, None).changed
    outcome = plan("absent", None, CURRENT)
    assert outcome.changed and outcome.after.action == "delete" and outcome.after.view == {}


def test_seq_no_reads_well_in_messages_and_is_a_dict_in_results():
    seq_no = sm_policy.SeqNo(27, 2)
    assert str(seq_no) == "seq_no 27, primary_term 2"
    assert seq_no == {"seq_no": 27, "primary_term": 2}
    assert seq_no == sm_policy.SeqNo(27, 2) and seq_no != sm_policy.SeqNo(28, 2)


class ScriptedClient:
    """Answers each call with the next scripted RaftopsResponse (status, data) and records the calls."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def _answer(self, method, path, kwargs):
        self.calls.append((method, path, kwargs.get("query")))
        status, data = self.answers.pop(0)
        return RaftopsResponse(status, {}, data, b"")

    def post(self, path, **kwargs):
        return self._answer("POST", path, kwargs)

    def put(self, path, **kwargs):
        return self._answer("PUT", path, kwargs)

    def delete(self, path, **kwargs):
        return self._answer("DELETE", path, kwargs)


def error(status, kind, reason):
    return {
        "error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason},
        "status": status,
    }


RACE = error(
    500, "status_exception", "Failed while trying to disable SM Policy due to a concurrent update, please try again"
)


def test_an_update_sends_the_read_version_and_a_409_is_a_lost_race():
    client = ScriptedClient(
        (409, error(409, "version_conflict_engine_exception", "version conflict")), (200, dict(CURRENT, _seq_no=30))
    )
    api = sm_policy.PolicyAPI(client, "daily")
    step = sm_policy.Step("update", body={"description": "x"})
    assert not api.write(step, sm_policy.SeqNo(27, 2)).applied
    written = api.write(step, sm_policy.SeqNo(28, 2))
    assert written.applied and written.index == {"seq_no": 30, "primary_term": 2}
    assert client.calls[0] == ("PUT", "/_plugins/_sm/policies/daily", {"if_seq_no": 27, "if_primary_term": 2})


def test_the_concurrent_update_500_of_a_start_stop_or_delete_is_a_lost_race():
    for action in ("stop", "delete"):
        api = sm_policy.PolicyAPI(ScriptedClient((500, RACE)), "daily")
        assert not api.write(sm_policy.Step(action), None).applied


def test_another_500_is_an_error_with_the_servers_message():
    api = sm_policy.PolicyAPI(ScriptedClient((500, error(500, "null_pointer_exception", "zone"))), "daily")
    with pytest.raises(RaftopsAPIError, match="POST /_plugins/_sm/policies/daily: HTTP 500: zone"):
        api.write(sm_policy.Step("start"), None)


def test_a_policy_deleted_meanwhile_is_a_lost_race_too():
    api = sm_policy.PolicyAPI(ScriptedClient((404, error(404, "status_exception", "not found"))), "daily")
    assert not api.write(sm_policy.Step("delete"), None).applied
