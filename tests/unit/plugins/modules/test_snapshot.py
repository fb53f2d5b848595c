# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""snapshot: when a restore needs force; backup_info: the etcd version rule."""

from __future__ import annotations

import pytest

from ansible_collections.raftops.cluster.plugins.modules import backup_info, snapshot


def test_a_fresh_cluster_can_be_restored_without_force():
    assert snapshot.restore_refusal({"Revision": 0, "Generation": "1"}, False) is None


def test_a_cluster_with_data_needs_force():
    refusal = snapshot.restore_refusal({"Revision": 42, "Generation": "3"}, False)
    assert "holds data (state revision 42, generation 3)" in refusal and "force=true" in refusal
    assert snapshot.restore_refusal({"Revision": 42, "Generation": "3"}, True) is None


def test_a_server_that_cannot_tell_needs_force():
    assert "cannot tell whether the cluster holds data" in snapshot.restore_refusal(None, False)
    assert snapshot.restore_refusal(None, True) is None


@pytest.mark.parametrize(("version", "expected"), [("3.4.23", "3.4"), ("3.10.0-rc.1", "3.10"), ("3.5.1+meta", "3.5")])
def test_major_minor(version, expected):
    assert backup_info.major_minor(version) == expected


@pytest.mark.parametrize("version", ["3.4", "v3.4.1", "3.x.1", ""])
def test_major_minor_refuses_what_the_sidecar_refuses(version):
    with pytest.raises(ValueError, match="dotted-tri"):
        backup_info.major_minor(version)
