# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_license.decode reads a blob as the server does (tests/fixtures/golden/licenses.json, from raftops.license):
the fields the server shows for it, or None where the server refuses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils._license import decode

GOLDEN = json.loads((Path(__file__).resolve().parents[3] / "fixtures" / "golden" / "licenses.json").read_text("utf-8"))


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda case: case["name"])
def test_decode_like_the_server(case):
    assert decode(case["blob"]) == case.get("result")
