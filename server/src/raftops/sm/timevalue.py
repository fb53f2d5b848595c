"""OpenSearch's TimeValue: ``parseTimeValue`` and ``toString`` (common/unit/TimeValue.java).

Policies echo ``time_limit`` and ``max_age`` the way OpenSearch prints them: the largest unit with
one decimal, truncated ("24h" -> "1d", "90m" -> "1.5h", "100m" -> "1.6h").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NANOS = {
    "nanos": 1,
    "micros": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
    "d": 86_400_000_000_000,
}
_INTEGER = re.compile(r"[+-]?\d+")
# Java's Double.parseDouble syntax, written without nested quantifiers so a long run of digits cannot
# make the engine backtrack (the old "\d+\.?\d*" was quadratic on "999...9x").
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
LONG_MAX = (1 << 63) - 1


class TimeValueError(ValueError):
    """OpenSearchParseException (``parse_exception``) or IllegalArgumentException (``negative``)."""

    def __init__(self, message: str, *, illegal_argument: bool = False):
        super().__init__(message)
        self.illegal_argument = illegal_argument


@dataclass(frozen=True)
class TimeValue:
    duration: int
    unit: str  # a key of NANOS

    @property
    def nanos(self) -> int:
        return self.duration * NANOS[self.unit]

    @property
    def millis(self) -> int:
        return self.nanos // 1_000_000

    def __str__(self) -> str:
        return to_string(self)

    def exact(self) -> str:
        """A lossless form that parses back to the same value (``toString`` may round: "100m" -> "1.6h")."""
        return f"{self.duration}{self.unit}"


def parse(text: str, setting: str) -> TimeValue:
    """``TimeValue.parseTimeValue(text, setting)``: units nanos|micros|ms|s|m|h|d, ``-1`` and ``0``."""
    normalized = text.lower().strip()
    for suffix in ("nanos", "micros", "ms", "s"):
        if normalized.endswith(suffix):
            return TimeValue(_number(text, normalized, suffix, setting), suffix)
    if text.endswith("m"):  # case-sensitive: "M" would mean months
        return TimeValue(_number(text, normalized, "m", setting), "m")
    for suffix in ("h", "d"):
        if normalized.endswith(suffix):
            return TimeValue(_number(text, normalized, suffix, setting), suffix)
    if re.fullmatch(r"-0*1", normalized):
        return TimeValue(-1, "ms")
    if re.fullmatch(r"0+", normalized):
        return TimeValue(0, "ms")
    raise TimeValueError(
        f"failed to parse setting [{setting}] with value [{text}] as a time value: unit is missing or unrecognized"
    )


def _number(text: str, normalized: str, suffix: str, setting: str) -> int:
    raw = normalized[: len(normalized) - len(suffix)].strip()
    # Long.parseLong: a literal beyond a long fails, and upstream then tries it as a double.
    if _INTEGER.fullmatch(raw) and len(raw) <= 20 and -LONG_MAX - 1 <= int(raw) <= LONG_MAX:
        value = int(raw)
        if value < -1:
            raise TimeValueError(
                f"failed to parse setting [{setting}] with value [{text}] as a time value: "
                "negative durations are not supported",
                illegal_argument=True,
            )
        return value
    if _DECIMAL.fullmatch(raw):
        raise TimeValueError(f"failed to parse [{text}], fractional time values are not supported")
    raise TimeValueError(f"failed to parse [{text}]")


def to_string(tv: TimeValue) -> str:
    """``TimeValue.toString()`` = ``toHumanReadableString(1)``."""
    if tv.duration < 0:
        return str(tv.duration)
    nanos = tv.nanos
    if nanos == 0:
        return "0s"
    for suffix in ("d", "h", "m", "s", "ms", "micros"):
        if nanos >= NANOS[suffix]:
            return _format_decimal(nanos / NANOS[suffix], 1) + suffix
    return _format_decimal(float(nanos), 1) + "nanos"


def _java_double(value: float) -> str:
    """Double.toString for the magnitudes a duration reaches (plain notation below 10^7)."""
    if value >= 1e7:
        mantissa, exponent = f"{value:.16E}".split("E")
        digits = repr(value / 10 ** int(exponent))
        return f"{digits}E{int(exponent)}"
    text = repr(value)
    return text if "." in text else text + ".0"


def _format_decimal(value: float, pieces: int) -> str:
    p = _java_double(value)
    ix = p.index(".") + 1
    ex = p.find("E")
    end = min(ix + pieces, len(p)) if ex == -1 else ex
    fraction = p[ix:end]
    if not fraction.strip("0") or pieces <= 0:
        return p[: ix - 1] + (p[ex:] if ex != -1 else "")
    return p[:end] + (p[ex:] if ex != -1 else "")


def normalize(text: str, setting: str) -> str:
    """Parse and print again: the form a stored policy shows."""
    return to_string(parse(text, setting))
