"""Go duration parsing and printing, checked against cases from Go's own time package tests."""

from __future__ import annotations

import pytest
from raftops import godur
from raftops.godur import HOUR, MICROSECOND, MILLISECOND, MINUTE, NANOSECOND, SECOND


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("0", 0),
        ("5s", 5 * SECOND),
        ("-5s", -5 * SECOND),
        ("+5s", 5 * SECOND),
        ("-0", 0),
        ("5.6s", 5 * SECOND + 600 * MILLISECOND),
        ("5.s", 5 * SECOND),
        (".5s", 500 * MILLISECOND),
        ("1.004s", SECOND + 4 * MILLISECOND),
        ("100.00100s", 100 * SECOND + MILLISECOND),
        ("10ns", 10 * NANOSECOND),
        ("11us", 11 * MICROSECOND),
        ("12µs", 12 * MICROSECOND),
        ("12μs", 12 * MICROSECOND),
        ("13ms", 13 * MILLISECOND),
        ("15m", 15 * MINUTE),
        ("16h", 16 * HOUR),
        ("3h30m", 3 * HOUR + 30 * MINUTE),
        ("10.5s4m", 4 * MINUTE + 10 * SECOND + 500 * MILLISECOND),
        ("-2m3.4s", -(2 * MINUTE + 3 * SECOND + 400 * MILLISECOND)),
        ("1h2m3s4ms5us6ns", HOUR + 2 * MINUTE + 3 * SECOND + 4 * MILLISECOND + 5 * MICROSECOND + 6),
        ("52763797000ns", 52763797000),
        ("0.3333333333333333333h", 20 * MINUTE),
        ("9007199254740993ns", (1 << 53) + 1),
        ("9223372036854775807ns", (1 << 63) - 1),
        ("9223372036854775.807us", (1 << 63) - 1),
        ("9223372036s854ms775us807ns", (1 << 63) - 1),
        ("-9223372036854775808ns", -(1 << 63)),
        ("0.100000000000000000000h", 6 * MINUTE),
        ("0.830103483285477580700h", 49 * MINUTE + 48 * SECOND + 372539827),
    ],
)
def test_parse_like_go(text: str, ns: int) -> None:
    assert godur.parse_ns(text) == ns
    assert godur.parse(text) == ns / SECOND


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'time: invalid duration ""'),
        ("3", 'time: missing unit in duration "3"'),
        ("-", 'time: invalid duration "-"'),
        ("s", 'time: invalid duration "s"'),
        (".", 'time: invalid duration "."'),
        ("-.", 'time: invalid duration "-."'),
        (".s", 'time: invalid duration ".s"'),
        ("+.s", 'time: invalid duration "+.s"'),
        ("1d", 'time: unknown unit "d" in duration "1d"'),
        ("\ufffd", 'time: invalid duration "\\xef\\xbf\\xbd"'),
        ('2"s', 'time: unknown unit "\\"s" in duration "2\\"s"'),
        ("9223372036854775810ns", 'time: invalid duration "9223372036854775810ns"'),
        ("9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'),
        ("-9223372036854775809ns", 'time: invalid duration "-9223372036854775809ns"'),
        ("9223372036854776us", 'time: invalid duration "9223372036854776us"'),
        ("3000000h", 'time: invalid duration "3000000h"'),
        ("9223372036854775.808us", 'time: invalid duration "9223372036854775.808us"'),
        ("9223372036854ms775us808ns", 'time: invalid duration "9223372036854ms775us808ns"'),
    ],
)
def test_parse_errors_carry_gos_messages(text: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        godur.parse(text)
    assert str(err.value) == message


def test_parse_rejects_non_strings() -> None:
    with pytest.raises(ValueError):
        godur.parse(200)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0s"),
        (1, "1ns"),
        (1100, "1.1µs"),
        (2200 * MICROSECOND, "2.2ms"),
        (3300 * MILLISECOND, "3.3s"),
        (4 * MINUTE + 5 * SECOND, "4m5s"),
        (4 * MINUTE + 5001 * MILLISECOND, "4m5.001s"),
        (5 * HOUR + 6 * MINUTE + 7001 * MILLISECOND, "5h6m7.001s"),
        (8 * MINUTE + 1, "8m0.000000001s"),
        (27291304, "27.291304ms"),
        (HOUR, "1h0m0s"),
        ((1 << 63) - 1, "2562047h47m16.854775807s"),
        (-(1 << 63), "-2562047h47m16.854775808s"),
    ],
)
def test_format_like_go(ns: int, text: str) -> None:
    assert godur.format_ns(ns) == text


def test_format_seconds_and_round_trip() -> None:
    assert godur.format(0.2) == "200ms"
    assert godur.format(10) == "10s"
    assert godur.format(0.02729) == "27.29ms"
    for text in ("200ms", "10s", "1m30s", "2h0m0.5s", "1.5µs"):
        assert godur.format_ns(godur.parse_ns(text)) == text


def test_format_refuses_values_outside_int64() -> None:
    with pytest.raises(ValueError):
        godur.format_ns(1 << 63)
