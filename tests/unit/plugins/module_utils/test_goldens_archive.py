# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_archive.inspect_file gives the server's verdict on every archive in tests/fixtures/golden/archives/
(archives.json, from raftops.snapshot.archive.verify): the same metadata and digests for a valid one, the same
error text for a broken one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils._archive import (
    ArchiveError,
    digest_mismatch,
    inspect_file,
)

FOLDER = Path(__file__).resolve().parents[3] / "fixtures" / "golden"
GOLDEN = json.loads((FOLDER / "archives.json").read_text("utf-8"))


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda case: Path(case["file"]).stem)
def test_inspect_like_the_server(case):
    path = str(FOLDER / case["file"])
    if "error" in case:
        with pytest.raises(ArchiveError) as caught:
            inspect_file(path)
        assert str(caught.value) == case["error"]
        return
    info = inspect_file(path)
    expected = case["result"]
    assert info["format"] == "raftops"
    assert info["meta"] == expected["meta"]
    assert info["items"] == expected["items"]
    assert info["item_counts"] == expected["item_counts"]
    assert info["size"] == expected["size"]
    assert info["sha256"] == expected["sha256"]
    assert info["digest"] == expected["digest"]


@pytest.mark.parametrize("case", GOLDEN["digests"], ids=lambda case: case["header"] or "(empty)")
def test_digest_check_like_the_server(case):
    """The collection accepts exactly the Digest headers the server accepts (its reasons may say more)."""
    mismatch = digest_mismatch(case["header"], bytes.fromhex(case["sha256"]))
    if "error" in case:
        assert mismatch is not None
    else:
        assert mismatch is None
