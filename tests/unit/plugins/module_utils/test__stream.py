# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What makes a downloaded snapshot untrustworthy (the streaming itself is exercised by the snapshot target)."""

from __future__ import annotations

import hashlib

from ansible_collections.raftops.cluster.plugins.module_utils._archive import digest_header
from ansible_collections.raftops.cluster.plugins.module_utils._stream import _transfer_problem

BODY = b"an archive body"
SHA = hashlib.sha256(BODY).digest()


def test_a_whole_body_with_its_digest_is_fine():
    headers = {"content-length": str(len(BODY)), "digest": digest_header(SHA)}
    assert _transfer_problem(headers, len(BODY), SHA, True) is None


def test_a_short_body_is_a_problem():
    headers = {"content-length": str(len(BODY) + 5), "digest": digest_header(SHA)}
    assert "Content-Length said" in _transfer_problem(headers, len(BODY), SHA, True)


def test_a_digest_mismatch_is_a_problem():
    headers = {"digest": digest_header(hashlib.sha256(b"other").digest())}
    assert _transfer_problem(headers, len(BODY), SHA, True) == "mismatch checksum"


def test_a_missing_digest_is_a_problem_only_when_required():
    assert _transfer_problem({}, len(BODY), SHA, True) == "the response has no Digest header"
    assert _transfer_problem({}, len(BODY), SHA, False) is None
