"""The OpenSearch-style APIs on a real 3-server cluster: SM policies (every call and error of the seed),
snapshot repositories and snapshots, notification channels."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from raftops.localcluster import LocalCluster
from raftops.sm.notifications import header_mask

from .nomadhttp import started_cluster
from .smhelpers import SM, Api, error_type, reason, wait_until

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
MINIMAL = {
    "creation": {"schedule": {"cron": {"expression": "0 8 * * *", "timezone": "UTC"}}},
    "snapshot_config": {"repository": "repo"},
}


@pytest.fixture(scope="module")
def cluster(cluster_root: Path) -> Iterator[LocalCluster]:
    with started_cluster(cluster_root, "sm-api", {"sm": {"test_clock": True}}) as c:
        yield c


@pytest.fixture(scope="module")
def api(cluster: LocalCluster) -> Api:
    return Api(cluster.nodes[0].api)


def other(cluster: LocalCluster, i: int = 1) -> Api:
    return Api(cluster.nodes[i].api)


# -- create / get / update / delete ---------------------------------------------------------------------
def test_the_seed_example_round_trip(cluster: LocalCluster, api: Api) -> None:
    resp = api.call("POST", f"{SM}/daily-policy", SEED)
    assert resp.status_code == 201, resp.text
    assert resp.headers["Location"] == f"{SM}/daily-policy"
    assert resp.headers["Content-Type"] == "application/json; charset=UTF-8"
    created = resp.json()
    assert list(created) == ["_id", "_version", "_seq_no", "_primary_term", "sm_policy"]
    assert created["_id"] == "daily-policy-sm-policy"
    assert created["_version"] == 1
    assert created["_primary_term"] >= 1
    doc = created["sm_policy"]
    assert doc["name"] == "daily-policy"
    assert doc["creation"] == SEED["creation"]
    assert doc["deletion"]["condition"] == {"max_age": "7d", "min_count": 7, "max_count": 21}
    assert doc["snapshot_config"] == SEED["snapshot_config"]
    assert doc["notification"] == SEED["notification"]
    assert doc["schedule"]["interval"]["period"] == 1 and doc["schedule"]["interval"]["unit"] == "Minutes"
    assert doc["enabled"] is True and doc["enabled_time"] == doc["last_updated_time"]

    got = other(cluster).ok("GET", f"{SM}/daily-policy")  # any agent answers
    assert got == created

    status, body = api.error("POST", f"{SM}/daily-policy", SEED)
    assert status == 409
    assert body["error"]["root_cause"][0] == {
        "type": "version_conflict_engine_exception",
        "reason": "[daily-policy-sm-policy]: version conflict, document already exists (current version [1])",
        "index_uuid": "_na_",
        "shard": "0",
        "index": ".opendistro-ism-config",
    }

    status, body = api.error("PUT", f"{SM}/daily-policy", SEED)
    assert (status, error_type(body), reason(body)) == (
        400,
        "action_request_validation_exception",
        "Validation Failed: 1: Sequence number and primary term must be provided when updating a snapshot "
        "management policy;",
    )
    status, body = api.error("PUT", f"{SM}/daily-policy", SEED, if_seq_no=created["_seq_no"])  # one is not enough
    assert status == 400 and error_type(body) == "action_request_validation_exception"

    seq, term = created["_seq_no"], created["_primary_term"]
    status, body = api.error("PUT", f"{SM}/daily-policy", SEED, if_seq_no=seq + 1000, if_primary_term=term)
    assert status == 409
    assert reason(body) == (
        f"[daily-policy-sm-policy]: version conflict, required seqNo [{seq + 1000}], primary term [{term}]. "
        f"current document has seqNo [{seq}] and primary term [{term}]"
    )
    status, body = api.error("PUT", f"{SM}/daily-policy", SEED, if_seq_no=seq, if_primary_term=term + 1)
    assert status == 409 and "current document has seqNo" in reason(body)
    status, body = api.error("PUT", f"{SM}/daily-policy", SEED, if_seq_no="x1", if_primary_term=term)
    assert (status, reason(body)) == (400, "Failed to parse long parameter [if_seq_no] with value [x1]")

    changed = copy.deepcopy(SEED)
    changed["description"] = "changed"
    resp = api.call("PUT", f"{SM}/daily-policy", changed, if_seq_no=seq, if_primary_term=term)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Location"] == f"{SM}/daily-policy"
    updated = resp.json()
    assert updated["_version"] == 2 and updated["_seq_no"] > seq
    assert updated["sm_policy"]["description"] == "changed"
    assert updated["sm_policy"]["last_updated_time"] >= doc["last_updated_time"]
    # The old seq_no is stale now.
    status, _ = api.error("PUT", f"{SM}/daily-policy", changed, if_seq_no=seq, if_primary_term=term)
    assert status == 409
    status, body = api.error("PUT", f"{SM}/nope", changed, if_seq_no=3, if_primary_term=1)
    assert (status, reason(body)) == (
        409,
        "[nope-sm-policy]: version conflict, required seqNo [3], primary term [1]. but no document was found",
    )
    assert api.call("GET", f"{SM}/nope").status_code == 404  # PUT never creates

    deleted = api.ok("DELETE", f"{SM}/daily-policy")
    assert deleted == {
        "_index": ".opendistro-ism-config",
        "_id": "daily-policy-sm-policy",
        "_version": 3,
        "result": "deleted",
        "forced_refresh": True,
        "_shards": {"total": 1, "successful": 1, "failed": 0},
        "_seq_no": deleted["_seq_no"],
        "_primary_term": deleted["_primary_term"],
    }
    assert deleted["_seq_no"] > updated["_seq_no"]
    for method in ("GET", "DELETE"):
        status, body = api.error(method, f"{SM}/daily-policy")
        assert body == {
            "error": {
                "root_cause": [{"type": "status_exception", "reason": "Snapshot management policy not found"}],
                "type": "status_exception",
                "reason": "Snapshot management policy not found",
            },
            "status": 404,
        }
    assert "forced_refresh" not in api.ok("POST", f"{SM}/again", MINIMAL, 201) and "forced_refresh" not in api.ok(
        "DELETE", f"{SM}/again", refresh="false"
    )


def test_pretty_output_is_opensearch_style(api: Api) -> None:
    api.ok("POST", f"{SM}/pretty", MINIMAL, 201)
    text = api.call("GET", f"{SM}/pretty", pretty="").text
    assert text.startswith('{\n  "_id" : "pretty-sm-policy",\n  "_version" : 1,')
    compact = api.call("GET", f"{SM}/pretty").text
    assert compact.startswith('{"_id":"pretty-sm-policy","_version":1,')
    api.ok("DELETE", f"{SM}/pretty")


def with_changes(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    target = doc
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[key]
    if value is ...:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "status", "kind", "message"),
    [
        ("creation", ..., 400, "illegal_argument_exception", "Must provide either creation or deletion configuration."),
        ("snapshot_config.repository", ..., 400, "illegal_argument_exception",
         "Must provide the repository in snapshot config."),
        ("snapshot_config", ..., 400, "illegal_argument_exception", "snapshot_config field must not be null"),
        ("creation.schedule", ..., 400, "illegal_argument_exception", "schedule field must not be null"),
        ("creation.schedule.cron.expression", "0 8 * *", 400, "illegal_argument_exception",
         "Cron expression contains 4 parts but we expect one of [5]"),
        ("creation.schedule.cron.timezone", "Mars/Base", 400, "zone_rules_exception",
         "Unknown time-zone ID: Mars/Base"),
        ("creation.time_limit", "soon", 400, "parse_exception",
         "failed to parse setting [time_limit] with value [soon] as a time value: unit is missing or unrecognized"),
        ("snapshot_config.date_format", "yyyy-bb", 400, "illegal_argument_exception",
         "Please provide a valid date format. Invalid format: [yyyy-bb]: Unknown pattern letter: b"),
        ("deletion", {"condition": {"min_count": 2}}, 400, "illegal_argument_exception",
         "Please provide max_age or max_count."),
        ("deletion", {"condition": {"max_count": 2, "min_count": 2}}, 400, "illegal_argument_exception",
         "max_count should be bigger than min_count."),
        ("deletion", {"schedule": {"cron": {"expression": "0 1 * * *", "timezone": "UTC"}}}, 400,
         "illegal_argument_exception", "condition must not be null."),
        ("notification", {"conditions": {"creation": True}}, 400, "illegal_argument_exception",
         "Snapshot Management notification channel must not be null"),
        ("enabled", "maybe", 400, "illegal_argument_exception",
         'Failed to parse field [enabled]: "maybe" is not a valid boolean ([true] or [false])'),
    ],
)  # fmt: skip
def test_validation_errors_change_nothing(
    api: Api, path: str, value: Any, status: int, kind: str, message: str
) -> None:
    got, body = api.error("POST", f"{SM}/invalid", with_changes(MINIMAL, path, value))
    assert (got, error_type(body), reason(body)) == (status, kind, message)
    assert body["error"]["root_cause"] == [{"type": kind, "reason": message}]
    assert body["status"] == status
    assert api.call("GET", f"{SM}/invalid").status_code == 404


def test_body_errors(api: Api) -> None:
    status, body = api.error("POST", f"{SM}/b", "{not json")
    assert status == 400 and error_type(body) == "json_parse_exception"
    status, body = api.error("POST", f"{SM}/b")
    assert (status, error_type(body), reason(body)) == (400, "parse_exception", "request body is required")
    status, body = api.error("POST", f"{SM}/b", [1])
    assert (status, error_type(body)) == (400, "parsing_exception")
    assert api.call("GET", f"{SM}/b").status_code == 404


def test_name_rules_apply_to_create_update_start_and_stop(api: Api) -> None:
    expected = (
        "Policy name must not contain whitespace.\nPolicy name must not contain '#'.\nPolicy name must be lowercase.\n"
        'Policy name must not contain the following characters [\\, /, *, ?, ", <, >, |,  , ,].'
    )
    for method, suffix in (("POST", ""), ("PUT", ""), ("POST", "/_start"), ("POST", "/_stop")):
        status, body = api.error(method, f"{SM}/Bad%20%23Name{suffix}", MINIMAL, if_seq_no=1, if_primary_term=1)
        assert (status, error_type(body), reason(body)) == (400, "illegal_argument_exception", expected)
    status, body = api.error("POST", f"{SM}/_hidden", MINIMAL)
    assert reason(body) == "Policy name must not start with '_'."
    # get, delete and explain do not validate the name
    assert api.error("GET", f"{SM}/Bad Name")[0] == 404
    assert api.error("DELETE", f"{SM}/Bad Name")[0] == 404
    assert api.ok("GET", f"{SM}/Bad Name/_explain") == {"policies": []}


def test_unknown_parameters_and_methods(api: Api) -> None:
    status, body = api.error("POST", f"{SM}/params", MINIMAL, refreh="true", zzz="1")
    assert (status, reason(body)) == (
        400,
        f"request [{SM}/params] contains unrecognized parameters: [refreh] -> did you mean [refresh]?, [zzz]",
    )
    assert api.call("GET", f"{SM}/params").status_code == 404
    status, body = api.error("GET", SM, sizee="3")
    assert reason(body) == f"request [{SM}] contains unrecognized parameter: [sizee] -> did you mean [size]?"
    status, body = api.error("GET", f"{SM}/x/_explain", verbose="true")
    assert status == 400 and "unrecognized parameter: [verbose]" in reason(body)
    for method in ("POST", "PUT"):
        resp = api.call(method, SM, MINIMAL)
        assert resp.status_code == 405
        assert resp.json() == {
            "error": f"Incorrect HTTP method for uri [{SM}] and method [{method}], allowed: [GET]",
            "status": 405,
        }
    resp = api.call("PATCH", f"{SM}/x", MINIMAL)
    assert resp.status_code == 405 and resp.headers["Allow"] == "DELETE,GET,POST,PUT"
    assert api.call("GET", f"{SM}/x/_start").status_code == 405


# -- list, explain, start and stop ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def listed(api: Api) -> list[str]:
    names = ["list-c", "list-a", "list-b", "other-x"]
    for name in names:
        api.ok("POST", f"{SM}/{name}", MINIMAL, 201)
    return sorted(names)


def test_list_paginates_sorts_and_queries(api: Api, listed: list[str]) -> None:
    everything = api.ok("GET", SM)
    names = [p["sm_policy"]["name"] for p in everything["policies"]]
    assert names == sorted(names) and set(listed) <= set(names)
    assert everything["total_policies"] == len(names)
    first = everything["policies"][0]
    assert list(first) == ["_id", "_seq_no", "_primary_term", "sm_policy"]

    page = api.ok("GET", SM, queryString="list-*", size=2, **{"from": 1})
    assert [p["sm_policy"]["name"] for p in page["policies"]] == ["list-b", "list-c"]
    assert page["total_policies"] == 3
    desc = api.ok("GET", SM, queryString="list-*", sortOrder="desc")
    assert [p["sm_policy"]["name"] for p in desc["policies"]] == ["list-c", "list-b", "list-a"]
    either = api.ok("GET", SM, queryString="list-a OR other-x")
    assert [p["sm_policy"]["name"] for p in either["policies"]] == ["list-a", "other-x"]
    by_time = api.ok("GET", SM, queryString="list-?", sortField="sm_policy.last_updated_time")
    assert [p["sm_policy"]["name"] for p in by_time["policies"]] == ["list-c", "list-a", "list-b"]
    assert api.ok("GET", SM, queryString="nothing*") == {"policies": [], "total_policies": 0}
    assert api.ok("GET", SM, size=0)["policies"] == []

    assert reason(api.error("GET", SM, size="x")[1]) == "Failed to parse int parameter [size] with value [x]"
    assert reason(api.error("GET", SM, sortOrder="up")[1]) == "Unknown SortOrder [up]"
    assert reason(api.error("GET", SM, size="-1")[1]) == "[size] parameter cannot be negative, found [-1]"
    status, body = api.error("GET", SM, sortField="sm_policy.nope")
    assert (status, error_type(body)) == (400, "query_shard_exception")


def test_explain_takes_lists_and_wildcards(api: Api, listed: list[str]) -> None:
    def ready() -> dict | None:  # the executor initialises the metadata within a tick or two
        body = api.ok("GET", f"{SM}/list-a,list-b/_explain")
        return body if all("creation" in p for p in body["policies"]) else None

    body = wait_until(ready, 20, what="explain metadata")
    assert [p["name"] for p in body["policies"]] == ["list-a", "list-b"]
    entry = body["policies"][0]
    assert list(entry) == ["name", "policy_seq_no", "policy_primary_term", "creation", "enabled"]
    assert entry["creation"]["current_state"] == "CREATION_START"
    assert entry["creation"]["trigger"]["time"] % 86_400_000 == 8 * 3_600_000  # the next 08:00 UTC
    assert entry["enabled"] is True
    policy = api.ok("GET", f"{SM}/list-a")
    assert (entry["policy_seq_no"], entry["policy_primary_term"]) == (policy["_seq_no"], policy["_primary_term"])
    assert [p["name"] for p in api.ok("GET", f"{SM}/list-*/_explain")["policies"]] == ["list-a", "list-b", "list-c"]
    assert [p["name"] for p in api.ok("GET", f"{SM}/list-%3F,other*/_explain")["policies"]] == [
        "list-a",
        "list-b",
        "list-c",
        "other-x",
    ]
    assert api.ok("GET", f"{SM}/missing,List-A/_explain") == {"policies": []}


def test_start_and_stop(api: Api, listed: list[str]) -> None:
    before = api.ok("GET", f"{SM}/list-c")
    assert api.ok("POST", f"{SM}/list-c/_stop") == {"acknowledged": True}
    stopped = api.ok("GET", f"{SM}/list-c")
    assert stopped["sm_policy"]["enabled"] is False
    assert stopped["sm_policy"]["enabled_time"] is None
    assert stopped["_seq_no"] > before["_seq_no"] and stopped["_version"] == before["_version"] + 1
    assert api.ok("POST", f"{SM}/list-c/_stop") == {"acknowledged": True}
    assert api.ok("GET", f"{SM}/list-c")["_seq_no"] == stopped["_seq_no"]  # already stopped: nothing written
    assert api.ok("GET", f"{SM}/list-c/_explain")["policies"][0]["enabled"] is False

    assert api.ok("POST", f"{SM}/list-c/_start") == {"acknowledged": True}
    started = api.ok("GET", f"{SM}/list-c")
    assert started["sm_policy"]["enabled"] is True
    assert started["sm_policy"]["enabled_time"] == started["sm_policy"]["last_updated_time"]
    assert started["_seq_no"] > stopped["_seq_no"]
    assert api.ok("POST", f"{SM}/list-c/_start") == {"acknowledged": True}
    assert api.ok("GET", f"{SM}/list-c")["_seq_no"] == started["_seq_no"]
    assert api.error("POST", f"{SM}/nope/_stop")[0] == 404


def test_a_put_without_enabled_re_enables_like_upstream(api: Api, listed: list[str]) -> None:
    api.ok("POST", f"{SM}/list-b/_stop")
    current = api.ok("GET", f"{SM}/list-b")
    updated = api.ok(
        "PUT", f"{SM}/list-b", MINIMAL, if_seq_no=current["_seq_no"], if_primary_term=current["_primary_term"]
    )
    assert updated["sm_policy"]["enabled"] is True


# -- repositories and snapshots ---------------------------------------------------------------------
def test_repository_definitions(api: Api, tmp_path: Path) -> None:
    location = str(tmp_path / "fs-repo")
    assert api.ok("PUT", "/_snapshot/r1", {"type": "fs", "settings": {"location": location, "compress": True}}) == {
        "acknowledged": True
    }
    assert api.ok("POST", "/_snapshot/r2", {"type": "fs", "settings": {"location": location}}) == {"acknowledged": True}
    assert not [p for p in Path(location).iterdir() if p.name.startswith("raftops-verify")]  # the probe was removed
    expected = {"type": "fs", "settings": {"location": location, "compress": "true"}}
    assert api.ok("GET", "/_snapshot/r1") == {"r1": expected}
    assert set(api.ok("GET", "/_snapshot")) >= {"r1", "r2"}
    assert set(api.ok("GET", "/_snapshot/_all")) >= {"r1", "r2"}
    assert set(api.ok("GET", "/_snapshot/r*")) == {"r1", "r2"}
    assert api.ok("POST", "/_snapshot/r1/_verify")["nodes"]

    status, body = api.error("GET", "/_snapshot/nope")
    assert (status, error_type(body), reason(body)) == (404, "repository_missing_exception", "[nope] missing")
    status, body = api.error("PUT", "/_snapshot/r3", {"settings": {"location": location}})
    assert (status, reason(body)) == (400, "Validation Failed: 1: type is missing;")
    status, body = api.error("PUT", "/_snapshot/r3", {"type": "hdfs"})
    assert (status, error_type(body), reason(body)) == (
        400,  # upstream: 500; the client's mistake, so raftops answers 400 (docs/api/sm.md)
        "repository_exception",
        "[r3] repository type [hdfs] does not exist",
    )
    status, body = api.error("PUT", "/_snapshot/r3", {"type": "fs", "settings": {}})
    assert (status, reason(body)) == (400, "[r3] missing location")
    status, body = api.error("PUT", "/_snapshot/r3", {"type": "s3", "settings": {"bucket": "b", "secret_key": "x"}})
    assert status == 400 and "not allowed in a repository definition" in reason(body)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    status, body = api.error("PUT", "/_snapshot/r3", {"type": "fs", "settings": {"location": str(blocker)}})
    assert (status, error_type(body)) == (500, "repository_verification_exception")
    assert api.error("GET", "/_snapshot/r3")[0] == 404  # nothing stored
    assert api.ok("PUT", "/_snapshot/r3", {"type": "fs", "settings": {"location": str(blocker)}}, verify="false")
    status, body = api.error("PUT", "/_snapshot/bad%23name", {"type": "fs", "settings": {"location": location}})
    assert reason(body) == "[bad#name] must not contain '#'"

    assert api.ok("DELETE", "/_snapshot/r3") == {"acknowledged": True}
    assert api.error("DELETE", "/_snapshot/r3")[0] == 404
    assert api.call("PATCH", "/_snapshot/r1").status_code == 405


def test_snapshots_in_a_repository(cluster: LocalCluster, api: Api, tmp_path: Path) -> None:
    location = tmp_path / "snaps"
    api.ok("PUT", "/_snapshot/snaps", {"type": "fs", "settings": {"location": str(location)}})
    made = api.ok("PUT", "/_snapshot/snaps/first", {"metadata": {"k": "v"}}, wait_for_completion="true")["snapshot"]
    assert made["snapshot"] == "first" and made["state"] == "SUCCESS"
    assert made["metadata"] == {"k": "v"} and made["indices"] == [] and made["shards"]["failed"] == 0
    assert made["end_time_in_millis"] >= made["start_time_in_millis"]
    assert made["duration_in_millis"] == made["end_time_in_millis"] - made["start_time_in_millis"]
    assert made["raftops"]["items"] > 0
    assert made["raftops"]["size_in_bytes"] == (location / "first.tar.gz").stat().st_size
    assert sorted(p.name for p in location.iterdir() if not p.name.startswith(".")) == ["first.json", "first.tar.gz"]

    assert api.ok("POST", "/_snapshot/snaps/second") == {"accepted": True}
    wait_until(lambda: [s for s in api.snapshots("snaps") if s["state"] == "SUCCESS"][1:], 30, what="second snapshot")
    listed = other(cluster, 2).ok("GET", "/_snapshot/snaps/_all")["snapshots"]
    assert [s["snapshot"] for s in listed] == ["first", "second"]
    assert [s["snapshot"] for s in api.ok("GET", "/_snapshot/snaps/sec*")["snapshots"]] == ["second"]
    assert [s["snapshot"] for s in api.ok("GET", "/_snapshot/snaps/first,second")["snapshots"]] == ["first", "second"]
    assert api.ok("GET", "/_snapshot/snaps/first", verbose="false")["snapshots"][0] == {
        "snapshot": "first",
        "uuid": made["uuid"],
        "indices": [],
        "data_streams": [],
        "state": "SUCCESS",
    }

    status, body = api.error("GET", "/_snapshot/snaps/nope")
    assert (status, error_type(body), reason(body)) == (404, "snapshot_missing_exception", "[snaps:nope] is missing")
    kept = api.ok("GET", "/_snapshot/snaps/nope,first", ignore_unavailable="true")["snapshots"]
    assert [s["snapshot"] for s in kept] == ["first"]
    status, body = api.error("PUT", "/_snapshot/snaps/first")
    assert (status, error_type(body), reason(body)) == (
        400,
        "invalid_snapshot_name_exception",
        "[snaps:first] Invalid snapshot name [first], snapshot with the same name already exists",
    )
    status, body = api.error("PUT", "/_snapshot/snaps/Upper")
    assert reason(body) == "[snaps:Upper] Invalid snapshot name [Upper], must be lowercase"
    status, body = api.error("PUT", "/_snapshot/nope/x")
    assert (status, reason(body)) == (404, "[nope] missing")

    assert api.ok("DELETE", "/_snapshot/snaps/second") == {"acknowledged": True}
    assert [s["snapshot"] for s in api.snapshots("snaps")] == ["first"]
    assert not (location / "second.tar.gz").exists()
    assert api.error("DELETE", "/_snapshot/snaps/second")[0] == 404
    assert api.error("POST", "/_snapshot/snaps/second/_restore")[0] == 404


# -- notification channels -------------------------------------------------------------------------------
CHANNEL = {
    "config_id": "sample-id",
    "config": {
        "name": "Sample webhook",
        "description": "for tests",
        "config_type": "webhook",
        "is_enabled": True,
        "webhook": {"url": "https://hooks.example.invalid/x", "header_params": {"X-Key": "1"}, "method": "PUT"},
    },
}


def test_notification_channels(api: Api) -> None:
    base = "/_plugins/_notifications/configs"
    assert api.ok("POST", base, CHANNEL) == {"config_id": "sample-id"}
    generated = api.ok("POST", base, {"config": CHANNEL["config"] | {"name": "second"}})["config_id"]
    status, body = api.error("POST", base, CHANNEL)
    assert (status, error_type(body)) == (409, "version_conflict_engine_exception")

    one = api.ok("GET", f"{base}/sample-id")
    assert one["total_hits"] == 1 and one["start_index"] == 0 and one["total_hit_relation"] == "eq"
    info = one["config_list"][0]
    masked = copy.deepcopy(CHANNEL["config"])  # header values are write-only: a salted SHA-256 mask instead
    masked["webhook"]["header_params"] = {"X-Key": header_mask("sample-id", "X-Key", "1")}
    assert info["config_id"] == "sample-id" and info["config"] == masked
    assert info["created_time_ms"] == info["last_updated_time_ms"]
    listed = api.ok("GET", base, config_type="webhook", name="second")
    assert [c["config_id"] for c in listed["config_list"]] == [generated]
    assert api.ok("GET", base, config_id_list=f"sample-id,{generated}")["total_hits"] == 2

    changed = copy.deepcopy(CHANNEL["config"]) | {"name": "renamed"}
    assert api.ok("PUT", f"{base}/sample-id", {"config": changed}) == {"config_id": "sample-id"}
    assert api.ok("GET", f"{base}/sample-id")["config_list"][0]["config"]["name"] == "renamed"

    for bad, message in (
        ({"config": {"config_type": "webhook", "webhook": {"url": "http://x"}}}, "name field absent"),
        (
            {"config": {"name": "n", "config_type": "webhook", "webhook": {"url": "ftp://x"}}},
            "Invalid URL or unsupported",
        ),
        ({"config": {"name": "n", "config_type": "webhook"}}, "ConfigType: webhook and data doesn't match"),
        ({"config_id": "a b", "config": CHANNEL["config"]}, "Invalid characters in id :  "),
        ({}, "config field absent"),
    ):
        status, body = api.error("POST", base, bad)
        assert (status, reason(body)) == (400, message), bad

    status, body = api.error("GET", f"{base}/absent")
    assert (status, error_type(body), reason(body)) == (404, "status_exception", "NotificationConfig absent not found")
    assert api.ok("DELETE", f"{base}/sample-id") == {"delete_response_list": {"sample-id": "OK"}}
    assert api.ok("DELETE", base, config_id_list=generated) == {"delete_response_list": {generated: "OK"}}
    assert api.error("DELETE", f"{base}/sample-id")[0] == 404


def test_a_stored_value_is_what_every_agent_serves(cluster: LocalCluster, api: Api) -> None:
    api.ok("POST", f"{SM}/everywhere", MINIMAL, 201)
    bodies = {json.dumps(Api(n.api).ok("GET", f"{SM}/everywhere"), sort_keys=True) for n in cluster.nodes}
    assert len(bodies) == 1
    assert requests.get(cluster.nodes[1].api + f"{SM}/everywhere", timeout=10).status_code == 200
