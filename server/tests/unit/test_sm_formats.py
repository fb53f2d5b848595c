"""Pure SM formats: Java date patterns, OpenSearch TimeValues, cron schedules and zones, names."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from raftops.api.opensearch import OpenSearchError
from raftops.sm import cron, datefmt, names, timevalue

WHEN = datetime(2022, 6, 28, 8, 5, 9, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("pattern", "zone", "expected"),
    [
        ("yyyy-MM-dd'T'HH:mm:ss", "UTC", "2022-06-28T08:05:09"),
        ("yyyy-MM-dd-HH:mm", "America/Los_Angeles", "2022-06-28-01:05"),
        ("yy.M.d", "UTC", "22.6.28"),
        ("hh:mm a", "UTC", "08:05 AM"),
        ("h 'o''clock' a", "America/Los_Angeles", "1 o'clock AM"),
        ("HH:mm:ss.SSS", "UTC", "08:05:09.123"),
        ("ss.S", "UTC", "09.1"),
        ("MMM MMMM EEE EEEE", "UTC", "Jun June Tue Tuesday"),
        ("D", "UTC", "179"),
        ("XXX xx Z", "America/Los_Angeles", "-07:00 -0700 -0700"),
        ("XXX", "UTC", "Z"),
        ("[yyyy]", "UTC", "2022"),
        ("''", "UTC", "'"),
        ("uuuu", "UTC", "2022"),
        ("date", "UTC", "2022-06-28"),
        ("strict_date_hour_minute", "UTC", "2022-06-28T08:05"),
        ("epoch_second", "UTC", "1656403509"),
    ],
)
def test_java_patterns_format_like_date_time_formatter(pattern: str, zone: str, expected: str) -> None:
    assert datefmt.compile_pattern(pattern).format(WHEN.astimezone(ZoneInfo(zone))) == expected


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("yyyy-bb", "Invalid format: [yyyy-bb]: Unknown pattern letter: b"),
        ("yyyy'T", "Invalid format: [yyyy'T]: Pattern ends with an incomplete string literal: yyyy'T"),
        ("yyyy#", "Invalid format: [yyyy#]: Pattern includes reserved character: '#'"),
        ("ddd", "Invalid format: [ddd]: Too many pattern letters: d"),
        ("yyyy]", "Invalid format: [yyyy]]: Pattern invalid as it contains ] without previous ["),
        ("ww", "Invalid format: [ww]: Pattern letter w is not supported by raftops snapshot names"),
    ],
)
def test_invalid_patterns_give_the_java_message(pattern: str, message: str) -> None:
    with pytest.raises(datefmt.DateFormatError) as err:
        datefmt.compile_pattern(pattern)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("text", "millis", "printed"),
    [
        ("1h", 3_600_000, "1h"),
        ("24h", 86_400_000, "1d"),
        ("90m", 5_400_000, "1.5h"),
        ("100m", 6_000_000, "1.6h"),
        ("7d", 604_800_000, "7d"),
        ("1500ms", 1500, "1.5s"),
        ("30s", 30_000, "30s"),
        (" 5 S ", 5000, "5s"),
        ("0", 0, "0s"),
        ("-1", -1, "-1"),
        ("2000micros", 2, "2ms"),
    ],
)
def test_time_values_parse_and_print_like_opensearch(text: str, millis: int, printed: str) -> None:
    tv = timevalue.parse(text, "time_limit")
    assert tv.millis == millis
    assert str(tv) == printed


MISSING = "as a time value: unit is missing or unrecognized"


@pytest.mark.parametrize(
    ("text", "message", "illegal"),
    [
        ("5", f"failed to parse setting [time_limit] with value [5] {MISSING}", False),
        ("5M", f"failed to parse setting [time_limit] with value [5M] {MISSING}", False),
        ("1.5h", "failed to parse [1.5h], fractional time values are not supported", False),
        ("xh", "failed to parse [xh]", False),
        (
            "-5m",
            "failed to parse setting [time_limit] with value [-5m] as a time value: "
            "negative durations are not supported",
            True,
        ),
    ],
)
def test_bad_time_values(text: str, message: str, illegal: bool) -> None:
    with pytest.raises(timevalue.TimeValueError) as err:
        timevalue.parse(text, "time_limit")
    assert str(err.value) == message
    assert err.value.illegal_argument is illegal


def test_cron_next_and_last_fire_times_in_a_zone() -> None:
    s = cron.parse_schedule({"cron": {"expression": "0 1 * * *", "timezone": "America/Los_Angeles"}})
    at = int(datetime(2022, 6, 28, 8, 0, tzinfo=UTC).timestamp() * 1000)  # 01:00 in Los Angeles (PDT)
    assert s.next_after(at) == int(datetime(2022, 6, 29, 8, 0, tzinfo=UTC).timestamp() * 1000)
    assert s.last_at_or_before(at) == at
    assert s.last_at_or_before(at - 1) == int(datetime(2022, 6, 27, 8, 0, tzinfo=UTC).timestamp() * 1000)
    assert s.to_json() == {"cron": {"expression": "0 1 * * *", "timezone": "America/Los_Angeles"}}


def test_cron_schedule_delay_shifts_fire_times() -> None:
    s = cron.parse_schedule({"cron": {"expression": "0 * * * *", "timezone": "UTC", "schedule_delay": 60000}})
    at = int(datetime(2022, 6, 28, 8, 0, 30, tzinfo=UTC).timestamp() * 1000)
    assert s.next_after(at) == int(datetime(2022, 6, 28, 8, 1, tzinfo=UTC).timestamp() * 1000)


def test_impossible_cron_has_no_next_time() -> None:
    s = cron.parse_schedule({"cron": {"expression": "0 0 31 2 *", "timezone": "UTC"}})
    assert s.next_after(0) is None


@pytest.mark.parametrize(
    ("doc", "status", "kind", "reason"),
    [
        ({"cron": {"expression": "0 8 * *", "timezone": "UTC"}}, 400, "illegal_argument_exception",
         "Cron expression contains 4 parts but we expect one of [5]"),
        ({"cron": {"expression": "0 25 * * *", "timezone": "UTC"}}, 400, "illegal_argument_exception",
         "Failed to parse cron expression. Value 25 not in range [0, 23]"),
        ({"cron": {"expression": "0 8 * * *", "timezone": "Mars/Base"}}, 400, "zone_rules_exception",
         "Unknown time-zone ID: Mars/Base"),
        ({"cron": {"expression": "0 8 * * *"}}, 400, "null_pointer_exception", "zone"),
        ({"cron": {"timezone": "UTC"}}, 400, "null_pointer_exception", "Expression must not be null"),
        ({"cron": {"expression": "0 8 * * *", "timezone": "UTC", "x": 1}}, 400, "illegal_argument_exception",
         "Unknown cron field x"),
        ({"weekly": {}}, 400, "illegal_argument_exception", "Unknown schedule type weekly"),
    ],
)  # fmt: skip
def test_bad_schedules_carry_upstream_types(doc: dict, status: int, kind: str, reason: str) -> None:
    with pytest.raises(OpenSearchError) as err:
        cron.parse_schedule(doc)
    assert (err.value.status, err.value.type, err.value.reason) == (status, kind, reason)


def test_cron_names_and_sunday_seven_are_accepted() -> None:
    for expression in ("0 8 * JAN-MAR MON-FRI", "*/15 0-6,22 1 * 7", "0 0 * * SUN"):
        assert cron.check_expression(expression) == expression


def test_zone_offsets() -> None:
    assert cron.zone("+05:30").utcoffset(None).total_seconds() == 19800
    assert cron.zone("UTC-08:00").utcoffset(None).total_seconds() == -28800
    with pytest.raises(OpenSearchError, match="not in the range -18 to 18"):
        cron.zone("+19:00")


def test_policy_name_rules_are_all_reported_together() -> None:
    with pytest.raises(OpenSearchError) as err:
        names.check_policy_name("_Bad #name,")
    assert err.value.reason.split("\n") == [
        "Policy name must not contain whitespace.",
        "Policy name must not contain ','.",
        "Policy name must not contain '#'.",
        "Policy name must not start with '_'.",
        "Policy name must be lowercase.",
        'Policy name must not contain the following characters [\\, /, *, ?, ", <, >, |,  , ,].',
    ]
    assert names.check_policy_name("daily-policy") == "daily-policy"


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "cannot be empty"),
        ("a b", "must not contain whitespace"),
        ("_x", "must not start with '_'"),
        ("Ab", "must be lowercase"),
        ("a*b", 'must not contain the following characters [\\, /, *, ?, ", <, >, |,  , ,]'),
    ],
)
def test_snapshot_names(name: str, why: str) -> None:
    with pytest.raises(OpenSearchError) as err:
        names.check_snapshot_name("repo", name)
    assert err.value.reason == f"[repo:{name}] Invalid snapshot name [{name}], {why}"
    assert err.value.type == "invalid_snapshot_name_exception"


def test_blob_names_are_portable_and_distinct() -> None:
    assert names.blob_base("daily-2022-06-28t08:00:00-abcd1234") == "daily-2022-06-28t08:00:00-abcd1234"
    assert names.blob_base("a$b") == "a+24b"
    assert names.blob_base("a+24b") == "a+2B24b"
    assert names.blob_base("-x") == "x++2Dx"
    assert names.blob_base("x++2Dx") == "x+2B+2B2Dx"
    assert names.info_blob("é") == "x++C3+A9.json"
