# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Go duration strings, as Nomad's API carries them ("200ms", "10s", "1m30s").

parse_ns() reads what Go's time.ParseDuration reads; format_ns() writes what Go's Duration.String() writes, so
canonical() turns "0.2s" into "200ms", the form the server stores and answers. The modules compare and write
canonical forms, which makes a check-mode diff match the object the server ends up holding.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

NANOSECOND = 1
MICROSECOND = 1000
MILLISECOND = 1000 * MICROSECOND
SECOND = 1000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
MAX_NS = (1 << 63) - 1

UNITS = {
    "ns": NANOSECOND,
    "us": MICROSECOND,
    "\u00b5s": MICROSECOND,  # micro sign
    "\u03bcs": MICROSECOND,  # Greek small letter mu
    "ms": MILLISECOND,
    "s": SECOND,
    "m": MINUTE,
    "h": HOUR,
}

DIGITS = "0123456789"


def _quote(text):
    """Go's time.quote: in double quotes, control and non-ASCII bytes of the UTF-8 text as \\xNN."""
    out = ['"']
    for byte in bytearray(text.encode("utf-8")):
        if byte >= 0x80 or byte < 0x20:
            out.append("\\x%02x" % byte)
        else:
            char = chr(byte)
            if char in '"\\':
                out.append("\\")
            out.append(char)
    out.append('"')
    return "".join(out)


def _leading(text, allowed):
    """(the leading run of characters in ``allowed``, the rest)."""
    index = 0
    while index < len(text) and text[index] in allowed:
        index += 1
    return text[:index], text[index:]


def parse_ns(text):
    """Nanoseconds of a Go duration string. Raises ValueError (with Go's wording) when it is not one."""
    if not isinstance(text, str):
        raise ValueError("time: invalid duration %r" % (text,))
    invalid = ValueError("time: invalid duration " + _quote(text))
    rest = text
    negative = False
    if rest[:1] in ("-", "+"):
        negative = rest[:1] == "-"
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise invalid
    total = 0
    while rest:
        if rest[0] != "." and rest[0] not in DIGITS:
            raise invalid
        whole, rest = _leading(rest, DIGITS)
        fraction = ""
        if rest[:1] == ".":
            fraction, rest = _leading(rest[1:], DIGITS)
        if not whole and not fraction:
            raise invalid
        index = 0
        while index < len(rest) and rest[index] != "." and rest[index] not in DIGITS:
            index += 1
        if index == 0:
            raise ValueError("time: missing unit in duration " + _quote(text))
        unit, rest = rest[:index], rest[index:]
        if unit not in UNITS:
            raise ValueError("time: unknown unit %s in duration %s" % (_quote(unit), _quote(text)))
        scale = UNITS[unit]
        value = int(whole or "0") * scale
        if fraction:
            # Go adds the fraction in floating point: int64(float64(f) * (float64(unit) / scale)).
            digits = fraction[:18]  # Go drops the digits that no longer fit in an int64
            value += int(float(int(digits)) * (float(scale) / (10 ** len(digits))))
        total += value
        if total > MAX_NS + (1 if negative else 0):
            raise invalid
    return -total if negative else total


def _fraction(value, precision):
    """(".123" without trailing zeros or "" when the fraction is zero, integer part) of value / 10**precision."""
    digits = []
    printed = False
    for _position in range(precision):
        digit = value % 10
        printed = printed or digit != 0
        if printed:
            digits.append(str(digit))
        value //= 10
    return ("." + "".join(reversed(digits)) if printed else ""), value


def format_ns(ns):
    """Go's Duration.String() of a number of nanoseconds: "0s", "1.5µs", "200ms", "1m30s", "2h0m0s"."""
    negative = ns < 0
    magnitude = -ns if negative else ns
    if magnitude == 0:
        return "0s"
    if magnitude < SECOND:
        if magnitude < MICROSECOND:
            precision, unit = 0, "ns"
        elif magnitude < MILLISECOND:
            precision, unit = 3, "\u00b5s"
        else:
            precision, unit = 6, "ms"
        fraction, whole = _fraction(magnitude, precision)
        text = "%d%s%s" % (whole, fraction, unit)
    else:
        fraction, seconds = _fraction(magnitude, 9)
        text = "%d%ss" % (seconds % 60, fraction)
        minutes = seconds // 60
        if minutes:
            text = "%dm%s" % (minutes % 60, text)
            hours = minutes // 60
            if hours:
                text = "%dh%s" % (hours, text)
    return "-" + text if negative else text


def canonical(text):
    """The Go canonical form of a duration string ("0.2s" -> "200ms"). Raises ValueError when it is not one."""
    return format_ns(parse_ns(text))


def is_duration(text):
    try:
        parse_ns(text)
    except ValueError:
        return False
    return True
