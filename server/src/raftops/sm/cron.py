"""Job-scheduler schedules: ``{"cron": {"expression", "timezone", "schedule_delay"?}}`` and ``{"interval": {...}}``.

Cron expressions are UNIX 5-field (cron-utils ``CronType.UNIX``: minute hour day-of-month month
day-of-week, ``* , - /``, month and day names, day-of-week 0-7); times are computed by croniter in
the IANA zone (zoneinfo). Parse errors carry upstream's types: a bad expression is a 400
``illegal_argument_exception``, a bad zone ``zone_rules_exception``/``date_time_exception``, a missing one
``null_pointer_exception``. Upstream answers the last three with a 500 (``ZoneId.of`` does not throw
IllegalArgumentException); they are the client's mistake, so raftops answers them with a 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from croniter.croniter import CroniterBadDateError, CroniterError

from ..errors import UpstreamError, illegal_argument

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    (
        "month",
        1,
        12,
        {m: i + 1 for i, m in enumerate(_MONTHS)},
    ),
    ("day of week", 0, 7, {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}),
)
_REGION_ID = re.compile(r"[A-Za-z][A-Za-z0-9~/._+-]+")
_OFFSET = re.compile(r"(?:(UTC|GMT|UT)(?=[+-])|)([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?")
INTERVAL_UNITS = {"MILLIS": 1, "SECONDS": 1000, "MINUTES": 60_000, "HOURS": 3_600_000, "DAYS": 86_400_000}


def zone(zone_id: Any) -> tzinfo:
    """``ZoneId.of(zone_id)`` with Java's error types."""
    if zone_id is None:
        raise UpstreamError(400, "null_pointer_exception", "zone")
    text = str(zone_id)
    if text in ("Z", "UTC", "GMT", "UT"):
        return ZoneInfo("UTC") if text != "Z" else UTC
    m = _OFFSET.fullmatch(text)
    if m and (m.group(1) or len(text) > 1):
        hours, minutes, seconds = int(m.group(3)), int(m.group(4) or 0), int(m.group(5) or 0)
        if hours > 18:
            raise UpstreamError(
                400,
                "date_time_exception",
                f"Zone offset hours not in valid range: value {hours} is not in the range -18 to 18",
            )
        sign = -1 if m.group(2) == "-" else 1
        return timezone(sign * timedelta(hours=hours, minutes=minutes, seconds=seconds), text)
    if not _REGION_ID.fullmatch(text):
        raise UpstreamError(400, "date_time_exception", f"Invalid ID for region-based ZoneId, invalid format: {text}")
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file name
        raise UpstreamError(400, "zone_rules_exception", f"Unknown time-zone ID: {text}") from None


def _check_value(field: str, raw: str, low: int, high: int, names: dict[str, int]) -> None:
    value = names.get(raw)
    if value is None:
        if not raw.isdigit():
            raise ValueError(f"Invalid chars in expression! Expression: {raw} Invalid chars: {raw}")
        value = int(raw)
    if not low <= value <= high:
        raise ValueError(f"Value {value} not in range [{low}, {high}]")


def _check_field(part: str, field: str, low: int, high: int, names: dict[str, int]) -> None:
    if part.endswith(","):
        raise UpstreamError.illegal(f"Invalid field value! Trailing commas not permitted! '{part}'")
    for item in part.split(","):
        base, slash, step = item.partition("/")
        if slash and (not step.isdigit() or int(step) == 0):
            raise ValueError(f"Invalid increment value: {step or item}")
        if base == "*":
            continue
        start, dash, end = base.partition("-")
        _check_value(field, start, low, high, names)
        if dash:
            _check_value(field, end, low, high, names)


def check_expression(expression: Any) -> str:
    """cron-utils' UNIX parser: the checks and messages a policy write gets back."""
    if expression is None:
        raise UpstreamError(400, "null_pointer_exception", "Expression must not be null")
    text = re.sub(r"\s+", " ", str(expression)).strip()
    if not text:
        raise illegal_argument("Empty expression!")
    parts = text.upper().split(" ")
    if len(parts) != 5:
        raise illegal_argument(f"Cron expression contains {len(parts)} parts but we expect one of [5]")
    try:
        for part, (field, low, high, names) in zip(parts, _FIELDS, strict=True):
            _check_field(part, field, low, high, names)
        croniter(text.lower())
    except (ValueError, CroniterError) as exc:
        raise illegal_argument(f"Failed to parse cron expression. {exc}") from None
    return text


@dataclass(frozen=True)
class CronSchedule:
    expression: str
    timezone: str
    delay_ms: int | None = None

    @property
    def tz(self) -> tzinfo:
        return zone(self.timezone)

    def to_json(self) -> dict[str, Any]:
        cron: dict[str, Any] = {"expression": self.expression, "timezone": self.timezone}
        if self.delay_ms is not None:
            cron["schedule_delay"] = self.delay_ms
        return {"cron": cron}

    def _at(self, ms: int) -> datetime:
        try:
            return datetime.fromtimestamp((ms - (self.delay_ms or 0)) / 1000, tz=UTC).astimezone(self.tz)
        except (OverflowError, ValueError, OSError):
            raise illegal_argument(
                f"schedule_delay [{self.delay_ms}] puts the schedule outside the supported time range"
            ) from None

    def next_after(self, ms: int) -> int | None:
        """``getNextExecutionTime``: the first fire time strictly after ``ms`` (epoch millis)."""
        try:
            nxt = croniter(self.expression.lower(), self._at(ms)).get_next(datetime)
        except CroniterBadDateError:
            return None
        return int(nxt.timestamp() * 1000) + (self.delay_ms or 0)

    def last_at_or_before(self, ms: int) -> int | None:
        """``getPeriodStartingAt(null).v1()``'s last execution: the latest fire time not after ``ms``."""
        at = self._at(ms)
        try:
            it = croniter(self.expression.lower(), at + timedelta(microseconds=1))
            prev = it.get_prev(datetime)
        except CroniterBadDateError:
            return None
        return int(prev.timestamp() * 1000) + (self.delay_ms or 0)


@dataclass(frozen=True)
class IntervalSchedule:
    start_time: int
    period: int
    unit: str  # ChronoUnit name as printed: "Minutes"

    def to_json(self) -> dict[str, Any]:
        return {"interval": {"start_time": self.start_time, "period": self.period, "unit": self.unit}}

    @property
    def period_ms(self) -> int:
        return self.period * INTERVAL_UNITS.get(self.unit.upper(), 60_000)


LONG_MIN, LONG_MAX = -(1 << 63), (1 << 63) - 1


def _long(value: Any, field: str) -> int:
    """XContentParser.longValue: a number or a string of digits, within Java's long."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise illegal_argument(f"Failed to parse [{field}]: expected a number, found {value!r}")
    text = value.strip() if isinstance(value, str) else ""
    if isinstance(value, str) and not (text.lstrip("+-").isdecimal() and len(text) <= 20):
        raise illegal_argument(f'For input string: "{value}"')
    try:
        number = int(value if not isinstance(value, str) else text)
    except (ValueError, OverflowError):
        raise illegal_argument(f'For input string: "{value}"') from None
    if not LONG_MIN <= number <= LONG_MAX:
        raise illegal_argument(f"Numeric value ({value}) out of range of long")
    return number


def parse_schedule(doc: Any, *, allow_interval: bool = False) -> CronSchedule | IntervalSchedule:
    """``ScheduleParser.parse``: the first key decides; unknown keys are upstream's 400s."""
    if not isinstance(doc, dict):
        raise UpstreamError.parsing(f"Failed to parse object: expecting token of type [START_OBJECT] but found {doc!r}")
    for key, value in doc.items():
        if key == "cron":
            if not isinstance(value, dict):
                raise UpstreamError.parsing("Failed to parse object: expecting token of type [START_OBJECT]")
            expression = tz_id = delay = None
            for field, item in value.items():
                if field == "expression":
                    expression = None if item is None else str(item)
                elif field == "timezone":
                    tz_id = item
                    zone(item)
                elif field == "schedule_delay":
                    delay = _long(item, field)
                else:
                    raise illegal_argument(f"Unknown cron field {field}")
            text = check_expression(expression)
            zone(tz_id)
            return CronSchedule(text, str(tz_id), delay)
        if key == "interval" and allow_interval:
            if not isinstance(value, dict):
                raise UpstreamError.parsing("Failed to parse object: expecting token of type [START_OBJECT]")
            start, period, unit = None, 0, None
            for field, item in value.items():
                if field == "start_time":
                    start = _long(item, field)
                elif field == "period":
                    period = _long(item, field)
                elif field == "unit":
                    unit = _chrono_unit(item)
                elif field == "schedule_delay":
                    _long(item, field)
                else:
                    raise illegal_argument(f"Unknown interval field {field}")
            if start is None or unit is None or period <= 0:
                raise illegal_argument("Interval schedule needs start_time, a positive period and a unit")
            return IntervalSchedule(start, period, unit)
        raise illegal_argument(f"Unknown schedule type {key}")
    raise illegal_argument("Invalid schedule document object.")


def _chrono_unit(value: Any) -> str:
    name = str(value).upper()
    if name not in INTERVAL_UNITS:
        raise illegal_argument(f"No enum constant java.time.temporal.ChronoUnit.{name}")
    return name.capitalize()
