"""GET /v1/operator/autopilot/health on a real 3-member cluster: shape, 200/429, a killed member."""

from __future__ import annotations

import json
import re
import signal
import time

import requests
from raftops.localcluster import LocalCluster, http_json
from raftops.store.etcd import Etcd

from ..conftest import run_cli, wait_for

HEALTH = "/v1/operator/autopilot/health"
GO_DURATION = re.compile(r"^(0s|[0-9.]+(ns|µs|ms|s)|([0-9]+h)?([0-9]+m)?[0-9.]+s)$")
RFC3339_SECOND = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def health(cluster: LocalCluster, i: int = 0) -> tuple[int, dict]:
    resp = requests.get(f"{cluster.nodes[i].api}{HEALTH}", timeout=10)
    return resp.status_code, resp.json()


def wait_healthy(cluster: LocalCluster, timeout: float = 30.0, agent: int = 0) -> dict:
    last: dict = {}

    def ok() -> bool:
        nonlocal last
        code, last = health(cluster, agent)
        return code == 200

    wait_for(ok, timeout=timeout, interval=0.2, message=f"autopilot health 200 from agent {agent}")
    return last


def test_every_agent_reports_a_healthy_cluster(local_cluster: LocalCluster) -> None:
    for i in range(len(local_cluster.nodes)):
        # Each agent polls on its own; one that started last sees the others' liveness keys a moment later.
        wait_healthy(local_cluster, agent=i)
    ids = {n.name: http_json(f"{n.api}/v1/agent/self")[1]["stats"]["raftops"]["server_id"] for n in local_cluster.nodes}
    leader_addr = http_json(f"{local_cluster.nodes[0].api}/v1/status/leader")[1]
    for i, _node in enumerate(local_cluster.nodes):
        resp = requests.get(f"{local_cluster.nodes[i].api}{HEALTH}", timeout=10)
        assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/json"
        body = resp.json()
        assert list(body) == ["Healthy", "FailureTolerance", "Servers", "Leader", "Voters"]
        assert body["Healthy"] is True and body["FailureTolerance"] == 1
        assert sorted(body["Voters"]) == sorted(ids.values()) and body["Voters"][0] == body["Leader"]
        by_name = {s["Name"]: s for s in body["Servers"]}
        assert set(by_name) == set(ids)
        for name, s in by_name.items():
            assert list(s) == [
                "LastContact",
                "ID",
                "Name",
                "Address",
                "SerfStatus",
                "Version",
                "Leader",
                "LastTerm",
                "LastIndex",
                "Healthy",
                "Voter",
                "StableSince",
            ]
            assert s["ID"] == ids[name] and s["SerfStatus"] == "alive" and s["Healthy"] and s["Voter"]
            assert GO_DURATION.match(s["LastContact"]) and RFC3339_SECOND.match(s["StableSince"])
            assert s["LastTerm"] > 0 and s["LastIndex"] > 0 and s["Version"]
            assert s["Leader"] is (s["Address"] == leader_addr)
        assert by_name[body["Servers"][0]["Name"]]["Leader"]  # the leader sorts first


def test_wrong_method_is_404_invalid_method(local_cluster: LocalCluster) -> None:
    for method in ("PUT", "POST", "DELETE"):
        resp = requests.request(method, f"{local_cluster.nodes[0].api}{HEALTH}", timeout=10)
        assert (resp.status_code, resp.text) == (404, "Invalid method")


def test_health_polling_never_writes(local_cluster: LocalCluster) -> None:
    """An idle cluster's revision stays still while every agent polls health."""
    wait_healthy(local_cluster)
    etcd = Etcd([n.etcd.client_url for n in local_cluster.nodes])
    try:
        time.sleep(2.5)  # let registration writes and election campaigns of the start settle
        before = etcd.status().revision
        for _ in range(10):
            for i in range(len(local_cluster.nodes)):
                health(local_cluster, i)
            time.sleep(0.3)
        assert etcd.status().revision == before
    finally:
        etcd.close()


def test_a_killed_member_makes_health_429_then_200_after_restart(local_cluster: LocalCluster) -> None:
    wait_healthy(local_cluster)
    victim = local_cluster.nodes[2]
    killed_at = time.monotonic()
    local_cluster.signal(victim, "etcd", signal.SIGKILL)
    try:
        seen: dict = {}

        def unhealthy() -> bool:
            nonlocal seen
            code, seen = health(local_cluster)
            return code == 429 and seen["FailureTolerance"] == 0

        wait_for(unhealthy, timeout=5.0, interval=0.1, message="429 with FailureTolerance 0")
        detected = time.monotonic() - killed_at
        dead = next(s for s in seen["Servers"] if s["Name"] == victim.name)
        assert dead["Healthy"] is False and seen["Healthy"] is False
        resp = requests.get(f"{local_cluster.nodes[0].api}{HEALTH}", timeout=10)
        assert resp.status_code == 429 and resp.headers["Content-Type"].startswith("text/plain")  # as Go sniffs it
        assert json.loads(resp.text)["Healthy"] is False
        # The other agents answer from their own pollers (not in step with this one's) and agree.
        wait_for(lambda: health(local_cluster, 1)[0] == 429, timeout=2.0, message="429 from another agent")
    finally:
        local_cluster.start(victim, "etcd")
    restarted_at = time.monotonic()
    body = wait_healthy(local_cluster, timeout=30)
    assert body["FailureTolerance"] == 1 and all(s["Healthy"] for s in body["Servers"])
    print(f"429 after {detected:.2f}s; 200 again {time.monotonic() - restarted_at:.2f}s after the restart")


def test_cli_health_table_and_json(local_cluster: LocalCluster) -> None:
    wait_healthy(local_cluster)
    env = {"RAFTOPS_ADDR": local_cluster.nodes[1].api}
    out = run_cli("operator", "autopilot", "health", env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "Healthy: true" and lines[1] == "FailureTolerance: 1" and lines[2].startswith("Leader: ")
    header = next(line for line in lines if line.startswith("ID "))
    assert header.split() == [
        "ID",
        "Name",
        "Address",
        "SerfStatus",
        "Version",
        "Leader",
        "Voter",
        "Healthy",
        "LastContact",
        "LastTerm",
        "LastIndex",
        "StableSince",
    ]
    assert sum(1 for line in lines if " alive " in line) == 3 and "+0000 UTC" in out.stdout
    out = run_cli("operator", "autopilot", "health", "-json", env=env)
    assert out.returncode == 0 and json.loads(out.stdout)["FailureTolerance"] == 1
