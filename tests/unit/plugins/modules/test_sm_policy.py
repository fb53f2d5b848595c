# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sm_policy's plan: which write (create, update, start, stop, delete, none) a document leads to."""

from __future__ import annotations

import pytest

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
