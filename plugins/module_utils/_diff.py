# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Comparing, merging and diffing API objects (pure logic, no HTTP).

The modules manage objects the server owns in full (a configuration, a policy, a variable), while the user sets
only some of their keys. So a comparison looks only at the keys the user set (differences()), a write sends the
current object with those keys laid over it (merge()), and server bookkeeping (CreateIndex, ModifyIndex, hashes,
timestamps) never takes part in either or shows up in a diff (strip()).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

# Fields every Nomad-style object carries that say when it changed, not what it is.
BOOKKEEPING = ("CreateIndex", "ModifyIndex")


def _default_equal(path, wanted, current):
    return wanted == current


def strip(obj, keys=BOOKKEEPING):
    """A deep copy of ``obj`` without ``keys``, at every level of nested dicts. None stays None."""
    if isinstance(obj, dict):
        return dict((key, strip(value, keys)) for key, value in obj.items() if key not in keys)
    if isinstance(obj, list):
        return [strip(value, keys) for value in obj]
    return copy.deepcopy(obj)


def differences(wanted, current, equal=None, prefix=""):
    """Sorted dotted paths ("PreemptionConfig.BatchSchedulerEnabled") of the keys set in ``wanted`` that differ.

    Only keys present in ``wanted`` are compared; a nested dict in ``wanted`` is compared key by key against the
    same key of ``current`` (a missing or non-dict current value counts as empty). ``equal(path, wanted, current)``
    decides leaf equality (default: ==); a key missing from ``current`` is compared as None.
    """
    equal = equal or _default_equal
    current = current if isinstance(current, dict) else {}
    found = []
    for key in sorted(wanted):
        path = prefix + key
        value = wanted[key]
        if isinstance(value, dict):
            found.extend(differences(value, current.get(key), equal, path + "."))
        elif not equal(path, value, current.get(key)):
            found.append(path)
    return found


def merge(current, wanted):
    """A new dict: ``current`` with every key of ``wanted`` laid over it, recursing into nested dicts."""
    merged = copy.deepcopy(current) if isinstance(current, dict) else {}
    for key, value in wanted.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def get_path(obj, path):
    """The value at a dotted path, or None when any step is missing."""
    for key in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def make_diff(before, after, before_header=None, after_header=None):
    """Ansible's diff result: before/after dicts ({} for an object that does not exist)."""
    diff = {"before": before if before is not None else {}, "after": after if after is not None else {}}
    if before_header:
        diff["before_header"] = before_header
    if after_header:
        diff["after_header"] = after_header
    return diff
