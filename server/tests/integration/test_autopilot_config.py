"""GET|PUT /v1/operator/autopilot/configuration on the real 3-server cluster (ACLs off)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from raftops.api.operator_config import InitializeConfigs
from raftops.localcluster import LocalCluster
from raftops.store.configdocs import AUTOPILOT_PATH, SCHEDULER_PATH
from raftops.store.etcd import Etcd
from raftops.store.state import StateStore

from ..conftest import run_cli
from .nomadhttp import call, race, wait_configs_ready

PATH = "/v1/operator/autopilot/configuration"
DEFAULTS = {
    "CleanupDeadServers": True,
    "LastContactThreshold": "200ms",
    "MaxTrailingLogs": 250,
    "MinQuorum": 0,
    "ServerStabilizationTime": "10s",
    "EnableRedundancyZones": False,
    "DisableUpgradeMigration": False,
    "EnableCustomUpgrades": False,
}


@pytest.fixture(scope="module")
def cluster(local_cluster: LocalCluster) -> LocalCluster:
    wait_configs_ready(local_cluster)
    return local_cluster


def url(cluster: LocalCluster, node: int = 0) -> str:
    return cluster.nodes[node].api + PATH


def current(cluster: LocalCluster, node: int = 0) -> dict:
    resp = call("GET", url(cluster, node))
    assert resp.status_code == 200, resp.text
    return resp.json()


def state_of(cluster: LocalCluster) -> StateStore:
    return StateStore(Etcd([n.etcd.client_url for n in cluster.nodes]))


def test_defaults_on_every_server(cluster: LocalCluster) -> None:
    seen = []
    for i in range(3):
        resp = call("GET", url(cluster, i))
        assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/json"
        assert "X-Nomad-Index" not in resp.headers  # upstream sets no index header here
        body = resp.json()
        assert list(body) == [*DEFAULTS, "CreateIndex", "ModifyIndex"]
        assert {k: body[k] for k in DEFAULTS} == DEFAULTS
        assert body["CreateIndex"] == body["ModifyIndex"] > 0
        seen.append(body)
    assert seen[0] == seen[1] == seen[2]


def test_stored_document_uses_nomad_field_names_without_indexes(cluster: LocalCluster) -> None:
    """The contract with autopilot (part A): Nomad's names, Go duration strings, no indexes inside."""
    item = state_of(cluster).get(AUTOPILOT_PATH)
    assert item is not None
    stored = json.loads(item.value)
    assert set(stored) == set(DEFAULTS)
    assert item.modify_index == current(cluster)["ModifyIndex"]


def test_put_replaces_the_whole_object_and_answers_true(cluster: LocalCluster) -> None:
    before = current(cluster)
    resp = call("PUT", url(cluster, 1), body={"CleanupDeadServers": False, "LastContactThreshold": "1.5s"})
    assert resp.status_code == 200 and resp.text == "true"
    assert "X-Nomad-Index" not in resp.headers
    after = current(cluster, 2)
    assert after["CleanupDeadServers"] is False and after["LastContactThreshold"] == "1.5s"
    # Omitted fields are Go zero values: 0 and "0s".
    assert after["MaxTrailingLogs"] == 0 and after["ServerStabilizationTime"] == "0s"
    assert after["CreateIndex"] == before["CreateIndex"] and after["ModifyIndex"] > before["ModifyIndex"]

    # Durations are normalised the way Go prints them; body indexes are ignored; keys match case-insensitively.
    body = {**DEFAULTS, "lastcontactthreshold": "0.2s", "ServerStabilizationTime": "90s", "ModifyIndex": 3}
    assert call("PUT", url(cluster), body=body).text == "true"
    after = current(cluster)
    assert after["LastContactThreshold"] == "200ms" and after["ServerStabilizationTime"] == "1m30s"
    assert after["ModifyIndex"] != 3


def test_cas(cluster: LocalCluster) -> None:
    conf = current(cluster)
    index = conf["ModifyIndex"]
    body = {**conf, "MaxTrailingLogs": 300}
    resp = call("PUT", url(cluster), body=body, params={"cas": index})
    assert (resp.status_code, resp.text) == (200, "true")
    resp = call("PUT", url(cluster), body={**conf, "MaxTrailingLogs": 1}, params={"cas": index})
    assert (resp.status_code, resp.text) == (200, "false")
    resp = call("PUT", url(cluster), body=conf, params={"cas": "0"})
    assert (resp.status_code, resp.text) == (200, "false")
    assert current(cluster)["MaxTrailingLogs"] == 300


@pytest.mark.parametrize(
    ("method", "query", "data", "status", "message"),
    [
        ("PUT", {}, None, 400, "Error parsing autopilot config: Request body is empty"),
        ("PUT", {}, "   ", 400, "Error parsing autopilot config: EOF"),
        (
            "PUT",
            {},
            '{"LastContactThreshold": "abc"}',
            400,
            'Error parsing autopilot config: time: invalid duration "abc"',
        ),
        (
            "PUT",
            {},
            '{"LastContactThreshold": "10"}',
            400,
            'Error parsing autopilot config: time: missing unit in duration "10"',
        ),
        (
            "PUT",
            {},
            '{"LastContactThreshold": 200}',
            400,
            "Error parsing autopilot config: json: cannot unmarshal number 200 into Go struct field "
            "AutopilotConfiguration.LastContactThreshold of type string",
        ),
        (
            "PUT",
            {},
            '{"MaxTrailingLogs": "many"}',
            400,
            "Error parsing autopilot config: json: cannot unmarshal string into Go struct field "
            "AutopilotConfiguration.MaxTrailingLogs of type uint64",
        ),
        ("PUT", {"cas": "abc"}, "{}", 400, 'Error parsing cas value: strconv.ParseUint: parsing "abc": invalid syntax'),
        ("POST", {}, "{}", 404, "Invalid method"),
        ("DELETE", {}, None, 404, "Invalid method"),
    ],
)
def test_bad_requests_change_nothing(cluster: LocalCluster, method, query, data, status, message) -> None:
    before = current(cluster)
    resp = call(method, url(cluster), data=data, params=query)
    assert (resp.status_code, resp.text) == (status, message)
    assert current(cluster) == before


def test_concurrent_cas_writers_exactly_one_wins(cluster: LocalCluster) -> None:
    writers = 8
    for _ in range(3):
        conf = current(cluster)
        bodies = [{**conf, "MaxTrailingLogs": 1000 + i} for i in range(writers)]
        answers = race(
            writers,
            lambda i, b=bodies, x=conf["ModifyIndex"]: (
                call("PUT", url(cluster, i % 3), body=b[i], params={"cas": x}).text
            ),
        )
        winners = [i for i, text in enumerate(answers) if text == "true"]
        assert len(winners) == 1 and answers.count("false") == writers - 1, answers
        assert current(cluster)["MaxTrailingLogs"] == 1000 + winners[0]


def test_get_before_initialisation_is_500(cluster: LocalCluster) -> None:
    state = state_of(cluster)
    saved = state.get(AUTOPILOT_PATH)
    assert saved is not None
    try:
        assert state.delete(AUTOPILOT_PATH).succeeded
        resp = call("GET", url(cluster))
        assert (resp.status_code, resp.text) == (500, "autopilot config not initialized yet")
        # A plain PUT creates it again (Nomad's non-CAS set needs no existing entry); a CAS PUT cannot.
        assert call("PUT", url(cluster), body=json.loads(saved.value), params={"cas": "5"}).text == "false"
        assert call("PUT", url(cluster), body=json.loads(saved.value)).text == "true"
        assert {k: v for k, v in current(cluster).items() if k in DEFAULTS} == json.loads(saved.value)
    finally:
        if state.get(AUTOPILOT_PATH) is None:
            state.put(AUTOPILOT_PATH, saved.value)
        state.etcd.close()


def test_cli_get_and_set_config(cluster: LocalCluster) -> None:
    env = {"RAFTOPS_ADDR": cluster.nodes[2].api}
    done = run_cli(
        "operator",
        "autopilot",
        "set-config",
        "-cleanup-dead-servers=false",
        "-last-contact-threshold",
        "350ms",
        "-max-trailing-logs",
        "500",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Configuration updated!"
    shown = run_cli("operator", "autopilot", "get-config", env=env)
    assert shown.returncode == 0
    assert "CleanupDeadServers = false\nLastContactThreshold = 350ms\nMaxTrailingLogs = 500\n" in shown.stdout
    as_json = json.loads(run_cli("operator", "autopilot", "get-config", "-json", env=env).stdout)
    assert as_json == current(cluster)
    bad = run_cli("operator", "autopilot", "set-config", "-last-contact-threshold", "soon", env=env)
    assert bad.returncode != 0 and "invalid duration" in bad.stderr


def test_duty_initialises_once_and_then_writes_nothing(etcd: Etcd) -> None:
    """The duty holder writes both defaults once; later runs (every second) must not touch etcd's revision."""
    state = StateStore(etcd)
    agent = SimpleNamespace(state=state)
    duty = InitializeConfigs()
    duty(agent)
    autopilot, scheduler = state.get(AUTOPILOT_PATH), state.get(SCHEDULER_PATH)
    assert autopilot is not None and scheduler is not None
    assert json.loads(autopilot.value) == DEFAULTS
    revision = state.state_revision()
    for _ in range(3):
        duty(agent)
    assert state.state_revision() == revision
    # A second agent taking over the duties finds the documents and keeps them (a compare that fails read-only).
    InitializeConfigs()(SimpleNamespace(state=StateStore(etcd)))
    assert state.state_revision() == revision
    assert state.get(AUTOPILOT_PATH) == autopilot
