# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_opensearch.py checks names and masks header values as the server does (tests/fixtures/golden/names.json,
from raftops.sm.names, sm.notifications and sm.repositories)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils._opensearch import (
    check_channel_id,
    check_policy_name,
    check_repository_name,
    header_mask,
    is_header_mask,
    policy_name_problems,
    settings_text,
)

GOLDEN = json.loads((Path(__file__).resolve().parents[3] / "fixtures" / "golden" / "names.json").read_text("utf-8"))
# Names the collection refuses on purpose although the server stores them: "_all" (the API reads it as every
# repository) and channel ids with "/" (they cannot travel in a URL path).
STRICTER_REPOSITORY = {"_all"}


@pytest.mark.parametrize("case", GOLDEN["policy"], ids=lambda case: repr(case["name"]))
def test_policy_name_like_the_server(case):
    assert policy_name_problems(case["name"]) == case["problems"]
    if case["problems"]:
        with pytest.raises(ValueError):
            check_policy_name(case["name"])
    else:
        assert check_policy_name(case["name"]) == case["name"]


@pytest.mark.parametrize("case", GOLDEN["repository"], ids=lambda case: repr(case["name"]))
def test_repository_name_like_the_server(case):
    name = case["name"]
    if "error" in case:
        why = case["error"].split("] ", 1)[1]  # "[<name>] <why>"
        with pytest.raises(ValueError) as caught:
            check_repository_name(name)
        assert why in str(caught.value)
    elif name in STRICTER_REPOSITORY:
        with pytest.raises(ValueError):
            check_repository_name(name)
    else:
        assert check_repository_name(name) == name


@pytest.mark.parametrize("case", GOLDEN["channel_id"], ids=lambda case: repr(case["id"])[:40])
def test_channel_id_like_the_server(case):
    config_id = case["id"]
    if "error" in case or "/" in config_id:
        with pytest.raises(ValueError):
            check_channel_id(config_id)
    else:
        assert check_channel_id(config_id) == config_id


@pytest.mark.parametrize("case", GOLDEN["header_mask"], ids=lambda case: case["name"])
def test_header_mask_like_the_server(case):
    mask = header_mask(case["config_id"], case["name"], case["value"])
    assert mask == case["mask"]
    assert is_header_mask(mask)


@pytest.mark.parametrize("case", GOLDEN["setting_text"], ids=lambda case: repr(case["value"]))
def test_setting_text_like_the_server(case):
    assert settings_text({"key": case["value"]}) == {"key": case["text"]}
