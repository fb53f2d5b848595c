# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""variable: Nomad's path rules, item checks, and diffs that never show a value."""

from __future__ import annotations

import pytest

from ansible_collections.raftops.cluster.plugins.modules import variable


@pytest.mark.parametrize(
    "path",
    [
        "app/db",
        "a",
        "x" * 128,
        "a-b_c~d/e",
        "nomad/jobs",
        "nomad/jobs/web/db",
        "nomad/sentinel/x",
        "nomad/job-templates/t",
    ],
)
def test_valid_paths(path):
    assert variable.path_error(path) is None


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "invalid path"),
        ("a b", "invalid path"),
        ("x" * 129, "invalid path"),
        ("a.b", "invalid path"),
        ("nomad", "reserved top-level directory"),
        ("nomad/settings", "reserved top-level directory"),
        ("nomad/job-templates", "reserved top-level directory"),
        ("nomad/job-templates/a/b", "reserved top-level directory"),
    ],
)
def test_invalid_paths(path, message):
    assert message in variable.path_error(path)


def test_check_items_turns_integers_into_strings():
    assert variable.check_items({"port": 5432, "user": "app"}) == {"port": "5432", "user": "app"}


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ({}, "non-empty dict"),
        (None, "non-empty dict"),
        ({"flag": True}, "items['flag'] must be a string, got a bool"),
        ({"hosts": ["a"]}, "items['hosts'] must be a string, got a list"),
        ({"k": None}, "got a NoneType"),
        ({"big": "x" * 65534}, "limited to 64 KiB"),
    ],
)
def test_check_items_refuses_bad_items_without_naming_the_value(items, message):
    with pytest.raises(ValueError) as error:
        variable.check_items(items)
    assert message in str(error.value)
    assert "xxxx" not in str(error.value)


def test_check_items_size_limit_counts_keys_and_values():
    assert variable.check_items({"ab": "x" * 65534})
    with pytest.raises(ValueError):
        variable.check_items({"abc": "x" * 65534})


def test_diff_view_hides_values_and_marks_changes():
    before = {"Namespace": "default", "Path": "app/db", "Items": {"user": "app", "password": "old"}, "ModifyIndex": 3}
    after = {"Namespace": "default", "Path": "app/db", "Items": {"user": "app", "password": "new", "port": "1"}}
    assert variable.diff_view(before) == {
        "Namespace": "default",
        "Path": "app/db",
        "Items": {"user": "<hidden>", "password": "<hidden>"},
    }
    assert variable.diff_view(after, before["Items"])["Items"] == {
        "user": "<hidden>",
        "password": "<hidden, changed>",
        "port": "<hidden>",
    }
    assert variable.diff_view(None) == {}
    rendered = repr(variable.diff_view(after, before["Items"]))
    assert "new" not in rendered and "old" not in rendered


def test_the_url_quotes_each_segment_and_keeps_slashes():
    api = variable.VariableAPI(client=None, namespace="default", path="app/db~1")
    assert api.url == "/v1/var/app/db~1"
