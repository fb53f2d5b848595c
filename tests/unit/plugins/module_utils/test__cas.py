# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The read / plan / CAS-write loop against a scripted store: request counts, check mode, retries, strict CAS."""

from __future__ import annotations

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils._cas import (
    BACKOFF_CAP,
    CasError,
    Plan,
    Snapshot,
    WriteResult,
    backoff_delay,
    reconcile,
)


class Store:
    """An object with an index; ``interference`` lists objects other writers put in before each of our writes."""

    def __init__(self, value, index, interference=()):
        self.value = value
        self.index = index
        self.interference = list(interference)
        self.reads = 0
        self.writes = []

    def read(self):
        self.reads += 1
        return Snapshot(self.value, self.index if self.value is not None else 0)

    def write(self, after, index):
        if self.interference:
            self.value = self.interference.pop(0)
            self.index += 1
        self.writes.append((after, index))
        current = self.index if self.value is not None else 0
        if index != current:
            return WriteResult(False, current)
        self.value = after
        self.index += 1
        return WriteResult(True, self.index)


def want(key, value):
    """A plan() that sets one key and writes the whole object."""

    def plan(current):
        current = current or {}
        if current.get(key) == value:
            return Plan(False, dict(current))
        after = dict(current)
        after[key] = value
        return Plan(True, after, [key])

    return plan


def test_unchanged_costs_one_read_and_no_write():
    store = Store({"a": 1}, 7)
    outcome = reconcile(store.read, want("a", 1), store.write)
    assert not outcome.changed
    assert (store.reads, store.writes) == (1, [])
    assert outcome.before == {"a": 1} and outcome.after == {"a": 1}
    assert outcome.write is None and outcome.attempts == 1


def test_change_writes_once_with_the_index_read():
    store = Store({"a": 1, "b": 2}, 7)
    outcome = reconcile(store.read, want("a", 5), store.write)
    assert outcome.changed
    assert store.writes == [({"a": 5, "b": 2}, 7)]
    assert outcome.write.applied and outcome.write.index == 8
    assert outcome.before == {"a": 1, "b": 2}
    assert outcome.differences == ["a"]
    assert store.value == {"a": 5, "b": 2}


def test_check_mode_predicts_and_never_writes():
    store = Store({"a": 1}, 7)
    outcome = reconcile(store.read, want("a", 5), store.write, check_mode=True)
    assert outcome.changed and outcome.after == {"a": 5}
    assert store.writes == [] and store.reads == 1
    assert outcome.write is None


def test_a_lost_write_is_read_again_merged_and_retried_with_a_warning():
    store = Store({"a": 1, "b": 2}, 7, interference=[{"a": 1, "b": 3}])
    warnings = []
    outcome = reconcile(store.read, want("a", 5), store.write, warn=warnings.append, what="the config")
    assert outcome.changed and outcome.attempts == 2
    assert [write[1] for write in store.writes] == [7, 8]
    assert store.value == {"a": 5, "b": 3}  # the other writer's b survived
    assert outcome.before == {"a": 1, "b": 3}
    assert len(warnings) == 1
    assert "the config at index 7 lost to another writer (now at index 8)" in warnings[0]
    assert "retry 1 of 3" in warnings[0]


def test_a_conflict_that_already_did_our_change_ends_unchanged():
    store = Store({"a": 1}, 7, interference=[{"a": 5}])
    outcome = reconcile(store.read, want("a", 5), store.write, warn=lambda m: None)
    assert not outcome.changed
    assert len(store.writes) == 1 and store.reads == 2


def test_retries_are_bounded():
    store = Store({"a": 1}, 7, interference=[{"a": n} for n in range(2, 10)])
    warnings = []
    with pytest.raises(CasError) as error:
        reconcile(store.read, want("a", 99), store.write, cas_retries=2, warn=warnings.append)
    assert len(store.writes) == 3 and len(warnings) == 2
    assert "3 check-and-set writes lost to other writers" in error.value.message
    assert error.value.index == store.index


def test_each_retry_waits_a_backoff_and_the_first_attempt_does_not():
    store = Store({"a": 1}, 7, interference=[{"a": n} for n in range(2, 5)])
    waits = []
    outcome = reconcile(store.read, want("a", 99), store.write, cas_retries=5, warn=lambda m: None, sleep=waits.append)
    assert outcome.changed and outcome.attempts == 4
    assert len(waits) == 3
    assert all(0 <= wait <= backoff_delay(n + 1, rand=lambda: 1.0) for n, wait in enumerate(waits))


def test_backoff_grows_exponentially_under_a_cap_with_full_jitter():
    assert [backoff_delay(n, rand=lambda: 1.0) for n in (1, 2, 3)] == [0.05, 0.1, 0.2]
    assert backoff_delay(30, rand=lambda: 1.0) == BACKOFF_CAP
    assert backoff_delay(3, rand=lambda: 0.0) == 0.0


def test_zero_retries_fail_on_the_first_conflict():
    store = Store({"a": 1}, 7, interference=[{"a": 2}])
    with pytest.raises(CasError):
        reconcile(store.read, want("a", 99), store.write, cas_retries=0)
    assert len(store.writes) == 1


def test_strict_cas_index_writes_when_current():
    store = Store({"a": 1}, 7)
    outcome = reconcile(store.read, want("a", 5), store.write, cas_index=7)
    assert outcome.changed and store.writes == [({"a": 5}, 7)]


def test_strict_cas_index_refuses_a_moved_object_before_writing_in_both_modes():
    for check_mode in (False, True):
        store = Store({"a": 1}, 9)
        with pytest.raises(CasError) as error:
            reconcile(store.read, want("a", 5), store.write, check_mode=check_mode, cas_index=7, what="the config")
        assert store.writes == []
        assert "the config is at index 9, not at cas_index 7" in error.value.message
        assert error.value.index == 9


def test_strict_cas_index_is_not_consulted_when_nothing_changes():
    store = Store({"a": 5}, 9)
    outcome = reconcile(store.read, want("a", 5), store.write, cas_index=7)
    assert not outcome.changed


def test_strict_cas_index_does_not_retry_a_lost_write():
    store = Store({"a": 1}, 7, interference=[{"a": 2}])
    with pytest.raises(CasError) as error:
        reconcile(store.read, want("a", 5), store.write, cas_index=7, warn=pytest.fail)
    assert len(store.writes) == 1
    assert "at cas_index 7 lost to another writer (now at index 8)" in error.value.message


def test_absent_objects_use_index_zero_and_deletes_plan_none():
    store = Store(None, 0)
    outcome = reconcile(store.read, want("a", 1), store.write)
    assert outcome.changed and store.writes == [({"a": 1}, 0)]

    def delete(current):
        return Plan(current is not None, None)

    store = Store(None, 0)
    outcome = reconcile(store.read, delete, store.write)
    assert not outcome.changed and store.writes == []


def test_unknown_conflict_index_is_named_as_such():
    def read():
        return Snapshot({"a": 1}, 3)

    with pytest.raises(CasError) as error:
        reconcile(read, want("a", 2), lambda after, index: WriteResult(False), cas_retries=0)
    assert "an unknown index" in error.value.message


def test_negative_retries_are_refused():
    store = Store({"a": 1}, 7)
    with pytest.raises(ValueError, match="cas_retries"):
        reconcile(store.read, want("a", 2), store.write, cas_retries=-1)
