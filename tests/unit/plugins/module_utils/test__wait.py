# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bounded polling, on a fake clock."""

from __future__ import annotations

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils._wait import wait_for


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def checks(*answers):
    answers = list(answers)
    calls = []

    def check():
        calls.append(1)
        return answers.pop(0)

    return check, calls


def test_done_at_once_does_not_sleep():
    clock = FakeClock()
    check, calls = checks((True, "v"))
    result = wait_for(check, 10, sleep=clock.sleep, clock=clock.clock)
    assert (result.done, result.value, result.attempts, result.elapsed) == (True, "v", 1, 0.0)
    assert clock.sleeps == []


def test_polls_until_done():
    clock = FakeClock()
    check, calls = checks((False, 1), (False, 2), (True, 3))
    result = wait_for(check, 10, interval=0.5, sleep=clock.sleep, clock=clock.clock)
    assert (result.done, result.value, result.attempts) == (True, 3, 3)
    assert clock.sleeps == [0.5, 0.5]
    assert result.elapsed == 1.0


def test_gives_up_at_the_deadline_without_sleeping_past_it():
    clock = FakeClock()
    check, calls = checks(*[(False, n) for n in range(10)])
    result = wait_for(check, 1.2, interval=0.5, sleep=clock.sleep, clock=clock.clock)
    assert not result.done
    assert result.value == 3
    assert clock.sleeps == [0.5, 0.5, pytest.approx(0.2)]
    assert result.elapsed == pytest.approx(1.2)


def test_zero_timeout_checks_once():
    clock = FakeClock()
    check, calls = checks((False, "x"))
    result = wait_for(check, 0, sleep=clock.sleep, clock=clock.clock)
    assert (result.done, result.attempts) == (False, 1)
    assert clock.sleeps == []


def test_negative_timeout_is_refused():
    with pytest.raises(ValueError, match="0 or greater"):
        wait_for(lambda: (True, None), -1)
