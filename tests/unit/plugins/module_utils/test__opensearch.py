# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""OpenSearch error shapes and name rules."""

from __future__ import annotations

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils import _opensearch
from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsAPIError


def error(status, kind, reason):
    cause = {"type": kind, "reason": reason}
    return {"error": dict(cause, root_cause=[cause]), "status": status}


def test_error_type_and_reason():
    body = error(404, "repository_missing_exception", "[x] missing")
    assert _opensearch.error_type(body) == "repository_missing_exception"
    assert _opensearch.error_reason(body) == "[x] missing"
    assert _opensearch.error_type("text") is None
    assert _opensearch.error_reason({"error": "Incorrect HTTP method", "status": 405}) == "Incorrect HTTP method"


def test_is_missing_checks_the_status_and_the_type():
    missing = RaftopsAPIError(404, "[x] missing", error(404, "repository_missing_exception", "[x] missing"))
    assert _opensearch.is_missing(missing, "repository_missing_exception")
    assert _opensearch.is_missing(missing)
    assert not _opensearch.is_missing(missing, "status_exception")
    no_handler = RaftopsAPIError(404, "no handler", {"error": "no handler found", "status": 404})
    assert not _opensearch.is_missing(no_handler, "status_exception")
    assert not _opensearch.is_missing(RaftopsAPIError(500, "x"), "status_exception")


def test_conflicts_and_concurrent_updates():
    conflict = error(409, "version_conflict_engine_exception", "version conflict")
    assert _opensearch.is_version_conflict(409, conflict)
    assert not _opensearch.is_version_conflict(409, error(409, "status_exception", "Config type cannot be changed"))
    race = error(
        500, "status_exception", "Failed while trying to enable SM Policy due to a concurrent update, please try again"
    )
    assert _opensearch.is_concurrent_update(500, race)
    assert not _opensearch.is_concurrent_update(500, error(500, "status_exception", "something else"))
    assert not _opensearch.is_concurrent_update(409, race)


def test_policy_name_rules_report_every_problem():
    assert _opensearch.policy_name_problems("daily-policy") == []
    problems = _opensearch.policy_name_problems("Daily Policy")
    assert "Policy name must not contain whitespace." in problems
    assert "Policy name must be lowercase." in problems
    assert _opensearch.policy_name_problems("_x#,")[:3] == [
        "Policy name must not contain ','.",
        "Policy name must not contain '#'.",
        "Policy name must not start with '_'.",
    ]
    with pytest.raises(ValueError, match="Policy name cannot be empty"):
        _opensearch.check_policy_name("")


@pytest.mark.parametrize("name", ["", "a#b", "a*", "a,b", "a b", "a/b", "_all"])
def test_repository_names_the_api_would_misread_are_refused(name):
    with pytest.raises(ValueError, match="invalid repository name"):
        _opensearch.check_repository_name(name)


def test_channel_ids():
    assert _opensearch.check_channel_id("NC3OpoEBzEoHMX183R3f") == "NC3OpoEBzEoHMX183R3f"
    assert _opensearch.check_channel_id("ops_hook-1+x") == "ops_hook-1+x"
    for bad in ("", "a/b", "a b", "a.b"):
        with pytest.raises(ValueError, match="invalid channel id"):
            _opensearch.check_channel_id(bad)


def test_settings_are_compared_as_the_server_stores_them():
    assert _opensearch.settings_text({"compress": True, "n": 5, "s": "x", "f": False}) == {
        "compress": "true",
        "n": "5",
        "s": "x",
        "f": "false",
    }
    with pytest.raises(ValueError, match="must be a string, a number or a boolean"):
        _opensearch.settings_text({"location": ["a"]})
