# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Bounded polling: ask until a condition holds or the time is up (leader observed, peer gone, cluster healthy)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

DEFAULT_INTERVAL = 0.5


class WaitResult(object):
    """``done``: the condition held; ``value``: the last observation; ``elapsed`` seconds; ``attempts`` made."""

    __slots__ = ("done", "value", "elapsed", "attempts")

    def __init__(self, done, value, elapsed, attempts):
        self.done = done
        self.value = value
        self.elapsed = elapsed
        self.attempts = attempts


def wait_for(check, timeout, interval=DEFAULT_INTERVAL, sleep=time.sleep, clock=time.monotonic):
    """Call ``check()`` -> (done, value) until done or ``timeout`` seconds have passed; at least once.

    The loop is bounded by the deadline: it never sleeps past it, and stops at the first check after it.
    """
    if timeout < 0:
        raise ValueError("a wait timeout must be 0 or greater, got %s" % (timeout,))
    started = clock()
    deadline = started + timeout
    attempts = 0
    while True:
        attempts += 1
        done, value = check()
        now = clock()
        if done or now >= deadline:
            return WaitResult(done, value, round(now - started, 3), attempts)
        sleep(min(interval, deadline - now))
