# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The version rules of an etcd rolling upgrade, for playbooks/upgrade.yml."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: etcd_upgrade_check
short_description: Decide whether an etcd cluster may move to a version, by etcd's upgrade rules
version_added: 0.1.0
author:
  - raftops maintainers (@raftops)
description:
  - Takes the etcd version each member runs, the cluster version etcd reports and the version to move to, and tells
    whether the move follows etcd's rules, with the reason when it does not.
  - A move within one minor version (a patch upgrade, or nothing to do) and an upgrade of exactly one minor version
    (3.4 to 3.5) are allowed; so is resuming one that stopped half way (some members already at the target).
  - Refused - a jump over a minor version (3.4 to 3.6), a change of major version, members more than one minor
    version apart, and any downgrade.
  - With O(rollback=true), a downgrade back to the lower minor version of an upgrade that has not finished is allowed,
    as etcd allows it - only while the cluster version is still that lower minor version, that is while at least one
    member has not been upgraded. A patch downgrade within a minor version is allowed with it too.
options:
  _input:
    description:
      - The members, a list of dicts with C(name) and C(version) (V(X.Y.Z), what the member's C(/version) reports as
        C(etcdserver)).
    type: list
    elements: dict
    required: true
  target:
    description:
      - The version to move to, V(X.Y.Z). A Debian package version such as V(3.5.16-4) or V(3.5.16+dfsg-1) counts as
        its upstream version.
    type: str
    required: true
  cluster_version:
    description:
      - The cluster version etcd reports (C(etcdcluster) of C(/version), for example V(3.4.0)); empty when unknown.
    type: str
    default: ""
  rollback:
    description: Allow going back to the lower minor version of an unfinished upgrade, and patch downgrades.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Refuse a move etcd does not support
  ansible.builtin.assert:
    that: _check.ok
    fail_msg: "{{ _check.msg }}"
  vars:
    _check: >-
      {{ [{'name': 'etcd1', 'version': '3.4.23'}, {'name': 'etcd2', 'version': '3.4.23'}]
         | raftops.cluster.etcd_upgrade_check('3.6.0', cluster_version='3.4.0') }}
"""

RETURN = r"""
_value:
  description: The decision.
  type: dict
  contains:
    ok:
      description: Whether the move is allowed.
      type: bool
    msg:
      description: What the move is, or why it is refused.
      type: str
    kind:
      description: V(none), V(patch upgrade), V(minor upgrade), V(rollback) or V(refused).
      type: str
    target:
      description: The target as V(X.Y.Z).
      type: str
    cluster_version_after:
      description: The cluster version etcd will report once every member runs the target, V(X.Y.0).
      type: str
    to_change:
      description: Names of the members whose version differs from the target.
      type: list
      elements: str
"""

import re

from ansible.errors import AnsibleFilterError

VERSION = re.compile(r"^(?:[0-9]+:)?v?([0-9]+)\.([0-9]+)\.([0-9]+)(?:[-+~].*)?$")


def parse(version, what):
    """(major, minor, patch) of an etcd or Debian version string."""
    match = VERSION.match(str(version).strip())
    if not match:
        raise ValueError(f"{what} '{version}' is not a version X.Y.Z")
    return tuple(int(part) for part in match.groups())


def show(version):
    return ".".join(str(part) for part in version)


def minor(version):
    return f"{version[0]}.{version[1]}"


def refuse(msg, target=""):
    return {"ok": False, "msg": msg, "kind": "refused", "target": target, "cluster_version_after": "", "to_change": []}


def etcd_upgrade_check(members, target, cluster_version="", rollback=False):
    if not isinstance(members, list) or not members:
        raise AnsibleFilterError("etcd_upgrade_check: the input must be a non-empty list of members")
    try:
        want = parse(target, "the target version")
        have = {}
        for member in members:
            if not isinstance(member, dict) or "name" not in member or "version" not in member:
                raise ValueError(f"a member must be a dict with name and version, got {member!r}")
            have[str(member["name"])] = parse(member["version"], f"the version of {member['name']}")
        cluster = parse(cluster_version, "the cluster version") if str(cluster_version or "").strip() else None
    except ValueError as exc:
        return refuse(str(exc))

    target_text = show(want)
    running = ", ".join(f"{name} {show(version)}" for name, version in sorted(have.items()))
    to_change = sorted(name for name, version in have.items() if version != want)
    after = f"{want[0]}.{want[1]}.0"
    majors = {version[0] for version in have.values()}
    if majors != {want[0]}:
        return refuse(
            f"etcd {target_text} is another major version than the members run ({running}): etcd upgrades one minor "
            "version at a time within a major version",
            target_text,
        )
    low = min(version[1] for version in have.values())
    high = max(version[1] for version in have.values())
    if high - low > 1:
        return refuse(
            f"the members run versions more than one minor version apart ({running}); etcd never runs like that: "
            "find out what happened before changing anything",
            target_text,
        )
    if want[1] > low + 1:
        return refuse(
            f"etcd {target_text} skips a minor version: the members run {running}, and etcd upgrades one minor "
            f"version at a time; upgrade to {want[0]}.{low + 1}.x first, then run the upgrade again",
            target_text,
        )

    def result(kind, msg):
        return {
            "ok": True,
            "msg": msg,
            "kind": kind,
            "target": target_text,
            "cluster_version_after": after,
            "to_change": to_change,
        }

    newer = sorted(name for name, version in have.items() if version > want)
    if not newer:
        if not to_change:
            return result("none", f"every member runs etcd {target_text} already ({running})")
        if want[1] == low + 1:
            return result("minor upgrade", f"etcd {minor((want[0], low))} -> {target_text} ({running})")
        return result("patch upgrade", f"etcd -> {target_text} within {minor(want)} ({running})")

    # Some member runs something newer than the target: a downgrade.
    if not rollback:
        return refuse(
            f"etcd {target_text} is a downgrade for {', '.join(newer)} ({running}). etcd does not downgrade; to back "
            "out of an upgrade that has not finished, run again with raftops_upgrade_rollback=true "
            "(docs/runbooks/upgrade.md)",
            target_text,
        )
    if want[1] < high:
        # Back to the lower minor: only while the cluster version still is that minor (some member not upgraded).
        if cluster is None or (cluster[0], cluster[1]) != (want[0], want[1]):
            where = show(cluster) if cluster else "unknown"
            return refuse(
                f"cannot go back to etcd {minor(want)}: the cluster version is {where}, so every member was upgraded "
                f"and the data is {minor((want[0], high))} data now ({running}). Back out by restoring the snapshot "
                "taken before the upgrade (docs/runbooks/upgrade.md)",
                target_text,
            )
        return {
            "ok": True,
            "msg": f"back to etcd {target_text}: the cluster version is still {show(cluster)} ({running})",
            "kind": "rollback",
            "target": target_text,
            "cluster_version_after": show(cluster),
            "to_change": to_change,
        }
    return result("rollback", f"patch downgrade to etcd {target_text} within {minor(want)} ({running})")


class FilterModule(object):
    def filters(self):
        return {"etcd_upgrade_check": etcd_upgrade_check}
