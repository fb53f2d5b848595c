# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_duration.py gives the server's answers (tests/fixtures/golden/durations.json, from raftops.godur)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils._duration import canonical, format_ns, parse_ns

GOLDEN = json.loads((Path(__file__).resolve().parents[3] / "fixtures" / "golden" / "durations.json").read_text("utf-8"))


@pytest.mark.parametrize("case", GOLDEN["parse"], ids=lambda case: repr(case["input"]))
def test_parse_like_the_server(case):
    if "error" in case:
        with pytest.raises(ValueError) as caught:
            parse_ns(case["input"])
        assert str(caught.value) == case["error"]
    else:
        assert parse_ns(case["input"]) == case["result"]
        assert canonical(case["input"]) == case["canonical"]


@pytest.mark.parametrize("case", GOLDEN["format"], ids=lambda case: str(case["ns"]))
def test_format_like_the_server(case):
    assert format_ns(case["ns"]) == case["text"]
