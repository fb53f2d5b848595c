# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Configuration objects: options to API fields, duration normalisation, the merged whole, the module result."""

from __future__ import annotations

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils._cas import Snapshot, WriteResult
from ansible_collections.raftops.cluster.plugins.module_utils._config_object import (
    BOOL,
    DICT,
    DURATION,
    INT,
    STR,
    Field,
    cas_argument_spec,
    desired,
    manage,
    normalise,
    subset_plan,
)

FIELDS = (
    Field("cleanup_dead_servers", "CleanupDeadServers", BOOL),
    Field("last_contact_threshold", "LastContactThreshold", DURATION),
    Field("max_trailing_logs", "MaxTrailingLogs", INT),
    Field("name", "Name", STR),
    Field("nested", "Nested", DICT, (Field("flag", "Flag", BOOL), Field("wait", "Wait", DURATION))),
)
CURRENT = {
    "CleanupDeadServers": True,
    "LastContactThreshold": "200ms",
    "MaxTrailingLogs": 250,
    "Name": "x",
    "Nested": {"Flag": False, "Wait": "1m0s"},
    "CreateIndex": 4,
    "ModifyIndex": 9,
}


def test_desired_keeps_only_set_options_under_api_names():
    params = {"cleanup_dead_servers": False, "last_contact_threshold": None, "max_trailing_logs": 0, "nested": None}
    assert desired(params, FIELDS) == {"CleanupDeadServers": False, "MaxTrailingLogs": 0}


def test_desired_canonicalises_durations_and_recurses():
    params = {"last_contact_threshold": "0.2s", "nested": {"flag": None, "wait": "60s"}}
    assert desired(params, FIELDS) == {"LastContactThreshold": "200ms", "Nested": {"Wait": "1m0s"}}
    assert desired({"nested": {"flag": None, "wait": None}}, FIELDS) == {}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"last_contact_threshold": "fast"}, 'last_contact_threshold: time: invalid duration "fast"'),
        ({"nested": {"wait": "5"}}, 'nested.wait: time: missing unit in duration "5"'),
        ({"max_trailing_logs": -1}, "max_trailing_logs: must be 0 or greater, got -1"),
    ],
)
def test_desired_names_the_bad_option(params, message):
    with pytest.raises(ValueError) as error:
        desired(params, FIELDS)
    assert message in str(error.value)


def test_normalise_canonicalises_current_durations():
    assert normalise({"LastContactThreshold": "0.2s", "Nested": {"Wait": "60s"}}, FIELDS) == {
        "LastContactThreshold": "200ms",
        "Nested": {"Wait": "1m0s"},
    }
    assert normalise({"LastContactThreshold": "garbage"}, FIELDS) == {"LastContactThreshold": "garbage"}


def test_subset_plan_writes_the_merged_whole_without_bookkeeping():
    plan = subset_plan({"LastContactThreshold": "500ms", "Nested": {"Flag": True}}, FIELDS)
    decision = plan(CURRENT)
    assert decision.changed
    assert decision.differences == ["LastContactThreshold", "Nested.Flag"]
    assert decision.after == {
        "CleanupDeadServers": True,
        "LastContactThreshold": "500ms",
        "MaxTrailingLogs": 250,
        "Name": "x",
        "Nested": {"Flag": True, "Wait": "1m0s"},
    }
    assert not plan(dict(CURRENT, LastContactThreshold="0.5s", Nested={"Flag": True, "Wait": "1m"})).changed


class FakeModule:
    def __init__(self, params, check_mode=False, diff=True):
        self.params = dict(cas_index=None, cas_retries=3, **params)
        self.check_mode = check_mode
        self._diff = diff
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)


class Server:
    def __init__(self, obj, answers_index=True):
        self.obj = dict(obj)
        self.answers_index = answers_index
        self.reads = 0
        self.writes = []

    def read(self):
        self.reads += 1
        return Snapshot(dict(self.obj), self.obj["ModifyIndex"])

    def write(self, body, index):
        self.writes.append((body, index))
        if index != self.obj["ModifyIndex"]:
            return WriteResult(False)
        self.obj = dict(body, CreateIndex=self.obj["CreateIndex"], ModifyIndex=self.obj["ModifyIndex"] + 1)
        return WriteResult(True, self.obj["ModifyIndex"] if self.answers_index else None)


def test_manage_unchanged_returns_the_current_object():
    server = Server(CURRENT)
    result = manage(FakeModule({"max_trailing_logs": 250}), server.read, server.write, FIELDS, "it")
    assert result["changed"] is False
    assert result["config"] == CURRENT
    assert result["diff"]["before"] == result["diff"]["after"]
    assert "ModifyIndex" not in result["diff"]["before"]
    assert (server.reads, server.writes) == (1, [])


def test_manage_check_mode_predicts_at_the_current_indexes_and_the_diff_matches_the_real_run():
    module = FakeModule({"last_contact_threshold": "0.5s"}, check_mode=True)
    server = Server(CURRENT)
    predicted = manage(module, server.read, server.write, FIELDS, "it")
    assert predicted["changed"] and server.writes == []
    assert predicted["config"]["LastContactThreshold"] == "500ms"
    assert predicted["config"]["ModifyIndex"] == 9

    real = manage(FakeModule({"last_contact_threshold": "0.5s"}), server.read, server.write, FIELDS, "it")
    assert real["diff"] == predicted["diff"]
    assert real["config"]["ModifyIndex"] == 10
    assert real["config"]["CreateIndex"] == 4
    assert server.writes[0][1] == 9
    assert "ModifyIndex" not in server.writes[0][0]


def test_manage_rereads_when_the_write_does_not_answer_an_index():
    server = Server(CURRENT, answers_index=False)
    result = manage(
        FakeModule({"cleanup_dead_servers": False}),
        server.read,
        server.write,
        FIELDS,
        "it",
        reread=lambda: dict(server.obj, Reread=True),
    )
    assert result["config"]["Reread"] is True
    assert result["config"]["CleanupDeadServers"] is False


def test_manage_without_diff_mode_has_no_diff():
    server = Server(CURRENT)
    result = manage(FakeModule({"name": "y"}, diff=False), server.read, server.write, FIELDS, "it")
    assert "diff" not in result and result["differences"] == ["Name"]


def test_cas_argument_spec_is_a_fresh_copy():
    spec = cas_argument_spec()
    spec["cas_retries"]["default"] = 99
    assert cas_argument_spec()["cas_retries"]["default"] == 3
