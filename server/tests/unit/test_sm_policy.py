"""SM policy documents (parse, validation order, rendering) and the state machine's pure rules."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from raftops.api.opensearch import OpenSearchError
from raftops.sm import metadata, policy, statemachine
from raftops.sm.statemachine import SnapshotInfo

NOW = 1656425122909  # 2022-06-28T14:05:22.909Z
SEED = {
    "description": "Daily snapshot policy",
    "creation": {"schedule": {"cron": {"expression": "0 8 * * *", "timezone": "UTC"}}, "time_limit": "1h"},
    "deletion": {
        "schedule": {"cron": {"expression": "0 1 * * *", "timezone": "America/Los_Angeles"}},
        "condition": {"max_age": "7d", "max_count": 21, "min_count": 7},
        "time_limit": "1h",
    },
    "snapshot_config": {
        "date_format": "yyyy-MM-dd-HH:mm",
        "timezone": "America/Los_Angeles",
        "indices": "*",
        "repository": "s3-repo",
        "ignore_unavailable": "true",
        "include_global_state": "false",
        "partial": "true",
        "metadata": {"any_key": "any_value"},
    },
    "notification": {
        "channel": {"id": "NC3OpoEBzEoHMX183R3f"},
        "conditions": {"creation": True, "deletion": False, "failure": False, "time_limit_exceeded": False},
    },
}


def body(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(SEED)
    for path, value in changes.items():
        target = doc
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[key]
        if value is None:
            target.pop(keys[-1], None)
        else:
            target[keys[-1]] = value
    return doc


def test_the_seed_example_renders_like_opensearch() -> None:
    p = policy.for_index(SEED, "daily-policy", NOW)
    doc = p.render()
    assert list(doc) == [
        "name",
        "description",
        "schema_version",
        "creation",
        "deletion",
        "snapshot_config",
        "schedule",
        "enabled",
        "last_updated_time",
        "enabled_time",
        "notification",
    ]
    assert doc["schema_version"] == policy.SCHEMA_VERSION
    assert doc["deletion"]["condition"] == {"max_age": "7d", "min_count": 7, "max_count": 21}
    assert doc["schedule"] == {"interval": {"start_time": NOW, "period": 1, "unit": "Minutes"}}
    assert doc["last_updated_time"] == doc["enabled_time"] == NOW
    assert doc["snapshot_config"] == SEED["snapshot_config"]
    # A stored document parses back to the same policy.
    assert policy.parse(doc, "daily-policy", NOW + 5).render() == doc


def test_defaults_and_normalisation() -> None:
    p = policy.for_index(
        body(
            deletion={"condition": {"max_count": 3}, "time_limit": "90m"},
            notification={"channel": {"id": "c"}},
            enabled=False,
            creation__time_limit="24h",
        ),
        "p",
        NOW,
    )
    doc = p.render()
    assert doc["deletion"]["schedule"] == doc["creation"]["schedule"]  # deletion falls back to creation's schedule
    assert doc["deletion"]["condition"] == {"min_count": 1, "max_count": 3}
    assert doc["deletion"]["time_limit"] == "1.5h"
    assert doc["creation"]["time_limit"] == "1d"
    assert doc["enabled"] is False and doc["enabled_time"] is None
    assert doc["notification"]["conditions"] == {
        "creation": True,
        "deletion": False,
        "failure": False,
        "time_limit_exceeded": False,
    }


@pytest.mark.parametrize(
    ("doc", "status", "kind", "reason"),
    [
        (body(creation=None, deletion=None), 400, "illegal_argument_exception",
         "Must provide either creation or deletion configuration."),
        (body(snapshot_config__repository=None), 400, "illegal_argument_exception",
         "Must provide the repository in snapshot config."),
        (body(snapshot_config__repository=""), 400, "illegal_argument_exception",
         "Must provide the repository in snapshot config."),
        (body(snapshot_config=None), 400, "illegal_argument_exception", "snapshot_config field must not be null"),
        (body(creation__schedule=None), 400, "illegal_argument_exception", "schedule field must not be null"),
        (body(creation=None, deletion__schedule=None), 400, "illegal_argument_exception",
         "Schedule not provided for neither deletion policy nor creation policy"),
        (body(deletion__condition=None), 400, "illegal_argument_exception", "condition must not be null."),
        (body(deletion__condition={"min_count": 2}), 400, "illegal_argument_exception",
         "Please provide max_age or max_count."),
        (body(deletion__condition={"max_count": 2, "min_count": 0}), 400, "illegal_argument_exception",
         "min_count should be bigger than 0."),
        (body(deletion__condition={"max_count": 2, "min_count": 2}), 400, "illegal_argument_exception",
         "max_count should be bigger than min_count."),
        (body(creation__time_limit="1x"), 400, "parse_exception",
         "failed to parse setting [time_limit] with value [1x] as a time value: unit is missing or unrecognized"),
        (body(deletion__condition__max_age="7"), 400, "parse_exception",
         "failed to parse setting [max_age] with value [7] as a time value: unit is missing or unrecognized"),
        (body(snapshot_config__date_format="yyyy-bb"), 400, "illegal_argument_exception",
         "Please provide a valid date format. Invalid format: [yyyy-bb]: Unknown pattern letter: b"),
        (body(creation__schedule={"cron": {"expression": "0 0 31 2 *", "timezone": "UTC"}}), 400,
         "illegal_argument_exception",
         "Next execution time from the creation schedule is null, please provide a valid cron expression."),
        (body(notification={"conditions": {}}), 400, "illegal_argument_exception",
         "Snapshot Management notification channel must not be null"),
        (body(notification={"channel": {"id": "c"}, "x": 1}), 400, "illegal_argument_exception",
         "Invalid field: [x] found in Snapshot Management notification config."),
        (body(notification={"channel": {"id": "c"}, "conditions": {"y": True}}), 400, "illegal_argument_exception",
         "Invalid field: [y] found in conditions."),
        (body(name=None) | {"name": None}, 400, "illegal_argument_exception",
         "The name field of SMPolicy must not be null."),
        (body(enabled="yes"), 400, "illegal_argument_exception",
         'Failed to parse field [enabled]: "yes" is not a valid boolean ([true] or [false])'),
        (body(deletion__condition__max_count="many"), 400, "illegal_argument_exception",
         'Failed to parse field [deletion.condition.max_count]: "many" is not a valid integer'),
    ],
)  # fmt: skip
def test_validation_messages(doc: dict, status: int, kind: str, reason: str) -> None:
    with pytest.raises(OpenSearchError) as err:
        policy.for_index(doc, "p", NOW)
    assert (err.value.status, err.value.type, err.value.reason) == (status, kind, reason)


def test_first_problem_in_document_order_wins() -> None:
    doc = {
        "deletion": {"condition": {"min_count": 1}},
        "creation": {"time_limit": "1h"},
        "snapshot_config": {},
    }
    with pytest.raises(OpenSearchError, match=r"^Please provide max_age or max_count\.$"):
        policy.for_index(doc, "p", NOW)
    with pytest.raises(OpenSearchError, match="^schedule field must not be null$"):
        policy.for_index(dict(reversed(list(doc.items()))), "p", NOW)


def test_body_name_is_ignored_and_unknown_keys_too() -> None:
    p = policy.for_index(body(name="other") | {"whatever": {"x": 1}}, "mine", NOW)
    assert p.render()["name"] == "mine"


def snaps(*starts: int) -> list[SnapshotInfo]:
    return [SnapshotInfo(f"p-{i}", "SUCCESS", start, {"sm_policy": "p"}) for i, start in enumerate(starts)]


DAY = 86_400_000


@pytest.mark.parametrize(
    ("condition", "starts", "deleted"),
    [
        ({"max_count": 3}, [1, 2, 3, 4, 5], ["p-0", "p-1"]),
        ({"max_count": 5}, [1, 2, 3], []),
        ({"max_age": "2d"}, [NOW - 5 * DAY, NOW - 3 * DAY, NOW - DAY, NOW], ["p-0", "p-1"]),
        ({"max_age": "2d", "min_count": 3}, [NOW - 5 * DAY, NOW - 3 * DAY, NOW - DAY, NOW], ["p-0"]),
        ({"max_age": "1d", "min_count": 5}, [NOW - 5 * DAY, NOW - 3 * DAY], []),
        ({"max_age": "2d", "max_count": 2}, [NOW - 5 * DAY, NOW - DAY, NOW - 1000, NOW], ["p-0", "p-1"]),
        # Age removes the two old ones; what remains already meets max_count and min_count.
        ({"max_age": "1s", "min_count": 3, "max_count": 4}, [NOW - DAY] * 2 + [NOW - 5] * 4, ["p-0", "p-1"]),
    ],
)
def test_retention_is_upstreams(condition: dict, starts: list[int], deleted: list[str]) -> None:
    p = policy.for_index(body(deletion__condition=condition), "p", NOW)
    assert p.deletion is not None
    infos = snaps(*starts)
    random.Random(7).shuffle(infos)  # the filter sorts by start time itself
    assert statemachine.filter_by_delete_condition(infos, p.deletion.condition, NOW) == deleted


def test_snapshot_names_follow_the_policy_date_format() -> None:
    p = policy.for_index(body(snapshot_config__date_format_timezone="America/Los_Angeles"), "daily-policy", NOW)
    name = statemachine.snapshot_name(p, NOW, random.Random(1))
    assert name.startswith("daily-policy-2022-06-28-07:05-")
    suffix = name.rsplit("-", 1)[1]
    assert len(suffix) == 8 and set(suffix) <= set(statemachine.RANDOM_CHARS)
    default = policy.for_index(body(snapshot_config__date_format=None), "p", NOW)
    assert statemachine.snapshot_name(default, NOW).startswith("p-2022-06-28t14:05:22-")


def test_simple_match() -> None:
    assert statemachine.simple_match("p*", "p-1")
    assert statemachine.simple_match("*-1", "p-1")
    assert statemachine.simple_match("a*b*c", "aXbYc")
    assert not statemachine.simple_match("a*b*c", "aXcYb")
    assert not statemachine.simple_match("p?", "px")  # only * is special
    assert statemachine.simple_match("p?", "p?")


def test_initial_metadata_and_policy_change() -> None:
    p = policy.for_index(SEED, "daily-policy", NOW)
    md = statemachine.initial_metadata(p, 10, 2, NOW)
    assert md.to_json() == {
        "name": "daily-policy",
        "policy_seq_no": 10,
        "policy_primary_term": 2,
        "creation": {"current_state": "CREATION_START", "trigger": {"time": 1656489600000}},
        "deletion": {"current_state": "DELETION_START", "trigger": {"time": 1656489600000}},  # 01:00 PDT
    }
    assert statemachine.handle_policy_change(md, p, 10, 2, NOW + DAY) is md
    moved = statemachine.handle_policy_change(md, p, 11, 2, NOW + DAY)
    assert moved.policy_seq_no == 11
    assert moved.creation is not None and moved.creation.trigger_time == 1656489600000 + DAY


def test_latest_execution_rules() -> None:
    wf = metadata.Workflow("CREATION_START", 0)
    failing = wf.set_latest(metadata.RETRYING, NOW, message="m", cause="c")
    assert failing.latest is not None
    assert failing.latest.to_json() == {
        "status": "RETRYING",
        "start_time": NOW,
        "end_time": None,
        "info": {"message": "[2022-06-28T14:05:22Z]: m", "cause": "[2022-06-28T14:05:22Z]: c"},
    }
    # While a snapshot is started, the execution is updated in place (start time kept).
    running = metadata.Workflow("CREATING", 0, ("s",), failing.latest)
    done = running.set_latest(metadata.SUCCESS, NOW + 5000, message="ok", end_time=NOW + 5000)
    assert done.latest is not None
    assert (done.latest.start_time, done.latest.end_time, done.latest.cause) == (NOW, NOW + 5000, None)
    assert done.reset("CREATION").to_json()["current_state"] == "CREATION_START"
    assert "started" not in done.reset("CREATION").to_json()


def test_stored_time_values_are_lossless() -> None:
    p = policy.for_index(body(deletion__condition={"max_age": "100m"}, creation__time_limit="150s"), "p", NOW)
    assert p.render()["deletion"]["condition"]["max_age"] == "1.6h"  # OpenSearch's print truncates
    assert p.render()["creation"]["time_limit"] == "2.5m"  # which would not even parse back
    back = policy.parse(p.render(exact=True), "p", NOW)
    assert back.deletion is not None and back.deletion.condition.max_age is not None
    assert back.deletion.condition.max_age.millis == 6_000_000
    assert back.creation is not None and back.creation.time_limit is not None
    assert back.creation.time_limit.millis == 150_000
    assert back.render() == p.render()
