# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Read, decide, write with check-and-set (CAS), and retry on conflict: the one loop every CAS-guarded module runs.

reconcile() is pure control flow around three callables the module supplies, so it serves any object the server
guards with a version: Nomad's ``?cas=<ModifyIndex>`` (autopilot and scheduler configuration, variables) as well as
OpenSearch's ``if_seq_no``/``if_primary_term`` pair (the index is opaque here: any value the write understands).

* ``read()`` returns a Snapshot: the current value (None when the object does not exist) and its index.
* ``plan(value)`` returns a Plan: whether a write is needed and the value to write (None to delete).
* ``write(after, index)`` sends one CAS-guarded write and returns a WriteResult: applied or lost to a concurrent
  writer. Every other failure is an exception of the module's client and ends the loop.

An unchanged object costs exactly one read and no write. Check mode never writes. A lost CAS write is re-read and
re-planned up to ``cas_retries`` times, with a warning each time; with a strict ``cas_index`` nothing is retried
and nothing is written once the object has moved past that index.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import time

DEFAULT_CAS_RETRIES = 3

# Before re-reading after a lost write, wait a random time up to BACKOFF_BASE * 2**(n-1) seconds, capped at
# BACKOFF_CAP: writers that keep colliding spread out instead of losing in lockstep (full jitter).
BACKOFF_BASE = 0.05
BACKOFF_CAP = 2.0


def backoff_delay(retry, base=BACKOFF_BASE, cap=BACKOFF_CAP, rand=random.random):
    """Seconds to wait before retry number ``retry`` (1-based): full jitter over an exponential ceiling."""
    return rand() * min(cap, base * (2 ** (retry - 1)))


class Snapshot(object):
    """One read: ``value`` (None when absent) and the ``index`` a CAS write must name (0 when absent)."""

    __slots__ = ("value", "index")

    def __init__(self, value, index):
        self.value = value
        self.index = index


class Plan(object):
    """What to do about one Snapshot: ``changed``, the ``after`` value (None: delete), the ``differences``."""

    __slots__ = ("changed", "after", "differences")

    def __init__(self, changed, after, differences=None):
        self.changed = changed
        self.after = after
        self.differences = list(differences or [])


class WriteResult(object):
    """One CAS write: ``applied`` or not; ``index`` is the object's index after it (the new one when applied, the
    conflicting one when not), None when the server does not say. ``value`` is the server's answer, if useful."""

    __slots__ = ("applied", "index", "value")

    def __init__(self, applied, index=None, value=None):
        self.applied = applied
        self.index = index
        self.value = value


class CasError(Exception):
    """A CAS write cannot be made: the strict ``cas_index`` is stale, or every retry lost to another writer."""

    def __init__(self, message, index=None):
        super(CasError, self).__init__(message)
        self.message = message
        self.index = index


class Outcome(object):
    """The result of reconcile().

    ``changed``: a write was (or in check mode would be) made. ``before``: the value the decision was based on.
    ``after``: the value written or predicted (equal to ``before``'s managed part when unchanged). ``index``: the
    Snapshot's index. ``write``: the applied WriteResult, None when nothing was written. ``attempts``: reads made.
    """

    __slots__ = ("changed", "before", "after", "index", "differences", "write", "attempts")

    def __init__(self, changed, snapshot, plan, write, attempts):
        self.changed = changed
        self.before = snapshot.value
        self.after = plan.after
        self.index = snapshot.index
        self.differences = plan.differences
        self.write = write
        self.attempts = attempts


def _index_text(index):
    return "an unknown index" if index is None else "index %s" % (index,)


def reconcile(
    read,
    plan,
    write,
    check_mode=False,
    cas_index=None,
    cas_retries=DEFAULT_CAS_RETRIES,
    warn=None,
    what="the object",
    sleep=time.sleep,
):
    """Run read -> plan -> CAS write until the write applies, nothing needs writing, or the retries run out.

    ``cas_index`` (strict CAS): the index the caller expects the object to be at. When a write is needed and the
    object is elsewhere, CasError is raised before anything is written (in check mode too, since the real run
    would fail); a lost write is not retried. When nothing needs writing, ``cas_index`` is not consulted.
    ``cas_retries``: how many times a lost write is re-read and retried (0: fail on the first conflict).
    ``warn(message)`` is called before each retry, and ``sleep(backoff_delay(n))`` spaces the retries out.
    ``what`` names the object in messages.
    """
    if cas_retries < 0:
        raise ValueError("cas_retries must be 0 or greater, got %s" % (cas_retries,))
    attempts = 0
    while True:
        attempts += 1
        snapshot = read()
        decision = plan(snapshot.value)
        if not decision.changed:
            return Outcome(False, snapshot, decision, None, attempts)
        if cas_index is not None and snapshot.index != cas_index:
            raise CasError(
                "%s is at index %s, not at cas_index %s: another writer changed it since that index was read. "
                "Nothing was written; read it again and retry, or leave cas_index out to merge into the current "
                "object." % (what, snapshot.index, cas_index),
                index=snapshot.index,
            )
        if check_mode:
            return Outcome(True, snapshot, decision, None, attempts)
        result = write(decision.after, snapshot.index)
        if result.applied:
            return Outcome(True, snapshot, decision, result, attempts)
        if cas_index is not None:
            raise CasError(
                "check-and-set write of %s at cas_index %s lost to another writer (now at %s); nothing was written"
                % (what, cas_index, _index_text(result.index)),
                index=result.index,
            )
        if attempts > cas_retries:
            raise CasError(
                "%s kept changing while it was being written: %d check-and-set writes lost to other writers, the last "
                "one at %s against %s; nothing was written"
                % (what, attempts, _index_text(snapshot.index), _index_text(result.index)),
                index=result.index,
            )
        if warn:
            warn(
                "check-and-set write of %s at index %s lost to another writer (now at %s); read it again, "
                "retry %d of %d" % (what, snapshot.index, _index_text(result.index), attempts, cas_retries)
            )
        sleep(backoff_delay(attempts))
