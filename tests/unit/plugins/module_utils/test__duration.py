# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Go duration strings: parsing like time.ParseDuration, printing like Duration.String()."""

from __future__ import annotations

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils._duration import (
    MAX_NS,
    canonical,
    format_ns,
    is_duration,
    parse_ns,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.2s", "200ms"),
        ("200ms", "200ms"),
        ("0", "0s"),
        ("0s", "0s"),
        ("90s", "1m30s"),
        ("1m30s", "1m30s"),
        ("1h", "1h0m0s"),
        ("2h45m", "2h45m0s"),
        (".5s", "500ms"),
        ("1.s", "1s"),
        ("1.5us", "1.5\u00b5s"),
        ("1.5\u00b5s", "1.5\u00b5s"),
        ("1.5\u03bcs", "1.5\u00b5s"),
        ("1500ns", "1.5\u00b5s"),
        ("1ms500us", "1.5ms"),
        ("-1s", "-1s"),
        ("+3m", "3m0s"),
        ("27.291304ms", "27.291304ms"),
        ("1000000h", "1000000h0m0s"),
    ],
)
def test_canonical_matches_go(text, expected):
    assert canonical(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fast", 'time: invalid duration "fast"'),
        ("", 'time: invalid duration ""'),
        ("-", 'time: invalid duration "-"'),
        ("s", 'time: invalid duration "s"'),
        (".s", 'time: invalid duration ".s"'),
        ("1", 'time: missing unit in duration "1"'),
        ("10 s", 'time: unknown unit " s" in duration "10 s"'),
        ("1x", 'time: unknown unit "x" in duration "1x"'),
        ("1.2.3s", 'time: missing unit in duration "1.2.3s"'),
        ("9223372037s", 'time: invalid duration "9223372037s"'),
    ],
)
def test_invalid_durations_fail_with_gos_message(text, message):
    with pytest.raises(ValueError) as error:
        parse_ns(text)
    assert str(error.value) == message
    assert not is_duration(text)


@pytest.mark.parametrize("value", [None, 200, 0.5, ["1s"]])
def test_non_strings_are_not_durations(value):
    with pytest.raises(ValueError):
        parse_ns(value)


def test_exact_nanoseconds():
    assert parse_ns("1h2m3.000000004s") == 3723000000004
    assert parse_ns("-9223372036854775808ns") == -MAX_NS - 1
    assert format_ns(MAX_NS) == "2562047h47m16.854775807s"
    assert format_ns(1) == "1ns"
    assert format_ns(-1500) == "-1.5\u00b5s"
