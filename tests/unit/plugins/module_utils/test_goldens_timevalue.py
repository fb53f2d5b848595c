# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_sm.py's TimeValue gives the server's answers (tests/fixtures/golden/timevalues.json, from
raftops.sm.timevalue)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils._sm import show_time

GOLDEN = json.loads(
    (Path(__file__).resolve().parents[3] / "fixtures" / "golden" / "timevalues.json").read_text("utf-8")
)


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda case: repr(case["input"]))
def test_timevalue_like_the_server(case):
    if "error" in case:
        with pytest.raises(ValueError) as caught:
            show_time(case["input"], case["setting"])
        assert str(caught.value) == case["error"]
    else:
        assert show_time(case["input"], case["setting"]) == case["result"]
