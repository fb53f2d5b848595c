"""Go ``time.Time`` in JSON: RFC 3339 with nanoseconds (``time.RFC3339Nano``), UTC.

Nomad's ACL tokens and licenses carry times this way ("2024-05-01T10:00:00.123456789Z"); the zero
time is "0001-01-01T00:00:00Z". Times are kept as integer nanoseconds since the epoch.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

ZERO = "0001-01-01T00:00:00Z"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))"
)


def now_ns() -> int:
    return time.time_ns()


def format_ns(ns: int | None) -> str:
    """RFC3339Nano in UTC without trailing zeros in the fraction; None gives Go's zero time."""
    if ns is None:
        return ZERO
    secs, frac = divmod(int(ns), 1_000_000_000)
    try:
        stamp = (_EPOCH + timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%S")
    except OverflowError:
        raise ValueError(f"time {ns}ns since the epoch is outside the years 1-9999") from None
    if frac:
        stamp += "." + f"{frac:09d}".rstrip("0")
    return stamp + "Z"


def parse_ns(text: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 time (any offset); ValueError with Go's wording."""
    m = _RFC3339.fullmatch(text) if isinstance(text, str) else None
    if not m:
        raise ValueError(f'parsing time "{text}" as "2006-01-02T15:04:05Z07:00": cannot parse')
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f'parsing time "{text}": {exc}') from exc
    if m.group(9):
        offset = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
        moment -= offset if m.group(9) == "+" else -offset
    frac = int((m.group(7) or "0").ljust(9, "0"))
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000_000 + frac


def is_zero(text: str | None) -> bool:
    return text in (None, "", ZERO)
