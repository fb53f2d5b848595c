# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Comparing only the keys the user set, merging them over the full object, and the diff result."""

from __future__ import annotations

from ansible_collections.raftops.cluster.plugins.module_utils._diff import (
    differences,
    get_path,
    make_diff,
    merge,
    strip,
)

CURRENT = {
    "SchedulerAlgorithm": "binpack",
    "PreemptionConfig": {"SystemSchedulerEnabled": True, "BatchSchedulerEnabled": False},
    "PauseEvalBroker": False,
    "CreateIndex": 5,
    "ModifyIndex": 9,
}


def test_strip_removes_bookkeeping_at_every_level_and_copies():
    obj = {"A": 1, "ModifyIndex": 3, "Nested": {"CreateIndex": 1, "B": [{"ModifyIndex": 2, "C": 3}]}}
    stripped = strip(obj)
    assert stripped == {"A": 1, "Nested": {"B": [{"C": 3}]}}
    stripped["Nested"]["B"][0]["C"] = 99
    assert obj["Nested"]["B"][0]["C"] == 3
    assert strip(None) is None
    assert strip({"Hash": "x", "A": 1}, keys=("Hash",)) == {"A": 1}


def test_differences_compare_only_the_keys_set():
    assert differences({"SchedulerAlgorithm": "binpack"}, CURRENT) == []
    assert differences({"SchedulerAlgorithm": "spread"}, CURRENT) == ["SchedulerAlgorithm"]
    assert differences({}, CURRENT) == []


def test_differences_recurse_into_nested_keys_and_sort():
    wanted = {"PreemptionConfig": {"BatchSchedulerEnabled": True}, "PauseEvalBroker": True}
    assert differences(wanted, CURRENT) == ["PauseEvalBroker", "PreemptionConfig.BatchSchedulerEnabled"]
    assert differences({"PreemptionConfig": {"SystemSchedulerEnabled": True}}, CURRENT) == []


def test_differences_treat_missing_current_keys_as_none():
    assert differences({"New": 1}, CURRENT) == ["New"]
    assert differences({"Nested": {"X": 1}}, {"Nested": "not a dict"}) == ["Nested.X"]
    assert differences({"A": None}, {}) == []


def test_differences_use_the_given_equality():
    def equal(path, wanted, current):
        return str(wanted).lower() == str(current).lower()

    assert differences({"SchedulerAlgorithm": "BINPACK"}, CURRENT, equal) == []


def test_merge_lays_wanted_keys_over_a_copy():
    merged = merge(CURRENT, {"PreemptionConfig": {"BatchSchedulerEnabled": True}, "PauseEvalBroker": True})
    assert merged["PreemptionConfig"] == {"SystemSchedulerEnabled": True, "BatchSchedulerEnabled": True}
    assert merged["PauseEvalBroker"] is True
    assert merged["SchedulerAlgorithm"] == "binpack"
    assert CURRENT["PauseEvalBroker"] is False
    assert CURRENT["PreemptionConfig"]["BatchSchedulerEnabled"] is False
    assert merge(None, {"A": 1}) == {"A": 1}
    assert merge({"A": 1}, {"A": {"B": 2}}) == {"A": {"B": 2}}


def test_get_path():
    assert get_path(CURRENT, "PreemptionConfig.SystemSchedulerEnabled") is True
    assert get_path(CURRENT, "PreemptionConfig.Missing") is None
    assert get_path(CURRENT, "SchedulerAlgorithm.Deeper") is None


def test_make_diff():
    assert make_diff(None, {"A": 1}) == {"before": {}, "after": {"A": 1}}
    assert make_diff({"A": 1}, None, "old", "new") == {
        "before": {"A": 1},
        "after": {},
        "before_header": "old",
        "after_header": "new",
    }
