"""Go ``time.Duration`` text: ``parse`` like ``time.ParseDuration``, ``format`` like ``Duration.String()``.

Nomad's API carries durations as Go duration strings ("200ms", "10s", "27.291304ms"), and its
error messages are Go's, so raftops parses and prints them the way Go does, including the
messages of the errors (``time: invalid duration "x"``) and the int64 nanosecond range.

``parse`` returns seconds as a float; ``parse_ns``/``format_ns`` work on exact nanoseconds.
"""

from __future__ import annotations

NANOSECOND = 1
MICROSECOND = 1000 * NANOSECOND
MILLISECOND = 1000 * MICROSECOND
SECOND = 1000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

MAX_NS = (1 << 63) - 1
MIN_NS = -(1 << 63)

_UNITS = {
    b"ns": NANOSECOND,
    b"us": MICROSECOND,
    "µs".encode(): MICROSECOND,  # U+00B5 micro sign
    "μs".encode(): MICROSECOND,  # U+03BC Greek mu
    b"ms": MILLISECOND,
    b"s": SECOND,
    b"m": MINUTE,
    b"h": HOUR,
}


def _quote(raw: bytes) -> str:
    """Go's time.quote: double quotes, non-ASCII and control bytes as \\xNN."""
    out = ['"']
    for b in raw:
        if b >= 0x80 or b < 0x20:
            out.append(f"\\x{b:02x}")
        else:
            c = chr(b)
            if c in '"\\':
                out.append("\\")
            out.append(c)
    out.append('"')
    return "".join(out)


def _invalid(orig: bytes) -> ValueError:
    return ValueError("time: invalid duration " + _quote(orig))


def _leading_int(s: bytes) -> tuple[int, bytes]:
    """Consume [0-9]*; ValueError when the value overflows int64 (Go's errLeadingInt)."""
    x = 0
    i = 0
    while i < len(s) and 0x30 <= s[i] <= 0x39:
        if x > (1 << 63) // 10:
            raise OverflowError
        x = x * 10 + (s[i] - 0x30)
        if x > 1 << 63:
            raise OverflowError
        i += 1
    return x, s[i:]


def _leading_fraction(s: bytes) -> tuple[int, float, bytes]:
    """Consume [0-9]* after the dot; digits past int64 precision are dropped, as Go does."""
    x = 0
    scale = 1.0
    overflow = False
    i = 0
    while i < len(s) and 0x30 <= s[i] <= 0x39:
        if not overflow:
            if x > ((1 << 63) - 1) // 10:
                overflow = True
            else:
                y = x * 10 + (s[i] - 0x30)
                if y > 1 << 63:
                    overflow = True
                else:
                    x = y
                    scale *= 10
        i += 1
    return x, scale, s[i:]


def parse_ns(text: str) -> int:
    """Nanoseconds of a Go duration string; ValueError with Go's message when it is not one."""
    orig = text.encode()
    s = orig
    neg = False
    if s and s[:1] in (b"-", b"+"):
        neg = s[:1] == b"-"
        s = s[1:]
    if s == b"0":
        return 0
    if not s:
        raise _invalid(orig)
    total = 0
    while s:
        if not (s[0] == 0x2E or 0x30 <= s[0] <= 0x39):
            raise _invalid(orig)
        before = len(s)
        try:
            value, s = _leading_int(s)
        except OverflowError:
            raise _invalid(orig) from None
        pre = before != len(s)
        frac, scale, post = 0, 1.0, False
        if s[:1] == b".":
            s = s[1:]
            before = len(s)
            frac, scale, s = _leading_fraction(s)
            post = before != len(s)
        if not pre and not post:
            raise _invalid(orig)
        i = 0
        while i < len(s) and not (s[i] == 0x2E or 0x30 <= s[i] <= 0x39):
            i += 1
        if i == 0:
            raise ValueError("time: missing unit in duration " + _quote(orig))
        unit_text, s = s[:i], s[i:]
        unit = _UNITS.get(unit_text)
        if unit is None:
            raise ValueError("time: unknown unit " + _quote(unit_text) + " in duration " + _quote(orig))
        if value > (1 << 63) // unit:
            raise _invalid(orig)
        value *= unit
        if frac > 0:
            value += int(float(frac) * (float(unit) / scale))
            if value > 1 << 63:
                raise _invalid(orig)
        total += value
        if total > 1 << 63:
            raise _invalid(orig)
    if neg:
        return -total
    if total > MAX_NS:
        raise _invalid(orig)
    return total


def parse(text: str) -> float:
    """Seconds of a Go duration string ("1m30s" -> 90.0); ValueError with Go's message otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"time: invalid duration {text!r}")
    return parse_ns(text) / SECOND


def _fmt_frac(value: int, prec: int) -> tuple[str, int]:
    """The fraction of value/10**prec as ".123" without trailing zeros (empty when 0), and the integer part."""
    digits = []
    printed = False
    for _ in range(prec):
        digit = value % 10
        printed = printed or digit != 0
        if printed:
            digits.append(str(digit))
        value //= 10
    frac = "." + "".join(reversed(digits)) if printed else ""
    return frac, value


def format_ns(ns: int) -> str:
    """Go's Duration.String(): "0s", "1.5µs", "200ms", "1m30s", "2h0m0s"."""
    ns = int(ns)
    if not MIN_NS <= ns <= MAX_NS:
        raise ValueError(f"duration {ns}ns is outside Go's int64 range")
    neg = ns < 0
    u = -ns if neg else ns
    if u < SECOND:
        if u == 0:
            return "0s"
        if u < MICROSECOND:
            prec, unit = 0, "ns"
        elif u < MILLISECOND:
            prec, unit = 3, "µs"
        else:
            prec, unit = 6, "ms"
        frac, whole = _fmt_frac(u, prec)
        text = f"{whole}{frac}{unit}"
    else:
        frac, secs = _fmt_frac(u, 9)
        text = f"{secs % 60}{frac}s"
        mins = secs // 60
        if mins > 0:
            text = f"{mins % 60}m" + text
            hours = mins // 60
            if hours > 0:
                text = f"{hours}h" + text
    return "-" + text if neg else text


def format(seconds: float) -> str:
    """Go's Duration.String() of ``seconds`` (rounded to the nanosecond)."""
    return format_ns(round(seconds * SECOND))
