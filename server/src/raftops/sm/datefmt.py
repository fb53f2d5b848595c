"""Java ``DateTimeFormatter`` patterns, as OpenSearch's ``DateFormatter.forPattern`` takes them, for snapshot names.

Supported: the common pattern letters (``y u M L d D H h K k m s S n A a E G`` and the zone letters
``V z Z X x``), quoted literals (``'T'``, ``''`` for a quote), optional sections (``[...]``, always
printed when formatting) and a few of OpenSearch's named formats. A letter Java knows but this
module does not print raises :class:`DateFormatError` naming it; an unknown letter gives Java's message.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

# Letters java.time.format.DateTimeFormatterBuilder accepts (FIELD_MAP plus the special ones).
JAVA_LETTERS = set("GuyDMLdQqYwWEecFaBhKkHmsSAnNVvzOXxZp")
SUPPORTED = set("GuyDMLdEahKkHmsSAnVzXxZ")
RESERVED = set("#{}")

# OpenSearch named formats a snapshot date may use (DateFormatters.forPattern), by their Java pattern.
NAMED = {
    "date": "yyyy-MM-dd",
    "basic_date": "yyyyMMdd",
    "basic_date_time": "yyyyMMdd'T'HHmmss.SSSXX",
    "basic_date_time_no_millis": "yyyyMMdd'T'HHmmssXX",
    "date_hour": "yyyy-MM-dd'T'HH",
    "date_hour_minute": "yyyy-MM-dd'T'HH:mm",
    "date_hour_minute_second": "yyyy-MM-dd'T'HH:mm:ss",
    "date_hour_minute_second_millis": "yyyy-MM-dd'T'HH:mm:ss.SSS",
    "date_time": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "date_time_no_millis": "yyyy-MM-dd'T'HH:mm:ssXXX",
    "date_optional_time": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "strict_date_optional_time": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "hour_minute": "HH:mm",
    "hour_minute_second": "HH:mm:ss",
    "year_month_day": "yyyy-MM-dd",
    "year_month": "yyyy-MM",
    "year": "yyyy",
}
_EPOCH = {"epoch_millis", "epoch_second"}

_MONTHS = list(calendar.month_name)
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class DateFormatError(ValueError):
    """The pattern cannot be used; ``str()`` is the message OpenSearch would give."""


@dataclass(frozen=True)
class Token:
    letter: str  # "" for a literal
    count: int
    text: str = ""


@dataclass(frozen=True)
class DateFormat:
    pattern: str
    tokens: tuple[Token, ...]
    epoch: str = ""

    def format(self, when: datetime) -> str:
        if self.epoch == "epoch_millis":
            return str(int(when.timestamp() * 1000))
        if self.epoch == "epoch_second":
            return str(int(when.timestamp()))
        return "".join(t.text if not t.letter else _FORMATTERS[t.letter](when, t.count) for t in self.tokens)


def compile_pattern(pattern: str) -> DateFormat:
    """``DateFormatter.forPattern``: raises DateFormatError ``Invalid format: [p]: <reason>``."""
    if not pattern or not pattern.strip():
        raise DateFormatError("No date pattern provided")
    names = [p.strip() for p in pattern.split("||")]
    first = names[0]  # OpenSearch prints with the first of several formats
    key = first.removeprefix("strict_")
    if first in _EPOCH:
        return DateFormat(pattern, (), epoch=first)
    java = NAMED.get(first) or NAMED.get(key) or first
    try:
        tokens = _tokenize(java)
    except DateFormatError as exc:
        raise DateFormatError(f"Invalid format: [{pattern}]: {exc}") from None
    return DateFormat(pattern, tokens)


def _tokenize(pattern: str) -> tuple[Token, ...]:
    tokens: list[Token] = []
    i, n = 0, len(pattern)
    depth = 0
    while i < n:
        c = pattern[i]
        if c == "'":
            end = i + 1
            text = []
            while True:
                if end >= n:
                    raise DateFormatError(f"Pattern ends with an incomplete string literal: {pattern}")
                if pattern[end] == "'":
                    if end + 1 < n and pattern[end + 1] == "'":
                        text.append("'")
                        end += 2
                        continue
                    break
                text.append(pattern[end])
                end += 1
            tokens.append(Token("", 0, "'" if end == i + 1 else "".join(text)))
            i = end + 1
            continue
        if c == "[":
            depth += 1
            i += 1
            continue
        if c == "]":
            if depth == 0:
                raise DateFormatError("Pattern invalid as it contains ] without previous [")
            depth -= 1
            i += 1
            continue
        if c in RESERVED:
            raise DateFormatError(f"Pattern includes reserved character: '{c}'")
        if c.isascii() and c.isalpha():
            j = i
            while j < n and pattern[j] == c:
                j += 1
            count = j - i
            if c not in JAVA_LETTERS:
                raise DateFormatError(f"Unknown pattern letter: {c}")
            if c not in SUPPORTED:
                raise DateFormatError(f"Pattern letter {c} is not supported by raftops snapshot names")
            _check_count(c, count)
            tokens.append(Token(c, count))
            i = j
            continue
        tokens.append(Token("", 0, c))
        i += 1
    return tuple(tokens)


def _check_count(letter: str, count: int) -> None:
    limits = {"d": 2, "h": 2, "K": 2, "k": 2, "H": 2, "m": 2, "s": 2, "D": 3, "a": 1, "M": 5, "L": 5, "E": 5}
    limits |= {"G": 5, "X": 5, "x": 5, "Z": 5, "z": 4, "S": 9, "A": 19, "n": 19}
    if letter == "V":
        if count != 2:
            raise DateFormatError("Pattern letter count must be 2: V")
        return
    if count > limits.get(letter, 19):
        raise DateFormatError(f"Too many pattern letters: {letter}")


def _pad(value: int, count: int) -> str:
    text = str(abs(value)).rjust(count, "0")
    return ("-" if value < 0 else "") + text


def _year(when: datetime, count: int) -> str:
    if count == 2:
        return _pad(when.year % 100, 2)
    text = _pad(when.year, count)
    return ("+" + text) if count >= 4 and when.year > 9999 else text


def _month(when: datetime, count: int) -> str:
    if count <= 2:
        return _pad(when.month, count)
    name = _MONTHS[when.month]
    return name[:3] if count == 3 else name if count == 4 else name[0]


def _day_name(when: datetime, count: int) -> str:
    name = _DAYS[when.weekday()]
    return name if count == 4 else name[0] if count == 5 else name[:3]


def _fraction(when: datetime, count: int) -> str:
    return (f"{when.microsecond:06d}" + "000")[:count]


def _offset(when: datetime) -> int:
    delta = when.utcoffset() or timedelta(0)
    return int(delta.total_seconds())


def _offset_text(seconds: int, colon: bool, minutes: str) -> str:
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    hh, mm = divmod(seconds // 60, 60)
    if minutes == "optional" and mm == 0:
        return f"{sign}{hh:02d}"
    return f"{sign}{hh:02d}{':' if colon else ''}{mm:02d}"


def _iso_offset(when: datetime, count: int, zero: str) -> str:
    seconds = _offset(when)
    if seconds == 0 and zero:
        return zero
    if count == 1:
        return _offset_text(seconds, False, "optional")
    return _offset_text(seconds, count in (3, 5), "always")


def _zone_z(when: datetime, count: int) -> str:
    seconds = _offset(when)
    if count <= 3:
        return _offset_text(seconds, False, "always")
    if count == 4:
        return "GMT" if seconds == 0 else "GMT" + _offset_text(seconds, True, "always")
    return "Z" if seconds == 0 else _offset_text(seconds, True, "always")


def _zone_name(when: datetime, count: int) -> str:
    name = when.tzname() or "UTC"
    if count == 4:
        key = getattr(when.tzinfo, "key", None)
        return key or name
    return name


def _hour12(when: datetime, zero_based: bool) -> int:
    h = when.hour % 12
    return h if zero_based or h else 12


_FORMATTERS: dict[str, Callable[[datetime, int], str]] = {
    "G": lambda w, c: "AD" if c <= 3 else "Anno Domini" if c == 4 else "A",
    "u": _year,
    "y": _year,
    "D": lambda w, c: _pad(w.timetuple().tm_yday, c),
    "M": _month,
    "L": _month,
    "d": lambda w, c: _pad(w.day, c),
    "E": _day_name,
    "a": lambda w, c: "AM" if w.hour < 12 else "PM",
    "h": lambda w, c: _pad(_hour12(w, False), c),
    "K": lambda w, c: _pad(_hour12(w, True), c),
    "k": lambda w, c: _pad(w.hour or 24, c),
    "H": lambda w, c: _pad(w.hour, c),
    "m": lambda w, c: _pad(w.minute, c),
    "s": lambda w, c: _pad(w.second, c),
    "S": _fraction,
    "A": lambda w, c: _pad(((w.hour * 60 + w.minute) * 60 + w.second) * 1000 + w.microsecond // 1000, c),
    "n": lambda w, c: _pad(w.microsecond * 1000, c),
    "V": lambda w, c: getattr(w.tzinfo, "key", None) or (w.tzname() or "Z"),
    "z": _zone_name,
    "X": lambda w, c: _iso_offset(w, c, "Z"),
    "x": lambda w, c: _iso_offset(w, c, ""),
    "Z": _zone_z,
}
