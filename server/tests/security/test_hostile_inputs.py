"""Malformed input, as an attacker sends it, against a real agent (etcd + raftops on loopback, ACLs on).

Two kinds of test:

* the findings of issue 12, one by one, with the answer each must get (upstream's, or a 400 where
  upstream would crash) and proof that nothing was written;
* a corpus (``corpus.py``): every body endpoint x every leaf x every class of bad value, every named
  path x every bad name, every numeric or text query parameter x every bad value. For each request:
  no 5xx other than the ones upstream defines for it (listed in ``upstream_5xx``), no connection
  dropped, a 2xx body that is strict JSON, and when the answer is an error, no replicated key
  written or deleted (compared key by key, with mod revisions, in etcd itself).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from .corpus import NAMES, NUMBERS, TEXTS, Case, deep, mutations
from .helpers import CHANNELS, CLOCK, SM, Target, changed, error_type, license_key_pem, reason, running

AUTOPILOT = {
    "CleanupDeadServers": True,
    "LastContactThreshold": "200ms",
    "MaxTrailingLogs": 250,
    "MinQuorum": 0,
    "ServerStabilizationTime": "10s",
    "EnableRedundancyZones": False,
    "DisableUpgradeMigration": False,
    "EnableCustomUpgrades": False,
}
SCHEDULER = {
    "SchedulerAlgorithm": "binpack",
    "PreemptionConfig": {"SystemSchedulerEnabled": True, "BatchSchedulerEnabled": False},
    "MemoryOversubscriptionEnabled": False,
    "NodeLimitForFeasibilityChecks": 0,
}
RULES = 'namespace "default" { policy = "read" }'
POLICY = {
    "description": "fuzz",
    "enabled": False,
    "creation": {"schedule": {"cron": {"expression": "0 8 * * *", "timezone": "UTC"}}, "time_limit": "1h"},
    "deletion": {
        "schedule": {"cron": {"expression": "0 1 * * *", "timezone": "UTC"}},
        "condition": {"max_age": "7d", "max_count": 21, "min_count": 7},
    },
    "snapshot_config": {"date_format": "yyyy-MM-dd", "timezone": "UTC", "repository": "fuzzrepo"},
    "notification": {"channel": {"id": "fuzz-ch"}, "conditions": {"creation": True}},
}
CHANNEL = {
    "name": "fuzz",
    "description": "d",
    "config_type": "webhook",
    "is_enabled": True,
    "webhook": {"url": "http://127.0.0.1:9/x", "header_params": {"Authorization": "Bearer x"}, "method": "POST"},
}


AUTOPILOT_PATH = "/v1/operator/autopilot/configuration"
SCHEDULER_PATH = "/v1/operator/scheduler/configuration"


def token_body(ttl: str) -> str:
    """A client token whose ExpirationTTL is the raw JSON ``ttl``."""
    return f'{{"Type": "client", "Policies": ["fuzzpol"], "ExpirationTTL": {ttl}}}'


def policy_text() -> str:
    return json.dumps(POLICY)


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile-repos")


@pytest.fixture(scope="module")
def target(cluster_root: Path, repos: Path) -> Iterator[Target]:
    config = {
        "sm": {"test_clock": True, "path_repo": [str(repos)]},
        "license": {"public_key": license_key_pem()},
    }
    with running(cluster_root, "hostile-inputs", config) as t:
        t.ok("PUT", "/v1/acl/policy/fuzzpol", {"Name": "fuzzpol", "Rules": RULES})
        t.ok("PUT", "/_snapshot/fuzzrepo", {"type": "fs", "settings": {"location": str(repos / "fuzz")}})
        t.ok("POST", CHANNELS, {"config_id": "fuzz-ch", "config": CHANNEL})
        t.ok("POST", f"{SM}/fuzz-upd", POLICY, 201)
        t.ok("PUT", "/v1/var/fuzz/existing", {"Items": {"k": "v"}})
        yield t


def upstream_5xx(method: str, path: str, resp: requests.Response) -> bool:
    """The 5xx answers upstream defines for a request (documented in docs/api/*.md)."""
    text = resp.text
    if error_type(resp) == "concurrent_snapshot_execution_exception" and resp.status_code == 503:
        return True  # OpenSearch: a snapshot being created cannot be deleted (503)
    if path.startswith("/v1/operator/snapshot") and text.startswith("failed to restore from snapshot: "):
        return True  # Nomad: every restore failure is a 500 (docs/api/snapshot.md)
    if path.startswith("/v1/operator/raft/peer") and "was not found in the Raft configuration" in text:
        return True  # Nomad: an RPC error, 500 (docs/api/operator-raft.md)
    return error_type(resp) == "repository_verification_exception"  # OpenSearch: the path is not reachable


def strict_json(text: str) -> None:
    def refuse(name: str) -> Any:
        raise ValueError(f"non-standard JSON token {name}")

    json.loads(text, parse_constant=refuse)


class Prober:
    """Sends cases and records every answer that breaks a rule (checked all together at the end)."""

    def __init__(self, target: Target):
        self.target = target
        self.before = target.state_keys()
        self.failures: list[str] = []
        self.sent = 0
        self.statuses: dict[int, int] = {}

    def send(self, case: Case, allowed: Callable[[str, str, requests.Response], bool] = upstream_5xx) -> None:
        self.sent += 1
        what = f"{case.method} {case.path[:120]}{'?' + case.params[:80] if case.params else ''} [{case.label}]"
        try:
            resp = self.target.request(case.method, case.path, data=case.data, params=case.params, headers=case.headers)
        except requests.RequestException as exc:
            self.failures.append(f"{what}: no answer ({type(exc).__name__}: {exc})"[:400])
            self.before = self.target.state_keys()
            return
        after = self.target.state_keys()
        status = resp.status_code
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status >= 500 and not allowed(case.method, case.path, resp):
            self.failures.append(f"{what}: {status} {resp.text[:200]!r}")
        if status >= 400:
            wrote = changed(self.before, after)
            if wrote:
                self.failures.append(f"{what}: {status} but wrote {wrote[:5]}")
        elif resp.content and "json" in resp.headers.get("Content-Type", ""):
            try:
                strict_json(resp.text)
            except ValueError as exc:
                self.failures.append(f"{what}: {status} with a body that is not JSON: {exc}")
        self.before = after

    def check(self, minimum: int) -> None:
        assert self.sent >= minimum, f"only {self.sent} requests sent"
        assert not self.failures, f"{len(self.failures)} of {self.sent} requests broke a rule:\n" + "\n".join(
            self.failures[:60]
        )


# -- the reported findings, one by one ----------------------------------------------------------------
def test_deep_nesting_is_a_400_in_each_familys_words(target: Target) -> None:
    before = target.state_keys()
    for depth in (101, 5000, 100_000):
        resp = target.request("PUT", "/v1/operator/scheduler/configuration", data=deep(depth))
        assert (resp.status_code, resp.text) == (
            400,
            "Error parsing scheduler config: invalid character '[' exceeded max depth",
        ), depth
        resp = target.request("PUT", "/v1/var/app/deep", data='{"Items": {"k": ' + deep(depth, "{") + "}}")
        assert (resp.status_code, resp.text) == (400, "invalid character '{' exceeded max depth"), depth
        resp = target.request("POST", f"{SM}/deep", data='{"snapshot_config": {"metadata": ' + deep(depth) + "}}")
        assert resp.status_code == 400 and error_type(resp) == "x_content_parse_exception", resp.text[:300]
        assert reason(resp).startswith("[1:") and "Document nesting depth (101) exceeds the maximum allowed (100" in (
            reason(resp)
        )
    assert target.request("PUT", "/v1/var/app/ok", data='{"Items": {"k": "v"}}').status_code == 200  # still serving
    assert changed(before, target.state_keys()) == [k for k in changed(before, target.state_keys()) if "app/ok" in k]


def test_numbers_beyond_what_a_field_or_python_holds(target: Target) -> None:
    before = target.state_keys()
    for digits in (21, 1001, 4301, 50_000):
        big = "9" * digits
        resp = target.request("PUT", SCHEDULER_PATH, data=f'{{"NodeLimitForFeasibilityChecks": {big}}}')
        assert resp.status_code == 400, resp.text[:200]
        assert resp.text == (
            f"Error parsing scheduler config: json: cannot unmarshal number {big} into Go struct field "
            "SchedulerConfiguration.NodeLimitForFeasibilityChecks of type uint"
        )
        resp = target.request("PUT", "/v1/acl/token", data=token_body(big))
        assert resp.status_code == 400 and "ACLToken.ExpirationTTL" in resp.text, resp.text[:200]
        resp = target.request("POST", f"{SM}/big", data=policy_text().replace('"max_count": 21', f'"max_count": {big}'))
        assert resp.status_code == 400, resp.text[:300]
        if digits > 1000:  # Jackson's maxNumberLength
            assert error_type(resp) == "x_content_parse_exception"
            assert f"Number value length ({digits}) exceeds the maximum allowed (1000" in reason(resp)
        else:
            assert reason(resp).startswith(f"Numeric value ({big[:40]}) out of range of int")
    # An unknown field may hold any number, as in Go.
    resp = target.request("PUT", "/v1/operator/scheduler/configuration", data='{"Unknown": ' + "9" * 5000 + "}")
    assert resp.status_code == 200, resp.text[:200]
    wrote = changed(before, target.state_keys())
    assert all("operator/scheduler" in k for k in wrote), wrote
    target.ok("PUT", "/v1/operator/scheduler/configuration", SCHEDULER)


def test_cas_beyond_int64_is_a_failed_cas_not_a_500(target: Target) -> None:
    ap = target.ok("GET", "/v1/operator/autopilot/configuration")
    sched = target.ok("GET", "/v1/operator/scheduler/configuration")["SchedulerConfig"]
    before = target.state_keys()
    for cas in ("9223372036854775808", "18446744073709551615"):
        resp = target.request("PUT", "/v1/operator/autopilot/configuration", body=AUTOPILOT, params={"cas": cas})
        assert (resp.status_code, resp.json()) == (200, False)
        resp = target.request("PUT", "/v1/operator/scheduler/configuration", body=SCHEDULER, params={"cas": cas})
        assert resp.status_code == 200 and resp.json()["Updated"] is False, resp.text
    resp = target.request("PUT", AUTOPILOT_PATH, body=AUTOPILOT, params={"cas": "18446744073709551616"})
    assert (resp.status_code, resp.text) == (
        400,
        'Error parsing cas value: strconv.ParseUint: parsing "18446744073709551616": value out of range',
    )
    assert changed(before, target.state_keys()) == []
    assert target.ok("GET", "/v1/operator/autopilot/configuration")["ModifyIndex"] == ap["ModifyIndex"]
    assert target.ok("GET", "/v1/operator/scheduler/configuration")["SchedulerConfig"] == sched


def test_negative_and_overflowing_durations_are_refused(target: Target) -> None:
    current = target.ok("GET", "/v1/operator/autopilot/configuration")
    before = target.state_keys()
    for field in ("LastContactThreshold", "ServerStabilizationTime"):
        resp = target.request("PUT", "/v1/operator/autopilot/configuration", body=AUTOPILOT | {field: "-1s"})
        assert (resp.status_code, resp.text) == (
            400,
            f"Error parsing autopilot config: {field} must not be negative (was -1s)",
        )
        resp = target.request("PUT", "/v1/operator/autopilot/configuration", body=AUTOPILOT | {field: "9999999999h"})
        assert (resp.status_code, resp.text) == (
            400,
            'Error parsing autopilot config: time: invalid duration "9999999999h"',
        )
    for ttl in ("1e30", "-1e30", "1e400", '"9999999999h"', str(2**63)):
        resp = target.request("PUT", "/v1/acl/token", data=token_body(ttl))
        assert resp.status_code == 400, (ttl, resp.text)
    resp = target.request("PUT", "/v1/acl/token", data=token_body("1e30"))
    assert resp.text == (
        "json: cannot unmarshal number 1e30 into Go struct field ACLToken.ExpirationTTL of type time.Duration"
    )
    creation = {**POLICY["creation"], "time_limit": "99999999999999999999h"}
    resp = target.request("POST", f"{SM}/tv", body=POLICY | {"creation": creation})
    assert (resp.status_code, reason(resp)) == (
        400,
        "failed to parse [99999999999999999999h], fractional time values are not supported",
    )
    assert changed(before, target.state_keys()) == []
    assert target.ok("GET", "/v1/operator/autopilot/configuration") == current


def test_tokens_must_name_policies_that_exist(target: Target) -> None:
    before_tokens = target.ok("GET", "/v1/acl/tokens")
    before = target.state_keys()
    resp = target.request("PUT", "/v1/acl/token", body={"Type": "client", "Policies": ["fuzzpol", "no-such-policy"]})
    assert (resp.status_code, resp.text) == (400, "cannot find policy no-such-policy")
    assert changed(before, target.state_keys()) == []
    assert target.ok("GET", "/v1/acl/tokens") == before_tokens
    # An existing token cannot be pointed at a missing policy either.
    token = target.ok("PUT", "/v1/acl/token", {"Name": "t", "Type": "client", "Policies": ["fuzzpol"]})
    update = {"AccessorID": token["AccessorID"], "Name": "t", "Type": "client", "Policies": ["gone"]}
    resp = target.request("PUT", f"/v1/acl/token/{token['AccessorID']}", body=update)
    assert (resp.status_code, resp.text) == (400, "cannot find policy gone")
    assert target.ok("GET", f"/v1/acl/token/{token['AccessorID']}")["Policies"] == ["fuzzpol"]


def test_sm_policy_names_are_checked_before_any_write(target: Target) -> None:
    before = target.state_keys()
    for name in ("nl%0Atest", "a%00b", "x%0D%0ALocation:%20evil", "a%7Fb", "a%C2%85b"):
        resp = target.request("POST", f"{SM}/{name}", body=POLICY)
        assert (resp.status_code, error_type(resp)) == (400, "illegal_argument_exception"), (name, resp.text)
        assert "Policy name must not contain control characters." in reason(resp)
        assert target.request("GET", f"{SM}/{name}").status_code == 404
    assert changed(before, target.state_keys()) == []
    # A valid name that needs percent-encoding in a URI gets a Location that is one.
    resp = target.request("POST", f"{SM}/%C3%A9t%C3%A9:1", body=POLICY)
    assert resp.status_code == 201, resp.text
    assert resp.headers["Location"] == f"{SM}/%C3%A9t%C3%A9:1"
    assert target.ok("GET", f"{SM}/%C3%A9t%C3%A9:1")["sm_policy"]["name"] == "été:1"


def test_timezones_and_locations_upstream_would_crash_on(target: Target, repos: Path) -> None:
    before = target.state_keys()
    doc = json.loads(json.dumps(POLICY))
    doc["creation"]["schedule"]["cron"]["timezone"] = "Mars/Olympus"
    resp = target.request("POST", f"{SM}/mars", body=doc)
    assert (resp.status_code, error_type(resp), reason(resp)) == (
        400,
        "zone_rules_exception",
        "Unknown time-zone ID: Mars/Olympus",
    )
    for location in (f"{repos}/a\x00b", f"{repos}/a\nb"):
        resp = target.request("PUT", "/_snapshot/nul", body={"type": "fs", "settings": {"location": location}})
        assert (resp.status_code, error_type(resp)) == (400, "repository_exception"), resp.text
        assert "must not contain control characters" in reason(resp)
    assert target.request("GET", "/_snapshot/nul").status_code == 404
    assert target.request("GET", f"{SM}/mars").status_code == 404
    assert changed(before, target.state_keys()) == []
    assert not list(repos.glob("a*b"))  # nothing made on disk either


def test_nan_and_lone_surrogates(target: Target) -> None:
    before = target.state_keys()
    resp = target.request("POST", f"{SM}/nan", data=json.dumps(POLICY).replace('"max_count": 21', '"max_count": NaN'))
    assert (resp.status_code, error_type(resp)) == (400, "json_parse_exception"), resp.text
    resp = target.request("POST", f"{SM}/sur", data=json.dumps(POLICY).replace('"fuzz"', '"\\ud800"', 1))
    assert (resp.status_code, error_type(resp)) == (400, "x_content_parse_exception"), resp.text
    resp = target.request("PUT", "/v1/operator/scheduler/configuration", data='{"MinQuorum": NaN}')
    assert (resp.status_code, resp.text) == (
        400,
        "Error parsing scheduler config: invalid character 'N' looking for beginning of value",
    )
    assert changed(before, target.state_keys()) == []
    # Go turns a lone surrogate into U+FFFD: the variable is stored, and reads back as valid UTF-8 JSON.
    resp = target.request("PUT", "/v1/var/app/sur", data='{"Items": {"k": "a\\ud800b"}}')
    assert resp.status_code == 200, resp.text
    assert target.ok("GET", "/v1/var/app/sur")["Items"] == {"k": "a\ufffdb"}


def test_size_and_from_beyond_int(target: Target) -> None:
    for param in ("size", "from"):
        for value in ("2147483648", "9" * 5000, "%201", "1_0", "1.5"):
            resp = target.request("GET", SM, params={param: value})
            assert (resp.status_code, reason(resp)) == (
                400,
                f"Failed to parse int parameter [{param}] with value [{requests.utils.unquote(value)}]",
            ), (param, value)
    assert target.request("GET", SM, params={"size": "2147483647", "from": "2147483647"}).status_code == 200
    resp = target.request("GET", "/v1/vars", params={"per_page": "2147483648"})
    assert (resp.status_code, resp.text) == (400, "Expect a number for `per_page` query string parameter")


# -- the corpus --------------------------------------------------------------------------------------
def nomad_cases() -> Iterator[Case]:
    bodies: list[tuple[str, str, Any]] = [
        ("PUT", "/v1/operator/autopilot/configuration", AUTOPILOT),
        ("PUT", "/v1/operator/scheduler/configuration", SCHEDULER),
        ("PUT", "/v1/var/fuzz/v", {"Namespace": "default", "Items": {"k": "v"}, "Lock": None}),
        ("PUT", "/v1/acl/policy/fuzzpol", {"Name": "fuzzpol", "Description": "d", "Rules": RULES, "JobACL": None}),
        (
            "PUT",
            "/v1/acl/token",
            {"Name": "t", "Type": "client", "Policies": ["fuzzpol"], "Global": False, "ExpirationTTL": "1h"},
        ),
        ("PUT", "/v1/acl/bootstrap", {"BootstrapSecret": "00000000-0000-0000-0000-000000000000"}),
        ("PUT", "/v1/operator/raft/join", {"Name": "fuzz", "PeerURLs": ["ftp://127.0.0.1:1"]}),
        ("PUT", "/v1/operator/license", {"License": "x"}),
        ("PUT", "/v1/operator/snapshot", {"x": 1}),
    ]
    for method, path, template in bodies:
        for label, data in mutations(template):
            yield Case(label, method, path, data)


def opensearch_cases() -> Iterator[Case]:
    n = 0

    def unique(prefix: str) -> str:
        nonlocal n
        n += 1
        return f"{prefix}-{n}"

    for label, data in mutations(POLICY):
        yield Case(label, "POST", f"{SM}/{unique('fz')}", data)
    for label, data in mutations(POLICY):
        yield Case(label, "PUT", f"{SM}/fuzz-upd", data, params="if_seq_no=1&if_primary_term=1")
    for label, data in mutations({"type": "fs", "settings": {"location": "/nonexistent/fuzz", "compress": True}}):
        yield Case(label, "PUT", f"/_snapshot/{unique('r')}", data, params="verify=false")
    for label, data in mutations({"indices": "*", "metadata": {"k": "v"}, "partial": False}):
        yield Case(label, "PUT", f"/_snapshot/fuzzrepo/{unique('s')}", data)
    for label, data in mutations({"indices": "*", "include_global_state": True}):
        yield Case(label, "POST", "/_snapshot/fuzzrepo/no-such-snapshot/_restore", data)
    for label, data in mutations({"config_id": "x", "config": CHANNEL}):
        yield Case(label, "POST", CHANNELS, data.replace(b'"config_id": "x"', f'"config_id": "{unique("c")}"'.encode()))
    for label, data in mutations({"config": CHANNEL}):
        yield Case(label, "PUT", f"{CHANNELS}/fuzz-ch", data)


def name_cases() -> Iterator[Case]:
    valid_policy = json.dumps(POLICY).encode()
    for label, name in NAMES.items():
        yield Case(f"sm={label}", "POST", f"{SM}/{name}", valid_policy)
        yield Case(f"sm={label}", "GET", f"{SM}/{name}")
        yield Case(f"sm={label}", "GET", f"{SM}/{name}/_explain")
        yield Case(f"sm={label}", "POST", f"{SM}/{name}/_start")
        yield Case(f"sm={label}", "POST", f"{SM}/{name}/_stop")
        yield Case(f"sm={label}", "DELETE", f"{SM}/{name}")
        repo = json.dumps({"type": "fs", "settings": {"location": "/nonexistent/x"}}).encode()
        yield Case(f"repo={label}", "PUT", f"/_snapshot/{name}", repo, params="verify=false")
        yield Case(f"repo={label}", "GET", f"/_snapshot/{name}")
        yield Case(f"repo={label}", "DELETE", f"/_snapshot/{name}")
        yield Case(f"snapshot={label}", "PUT", f"/_snapshot/fuzzrepo/{name}", b"{}")
        yield Case(f"snapshot={label}", "GET", f"/_snapshot/fuzzrepo/{name}")
        yield Case(f"snapshot={label}", "DELETE", f"/_snapshot/fuzzrepo/{name}")
        yield Case(f"snapshot={label}", "POST", f"/_snapshot/fuzzrepo/{name}/_restore", b"{}")
        yield Case(f"channel={label}", "PUT", f"{CHANNELS}/{name}", json.dumps({"config": CHANNEL}).encode())
        yield Case(f"channel={label}", "GET", f"{CHANNELS}/{name}")
        yield Case(f"channel={label}", "DELETE", f"{CHANNELS}/{name}")
        body = json.dumps({"config_id": requests.utils.unquote(name), "config": CHANNEL}).encode()
        yield Case(f"channel-id={label}", "POST", CHANNELS, body)
        yield Case(f"var={label}", "PUT", f"/v1/var/fuzz/{name}", b'{"Items": {"k": "v"}}')
        yield Case(f"var={label}", "GET", f"/v1/var/{name}")
        yield Case(f"var={label}", "DELETE", f"/v1/var/{name}")
        yield Case(f"var-ns={label}", "GET", "/v1/var/fuzz/existing", params=f"namespace={name}")
        body = json.dumps({"Name": requests.utils.unquote(name), "Rules": RULES}).encode()
        yield Case(f"acl-policy={label}", "PUT", f"/v1/acl/policy/{name}", body)
        yield Case(f"acl-policy={label}", "GET", f"/v1/acl/policy/{name}")
        yield Case(f"acl-policy={label}", "DELETE", f"/v1/acl/policy/{name}")
        yield Case(f"acl-token={label}", "GET", f"/v1/acl/token/{name}")
        yield Case(f"acl-token={label}", "DELETE", f"/v1/acl/token/{name}")
        yield Case(f"raft-peer={label}", "DELETE", "/v1/operator/raft/peer", params=f"id={name}")
        yield Case(f"raft-leader={label}", "PUT", "/v1/operator/raft/transfer-leadership", params=f"address={name}")


def query_cases() -> Iterator[Case]:
    autopilot = json.dumps(AUTOPILOT).encode()
    scheduler = json.dumps(SCHEDULER).encode()
    for label, value in NUMBERS.items():
        yield Case(f"cas={label}", "PUT", "/v1/operator/autopilot/configuration", autopilot, params=f"cas={value}")
        yield Case(f"cas={label}", "PUT", "/v1/operator/scheduler/configuration", scheduler, params=f"cas={value}")
        yield Case(f"cas={label}", "PUT", "/v1/var/fuzz/existing", b'{"Items": {"k": "v"}}', params=f"cas={value}")
        yield Case(f"cas={label}", "DELETE", "/v1/var/fuzz/existing", params=f"cas={value}")
        yield Case(f"per_page={label}", "GET", "/v1/vars", params=f"per_page={value}")
        for param in ("size", "from"):
            yield Case(f"{param}={label}", "GET", SM, params=f"{param}={value}")
        for param in ("if_seq_no", "if_primary_term"):
            other = "if_primary_term=1" if param == "if_seq_no" else "if_seq_no=1"
            body = json.dumps(POLICY).encode()
            yield Case(f"{param}={label}", "PUT", f"{SM}/fuzz-upd", body, params=f"{param}={value}&{other}")
        for param in ("from_index", "max_items"):
            yield Case(f"{param}={label}", "GET", CHANNELS, params=f"{param}={value}")
        yield Case(f"stale={label}", "GET", "/v1/operator/raft/configuration", params=f"stale={value}")
        yield Case(f"wait={label}", "PUT", "/_snapshot/fuzzrepo/q-snap", b"{}", params=f"wait_for_completion={value}")
        yield Case(f"verbose={label}", "GET", "/_snapshot/fuzzrepo/_all", params=f"verbose={value}")
    for label, value in TEXTS.items():
        yield Case(f"queryString={label}", "GET", SM, params=f"queryString={value}")
        yield Case(f"sortField={label}", "GET", SM, params=f"sortField={value}")
        yield Case(f"sortOrder={label}", "GET", SM, params=f"sortOrder={value}")
        yield Case(f"explain={label}", "GET", f"{SM}/{value}/_explain")
        yield Case(f"snapshots={label}", "GET", f"/_snapshot/fuzzrepo/{value}")
        yield Case(f"repos={label}", "GET", f"/_snapshot/{value}")
        yield Case(f"prefix={label}", "GET", "/v1/vars", params=f"prefix={value}")
        yield Case(f"prefix={label}", "GET", "/v1/acl/tokens", params=f"prefix={value}")
        yield Case(f"prefix={label}", "GET", "/v1/acl/policies", params=f"prefix={value}")
        yield Case(f"next_token={label}", "GET", "/v1/vars", params=f"next_token={value}")
        yield Case(f"config_id_list={label}", "GET", CHANNELS, params=f"config_id_list={value}")
        yield Case(f"filter={label}", "GET", CHANNELS, params=f"name={value}")
        yield Case(f"unknown-param={label}", "GET", SM, params=f"{value}=1")


@pytest.mark.parametrize(
    ("family", "cases", "minimum"),
    [
        ("nomad bodies", nomad_cases, 1500),
        ("opensearch bodies", opensearch_cases, 3000),
        ("names in paths", name_cases, 500),
        ("query parameters", query_cases, 300),
    ],
)
def test_corpus(target: Target, family: str, cases: Callable[[], Iterator[Case]], minimum: int) -> None:
    prober = Prober(target)
    started = time.monotonic()
    for case in cases():
        prober.send(case)
    print(f"{family}: {prober.sent} requests in {time.monotonic() - started:.0f}s, statuses {prober.statuses}")
    prober.check(minimum)
    assert target.request("GET", "/v1/agent/health").status_code == 200


def test_test_clock_bodies(target: Target) -> None:
    """Last: a bad clock body must not move the shared SM clock (the cluster key is compared too)."""
    prober = Prober(target)
    for label, data in mutations({"advance": 0, "offset_ms": 0, "creation_delay": 0}):
        prober.send(Case(label, "POST", CLOCK, data))
    prober.check(100)
