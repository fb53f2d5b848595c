# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""etcd's upgrade rules as playbooks/upgrade.yml applies them: one minor version at a time, no downgrade."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.raftops.cluster.plugins.filter.etcd_upgrade_check import FilterModule, etcd_upgrade_check


def members(*versions):
    return [{"name": f"etcd{n + 1}", "version": version} for n, version in enumerate(versions)]


def test_the_filter_is_registered_under_its_name():
    assert FilterModule().filters()["etcd_upgrade_check"] is etcd_upgrade_check


def test_one_minor_version_up_is_an_upgrade_of_every_member():
    check = etcd_upgrade_check(members("3.4.23", "3.4.23", "3.4.23"), "3.5.16", cluster_version="3.4.0")
    assert check["ok"] is True
    assert check["kind"] == "minor upgrade"
    assert check["target"] == "3.5.16"
    assert check["cluster_version_after"] == "3.5.0"
    assert check["to_change"] == ["etcd1", "etcd2", "etcd3"]
    assert "3.4 -> 3.5.16" in check["msg"]


def test_a_stopped_upgrade_resumes_with_the_members_left():
    check = etcd_upgrade_check(members("3.5.16", "3.4.23", "3.5.16"), "3.5.16", cluster_version="3.4.0")
    assert check["ok"] is True
    assert check["kind"] == "minor upgrade"
    assert check["to_change"] == ["etcd2"]


def test_debian_package_versions_count_as_their_upstream_version():
    check = etcd_upgrade_check(members("3.4.23", "3.4.23", "3.4.23"), "3.5.16-4", cluster_version="3.4.0")
    assert check["ok"] is True
    assert check["target"] == "3.5.16"
    assert etcd_upgrade_check(members("3.5.15"), "1:3.5.16+dfsg-1")["target"] == "3.5.16"


def test_a_patch_upgrade_and_nothing_to_do():
    patch = etcd_upgrade_check(members("3.5.15", "3.5.16", "3.5.15"), "3.5.16", cluster_version="3.5.0")
    assert (patch["ok"], patch["kind"], patch["to_change"]) == (True, "patch upgrade", ["etcd1", "etcd3"])
    same = etcd_upgrade_check(members("3.5.16", "3.5.16", "3.5.16"), "3.5.16", cluster_version="3.5.0")
    assert (same["ok"], same["kind"], same["to_change"]) == (True, "none", [])


@pytest.mark.parametrize(
    ("versions", "target", "words"),
    [
        (("3.4.23", "3.4.23", "3.4.23"), "3.6.0", "skips a minor version"),
        (("3.4.23", "3.5.16", "3.4.23"), "3.6.0", "skips a minor version"),
        (("3.4.23", "3.4.23", "3.4.23"), "4.0.0", "another major version"),
        (("3.3.27", "3.5.16", "3.5.16"), "3.5.16", "more than one minor version apart"),
    ],
)
def test_jumps_are_refused_with_the_reason(versions, target, words):
    check = etcd_upgrade_check(members(*versions), target, cluster_version="3.4.0")
    assert check["ok"] is False
    assert check["kind"] == "refused"
    assert words in check["msg"]


def test_a_jump_names_the_version_to_go_to_first():
    check = etcd_upgrade_check(members("3.4.23", "3.4.23", "3.4.23"), "3.6.4", cluster_version="3.4.0")
    assert "upgrade to 3.5.x first" in check["msg"]


@pytest.mark.parametrize(
    ("versions", "target", "cluster"),
    [
        (("3.5.16", "3.5.16", "3.5.16"), "3.4.23", "3.5.0"),
        (("3.5.16", "3.4.23", "3.4.23"), "3.4.23", "3.4.0"),
        (("3.5.16", "3.5.16", "3.5.16"), "3.5.15", "3.5.0"),
    ],
)
def test_every_downgrade_is_refused_without_rollback(versions, target, cluster):
    check = etcd_upgrade_check(members(*versions), target, cluster_version=cluster)
    assert check["ok"] is False
    assert "downgrade" in check["msg"]
    assert "raftops_upgrade_rollback=true" in check["msg"]


def test_rollback_of_an_unfinished_upgrade_while_the_cluster_version_is_the_old_one():
    check = etcd_upgrade_check(members("3.5.16", "3.4.23", "3.4.23"), "3.4.23", cluster_version="3.4.0", rollback=True)
    assert check["ok"] is True
    assert check["kind"] == "rollback"
    assert check["to_change"] == ["etcd1"]
    assert check["cluster_version_after"] == "3.4.0"


@pytest.mark.parametrize("cluster", ["3.5.0", ""])
def test_no_rollback_once_the_cluster_version_moved_on_or_is_unknown(cluster):
    check = etcd_upgrade_check(members("3.5.16", "3.5.16", "3.5.16"), "3.4.23", cluster_version=cluster, rollback=True)
    assert check["ok"] is False
    assert "restoring the snapshot" in check["msg"]


def test_a_patch_downgrade_needs_rollback():
    check = etcd_upgrade_check(members("3.5.17", "3.5.17"), "3.5.16", cluster_version="3.5.0", rollback=True)
    assert (check["ok"], check["kind"]) == (True, "rollback")


@pytest.mark.parametrize(
    ("versions", "target", "cluster", "words"),
    [
        (("3.4",), "3.5.16", "", "the version of etcd1 '3.4' is not a version X.Y.Z"),
        (("3.4.23",), "latest", "", "the target version 'latest' is not a version X.Y.Z"),
        (("3.4.23",), "3.5.16", "three", "the cluster version 'three' is not a version X.Y.Z"),
    ],
)
def test_bad_versions_are_refused_with_what_was_wrong(versions, target, cluster, words):
    check = etcd_upgrade_check(members(*versions), target, cluster_version=cluster)
    assert check["ok"] is False
    assert words in check["msg"]


@pytest.mark.parametrize("bad", [[], "3.4.23", None])
def test_the_input_must_be_a_list_of_members(bad):
    with pytest.raises(AnsibleFilterError, match="non-empty list of members"):
        etcd_upgrade_check(bad, "3.5.16")


def test_a_member_without_a_version_is_refused():
    check = etcd_upgrade_check([{"name": "etcd1"}], "3.5.16")
    assert check["ok"] is False
    assert "must be a dict with name and version" in check["msg"]
