"""GET|PUT|POST /v1/operator/scheduler/configuration on the real 3-server cluster (ACLs off)."""

from __future__ import annotations

import json

import pytest
from raftops.localcluster import LocalCluster

from ..conftest import run_cli
from .nomadhttp import call, race, wait_configs_ready

PATH = "/v1/operator/scheduler/configuration"
DEFAULT_CONFIG = {
    "SchedulerAlgorithm": "binpack",
    "PreemptionConfig": {
        "SystemSchedulerEnabled": True,
        "SysBatchSchedulerEnabled": False,
        "BatchSchedulerEnabled": False,
        "ServiceSchedulerEnabled": False,
    },
    "MemoryOversubscriptionEnabled": False,
    "RejectJobRegistration": False,
    "PauseEvalBroker": False,
    "NodeLimitForFeasibilityChecks": 0,
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
    return resp.json()["SchedulerConfig"]


def test_defaults_and_query_meta_on_every_server(cluster: LocalCluster) -> None:
    bodies = []
    for i in range(3):
        resp = call("GET", url(cluster, i))
        assert resp.status_code == 200
        assert resp.headers["Content-Type"] == "application/json"
        body = resp.json()
        assert set(body) == {"SchedulerConfig", "Index", "LastContact", "KnownLeader", "NextToken"}
        conf = body["SchedulerConfig"]
        assert {k: v for k, v in conf.items() if k not in ("CreateIndex", "ModifyIndex")} == DEFAULT_CONFIG
        assert conf["CreateIndex"] == conf["ModifyIndex"] > 0
        assert body["Index"] == conf["ModifyIndex"]
        assert body["KnownLeader"] is True and body["LastContact"] == 0 and body["NextToken"] == ""
        assert resp.headers["X-Nomad-Index"] == str(conf["ModifyIndex"])
        assert resp.headers["X-Nomad-KnownLeader"] == "true"
        assert resp.headers["X-Nomad-LastContact"] == "0"
        bodies.append(body)
    assert bodies[0] == bodies[1] == bodies[2]


def test_put_and_post_replace_the_whole_configuration(cluster: LocalCluster) -> None:
    before = current(cluster)
    resp = call("PUT", url(cluster), body={"SchedulerAlgorithm": "spread", "PauseEvalBroker": True})
    assert resp.status_code == 200
    reply = resp.json()
    assert reply == {"Updated": True, "Index": reply["Index"]}
    assert resp.headers["X-Nomad-Index"] == str(reply["Index"])
    after = current(cluster, 1)
    assert after["SchedulerAlgorithm"] == "spread" and after["PauseEvalBroker"] is True
    # Omitted fields take Go's zero values, including the nested preemption flags.
    assert after["PreemptionConfig"] == {k: False for k in DEFAULT_CONFIG["PreemptionConfig"]}
    assert after["CreateIndex"] == before["CreateIndex"]
    assert after["ModifyIndex"] == reply["Index"] > before["ModifyIndex"]

    # POST works too; field names match case-insensitively, unknown keys and a body ModifyIndex are ignored,
    # and "" is stored as binpack.
    body = {
        "schedulerALGORITHM": "",
        "preemptionconfig": {"SystemSchedulerEnabled": True, "ServiceSchedulerEnabled": True},
        "MemoryOversubscriptionEnabled": True,
        "NodeLimitForFeasibilityChecks": 7,
        "NotAField": 1,
        "ModifyIndex": 1,
    }
    resp = call("POST", url(cluster, 2), body=body)
    assert resp.status_code == 200 and resp.json()["Updated"] is True
    after = current(cluster)
    assert after["SchedulerAlgorithm"] == "binpack"
    assert after["PreemptionConfig"]["ServiceSchedulerEnabled"] is True
    assert after["MemoryOversubscriptionEnabled"] is True and after["NodeLimitForFeasibilityChecks"] == 7
    assert after["ModifyIndex"] == resp.json()["Index"]


@pytest.mark.parametrize(
    ("query", "body", "status", "message"),
    [
        ({}, {"SchedulerAlgorithm": "foo"}, 400, "invalid scheduler algorithm: foo"),
        # validation runs before the cas value is parsed
        ({"cas": "x"}, {"SchedulerAlgorithm": "foo"}, 400, "invalid scheduler algorithm: foo"),
        ({"cas": "x"}, {}, 400, 'Error parsing cas value: strconv.ParseUint: parsing "x": invalid syntax'),
        ({"cas": "-1"}, {}, 400, 'Error parsing cas value: strconv.ParseUint: parsing "-1": invalid syntax'),
        ({}, None, 400, "Error parsing scheduler config: Request body is empty"),
        (
            {},
            "{nope",
            400,
            "Error parsing scheduler config: invalid character 'n' looking for beginning of object key string",
        ),
        (
            {},
            "[1]",
            400,
            "Error parsing scheduler config: json: cannot unmarshal array into Go value of type "
            "api.SchedulerConfiguration",
        ),
        (
            {},
            {"PauseEvalBroker": "yes"},
            400,
            "Error parsing scheduler config: json: cannot unmarshal string into Go struct field "
            "SchedulerConfiguration.PauseEvalBroker of type bool",
        ),
        (
            {},
            {"PreemptionConfig": {"BatchSchedulerEnabled": 1}},
            400,
            "Error parsing scheduler config: json: cannot unmarshal number 1 into Go struct field "
            "SchedulerConfiguration.PreemptionConfig.BatchSchedulerEnabled of type bool",
        ),
        (
            {},
            {"NodeLimitForFeasibilityChecks": -1},
            400,
            "Error parsing scheduler config: json: cannot unmarshal number -1 into Go struct field "
            "SchedulerConfiguration.NodeLimitForFeasibilityChecks of type uint",
        ),
    ],
)
def test_bad_requests_change_nothing(cluster: LocalCluster, query: dict, body, status: int, message: str) -> None:
    before = current(cluster)
    data = body if isinstance(body, str) else (json.dumps(body) if body is not None else None)
    resp = call("PUT", url(cluster), data=data, params=query)
    assert (resp.status_code, resp.text) == (status, message)
    assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert current(cluster) == before


@pytest.mark.parametrize("method", ["DELETE", "PATCH"])
def test_wrong_method(cluster: LocalCluster, method: str) -> None:
    resp = call(method, url(cluster))
    assert (resp.status_code, resp.text) == (405, "Invalid method")


def test_cas_writes(cluster: LocalCluster) -> None:
    conf = current(cluster)
    index = conf["ModifyIndex"]
    resp = call("PUT", url(cluster), body={**conf, "SchedulerAlgorithm": "spread"}, params={"cas": index})
    assert resp.status_code == 200
    ok = resp.json()
    assert ok["Updated"] is True and ok["Index"] > index
    # The same (now stale) index fails: 200 with Updated false and the current index, and nothing changes.
    resp = call("PUT", url(cluster), body={**conf, "SchedulerAlgorithm": "binpack"}, params={"cas": index})
    assert resp.status_code == 200
    stale = resp.json()
    assert stale["Updated"] is False and stale["Index"] >= ok["Index"]
    assert resp.headers["X-Nomad-Index"] == str(stale["Index"])
    assert current(cluster)["SchedulerAlgorithm"] == "spread"
    # cas=0 never matches an existing configuration.
    resp = call("POST", url(cluster), body=conf, params={"cas": "0"})
    assert resp.json()["Updated"] is False
    assert current(cluster)["ModifyIndex"] == ok["Index"]


def test_concurrent_cas_writers_exactly_one_wins_per_index(cluster: LocalCluster) -> None:
    """Done-when: 8 concurrent CAS writers on one index (spread over the 3 agents): exactly one succeeds."""
    writers, rounds = 8, 5
    for round_no in range(rounds):
        conf = current(cluster)
        index = conf["ModifyIndex"]
        bodies = [{**conf, "NodeLimitForFeasibilityChecks": 100 * round_no + i} for i in range(writers)]
        results = race(
            writers, lambda i, b=bodies, x=index: call("PUT", url(cluster, i % 3), body=b[i], params={"cas": x}).json()
        )
        winners = [i for i, r in enumerate(results) if r["Updated"]]
        assert len(winners) == 1, results
        after = current(cluster)
        assert after["NodeLimitForFeasibilityChecks"] == 100 * round_no + winners[0]
        assert after["ModifyIndex"] == results[winners[0]]["Index"]
        assert all(r["Index"] >= index for r in results)


def test_cli_get_and_set_config(cluster: LocalCluster) -> None:
    env = {"RAFTOPS_ADDR": cluster.nodes[1].api}
    done = run_cli(
        "operator",
        "scheduler",
        "set-config",
        "-scheduler-algorithm",
        "spread",
        "-preempt-batch-scheduler=true",
        "-memory-oversubscription=false",
        "-pause-eval-broker",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Scheduler configuration updated!"
    conf = current(cluster)
    assert conf["SchedulerAlgorithm"] == "spread"
    assert conf["PreemptionConfig"]["BatchSchedulerEnabled"] is True
    assert conf["MemoryOversubscriptionEnabled"] is False and conf["PauseEvalBroker"] is True

    shown = run_cli("operator", "scheduler", "get-config", env=env)
    assert shown.returncode == 0
    lines = dict(line.split(" = ") for line in shown.stdout.strip().splitlines())
    assert {k.strip(): v for k, v in lines.items()}["Scheduler Algorithm"] == "spread"
    assert {k.strip(): v for k, v in lines.items()}["Modify Index"] == str(conf["ModifyIndex"])
    as_json = json.loads(run_cli("operator", "scheduler", "get-config", "-json", env=env).stdout)
    assert as_json["SchedulerConfig"] == conf

    stale = run_cli("operator", "scheduler", "set-config", "-check-index", "1", "-pause-eval-broker=false", env=env)
    assert stale.returncode == 1
    assert "does not match current state value" in stale.stderr
    assert current(cluster) == conf
