# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SM policy documents: OpenSearch TimeValues, the comparable view, predictions of what the server stores, the body
of an update."""

from __future__ import annotations

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils import _sm

# The server's answer for a policy created from CREATED (seed example, abridged).
STORED = {
    "name": "daily",
    "description": "Daily",
    "schema_version": 30,
    "creation": {"schedule": {"cron": {"expression": "0 8 * * *", "timezone": "UTC"}}, "time_limit": "1h"},
    "deletion": {
        "schedule": {"cron": {"expression": "0 8 * * *", "timezone": "UTC"}},
        "condition": {"max_age": "7d", "min_count": 1, "max_count": 21},
    },
    "snapshot_config": {"repository": "repo", "metadata": {"a": "b"}},
    "schedule": {"interval": {"start_time": 1795479453642, "period": 1, "unit": "Minutes"}},
    "enabled": True,
    "last_updated_time": 1795479453642,
    "enabled_time": 1795479453642,
    "notification": {
        "channel": {"id": "hook"},
        "conditions": {"creation": True, "deletion": False, "failure": False, "time_limit_exceeded": False},
    },
}
CREATED = {
    "description": "Daily",
    "creation": {"schedule": {"cron": {"expression": "0 8 * * *", "timezone": "UTC"}}, "time_limit": "60m"},
    "deletion": {"condition": {"max_age": "168h", "max_count": 21}},
    "snapshot_config": {"repository": "repo", "metadata": {"a": "b"}},
    "notification": {"channel": {"id": "hook"}},
}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("24h", "1d"),
        ("90m", "1.5h"),
        ("100m", "1.6h"),
        ("150s", "2.5m"),
        ("60m", "1h"),
        ("1500ms", "1.5s"),
        ("0", "0s"),
        ("0s", "0s"),
        ("-1", "-1"),
        ("999nanos", "999nanos"),
        ("1micros", "1micros"),
        ("3 H", "3h"),
        ("7d", "7d"),
        ("100000d", "100000d"),
        ("123456789ms", "1.4d"),
    ],
)
def test_time_values_are_shown_as_opensearch_prints_them(text, shown):
    assert _sm.show_time(text, "time_limit") == shown


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soon", r"failed to parse setting \[time_limit\] with value \[soon\] as a time value: unit is missing"),
        ("1.5h", r"failed to parse \[1.5h\], fractional time values are not supported"),
        ("-2h", "negative durations are not supported"),
        ("5M", "unit is missing or unrecognized"),
        ("xh", r"failed to parse \[xh\]"),
    ],
)
def test_bad_time_values_are_refused_in_the_servers_words(text, message):
    with pytest.raises(ValueError, match=message):
        _sm.parse_time(text, "time_limit")


def test_view_drops_what_the_server_generates():
    view = _sm.view(STORED)
    assert set(_sm.SERVER_FIELDS).isdisjoint(view)
    assert view["enabled"] is True and view["snapshot_config"] == STORED["snapshot_config"]


def test_created_view_predicts_the_stored_document():
    assert _sm.created_view(CREATED) == _sm.view(STORED)


def test_created_view_keeps_what_the_user_set():
    wanted = dict(CREATED, enabled=False, notification={"channel": {"id": "x"}, "conditions": {"failure": True}})
    view = _sm.created_view(wanted)
    assert view["enabled"] is False
    assert view["notification"]["conditions"] == {
        "creation": True,
        "deletion": False,
        "failure": True,
        "time_limit_exceeded": False,
    }


def test_compare_looks_only_at_the_keys_set_and_normalises_time_values():
    current = _sm.view(STORED)
    assert _sm.compare(CREATED, current) == []
    assert _sm.compare({"creation": {"time_limit": "3600s"}}, current) == []
    assert _sm.compare({"creation": {"time_limit": "2h"}, "enabled": False}, current) == [
        "creation.time_limit",
        "enabled",
    ]
    assert _sm.compare({"snapshot_config": {"metadata": {"c": "d"}}}, current) == ["snapshot_config.metadata.c"]


def test_updated_view_lays_the_users_keys_over_the_current_document():
    view = _sm.updated_view(_sm.view(STORED), {"description": "new", "creation": {"time_limit": "120m"}})
    assert view["description"] == "new"
    assert view["creation"] == {"schedule": STORED["creation"]["schedule"], "time_limit": "2h"}
    assert view["deletion"] == STORED["deletion"]


def test_updated_view_fills_what_the_server_fills():
    current = dict(_sm.view(STORED))
    del current["notification"]
    view = _sm.updated_view(current, {"notification": {"channel": {"id": "new"}}})
    assert view["notification"]["conditions"]["creation"] is True


def test_update_body_sends_the_whole_document_without_the_servers_bookkeeping():
    body = _sm.update_body(STORED, {"description": "new"})
    assert body["description"] == "new"
    assert "name" not in body and "schema_version" not in body and "last_updated_time" not in body
    assert body["schedule"] == STORED["schedule"]
    assert body["enabled_time"] == STORED["enabled_time"]
    assert body["creation"] == STORED["creation"] and body["deletion"] == STORED["deletion"]


def test_update_body_lets_the_server_set_the_enabled_time_when_enabling_or_disabling():
    assert "enabled_time" not in _sm.update_body(STORED, {"enabled": False})
    stopped = dict(STORED, enabled=False, enabled_time=None)
    body = _sm.update_body(stopped, {"enabled": True})
    assert body["enabled"] is True and "enabled_time" not in body


def test_update_body_refuses_to_send_back_a_rounded_time_value():
    stored = dict(STORED, creation=dict(STORED["creation"], time_limit="1.6h"))
    with pytest.raises(ValueError, match="creation.time_limit is shown by the server as '1.6h'"):
        _sm.update_body(stored, {"description": "new"})
    body = _sm.update_body(stored, {"creation": {"time_limit": "100m"}})
    assert body["creation"]["time_limit"] == "100m"


@pytest.mark.parametrize(
    ("doc", "creating", "message"),
    [
        ({"snapshot_config": {"repository": "r"}}, True, "Must provide either creation or deletion configuration."),
        ({"creation": {"schedule": {}}}, True, "Must provide the repository in snapshot config."),
        (
            {"deletion": {"condition": {"max_count": 2}}, "snapshot_config": {"repository": "r"}},
            True,
            "Schedule not provided for neither deletion policy nor creation policy",
        ),
        ({"deletion": {"schedule": {}}}, False, "condition must not be null"),
        ({"deletion": {"condition": {"min_count": 2}}}, False, "Please provide max_age or max_count"),
        ({"deletion": {"condition": {"max_count": 5, "min_count": 0}}}, False, "min_count should be bigger than 0"),
        ({"deletion": {"condition": {"max_count": 1}}}, False, "max_count should be bigger than min_count"),
        ({"deletion": {"condition": {"max_age": "1.5d"}}}, False, "deletion.condition.max_age: failed to parse"),
    ],
)
def test_check_document(doc, creating, message):
    with pytest.raises(ValueError, match=message):
        _sm.check_document(doc, creating)


def test_check_document_accepts_a_valid_document():
    assert _sm.check_document(CREATED, True) is CREATED


def test_prune_drops_unset_sub_options():
    assert _sm.prune({"a": None, "b": {"c": None, "d": {"e": None}}, "f": 0, "g": {"h": False}}) == {
        "f": 0,
        "g": {"h": False},
    }
