"""The SM executor on a real 3-server cluster, driven by the shared test clock: creation into fs and S3
(moto), deletion by each condition, retries of a failing repository, time limits, notifications to a
local webhook, a SIGKILL of the agent running it, an idle cluster that writes nothing, and a restore of a
policy's snapshot into a fresh cluster."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from raftops.localcluster import LocalCluster
from raftops.store.etcd import Etcd

from ..s3server import moto_server
from .nomadhttp import started_cluster
from .smhelpers import CLOCK, SM, Api, Webhook, duty_holder, error_type, wait_until, workflow

EVERY_MINUTE = {"cron": {"expression": "* * * * *", "timezone": "UTC"}}
HOURLY = {"cron": {"expression": "0 * * * *", "timezone": "UTC"}}
HOOK = "/hook"
# The seed's example policy, with both crons changed to every minute.
DAILY = {
    "description": "Daily snapshot policy",
    "creation": {"schedule": {"cron": {"expression": "* * * * *", "timezone": "UTC"}}, "time_limit": "1h"},
    "deletion": {
        "schedule": {"cron": {"expression": "* * * * *", "timezone": "America/Los_Angeles"}},
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
        "conditions": {"creation": True, "deletion": True, "failure": False, "time_limit_exceeded": False},
    },
}


@pytest.fixture(scope="module")
def s3_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("sm-moto")) as url:
        boto3.client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_bucket(Bucket="snaps")
        yield url


@pytest.fixture(scope="module")
def webhook() -> Iterator[Webhook]:
    with Webhook().running() as hook:
        yield hook


@pytest.fixture(scope="module")
def cluster(cluster_root: Path, s3_url: str) -> Iterator[LocalCluster]:
    config = {
        "sm": {"test_clock": True, "s3": {"access_key": "testing", "secret_key": "testing", "region": "us-east-1"}}
    }
    with started_cluster(cluster_root, "sm-executor", config) as c:
        yield c


@pytest.fixture(scope="module")
def api(cluster: LocalCluster, webhook: Webhook) -> Api:
    api = Api(cluster.nodes[0].api)
    channel = {
        "config_id": "NC3OpoEBzEoHMX183R3f",
        "config": {"name": "test hook", "config_type": "webhook", "webhook": {"url": webhook.url + HOOK}},
    }
    api.ok("POST", "/_plugins/_notifications/configs", channel)
    return api


@pytest.fixture(scope="module")
def fs_repo(api: Api, cluster_root: Path) -> Path:
    location = cluster_root / "sm-fs-repo"
    api.ok("PUT", "/_snapshot/fs-repo", {"type": "fs", "settings": {"location": str(location)}})
    return location


def policy(repository: str, creation: Any = EVERY_MINUTE, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"snapshot_config": {"repository": repository}}
    if creation is not None:
        body["creation"] = {"schedule": creation}
    return body | extra


def initialised(api: Api, name: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        explain = api.explain(name)
        return explain if "policy_seq_no" in explain else None

    return wait_until(probe, 20, what=f"{name} metadata")


def cycle(api: Api, name: str) -> int:
    """Move the clock to the next trigger and wait until every workflow ran and is back at *_START."""
    explain = initialised(api, name)
    kinds = [k for k in ("creation", "deletion") if k in explain]
    now = api.advance_to(min(explain[k]["trigger"]["time"] for k in kinds))

    def done() -> bool:
        e = api.explain(name)
        for kind in kinds:
            wf = e[kind]
            if wf["trigger"]["time"] <= now or wf["current_state"] != f"{kind.upper()}_START":
                return False
        return True

    wait_until(done, 30, what=f"{name} cycle at {now}")
    return now


def successful(api: Api, repo: str) -> list[dict[str, Any]]:
    return [s for s in api.snapshots(repo) if s["state"] == "SUCCESS"]


# -- idle --------------------------------------------------------------------------------------------
def test_an_idle_cluster_writes_nothing(cluster: LocalCluster, api: Api, fs_repo: Path) -> None:
    api.ok("POST", f"{SM}/idle", policy("fs-repo", HOURLY), 201)
    initialised(api, "idle")
    etcd = Etcd([n.etcd.client_url for n in cluster.nodes])
    try:
        time.sleep(2)  # let the metadata write land
        before = (etcd.range(b"\x00").revision, requests.get(cluster.nodes[1].api + "/v1/raftops/state").json())
        time.sleep(5)  # five executor ticks
        after = (etcd.range(b"\x00").revision, requests.get(cluster.nodes[1].api + "/v1/raftops/state").json())
    finally:
        etcd.close()
    assert before == after
    api.ok("DELETE", f"{SM}/idle")


# -- the seed example on S3: creation, retention and notifications ---------------------------------------
def test_the_daily_policy_creates_and_deletes_snapshots_in_s3(api: Api, s3_url: str, webhook: Webhook) -> None:
    api.ok(
        "PUT",
        "/_snapshot/s3-repo",
        {"type": "s3", "settings": {"bucket": "snaps", "base_path": "daily", "endpoint": s3_url}},
    )
    api.ok("POST", f"{SM}/daily-policy", DAILY, 201)
    names = []
    for _ in range(9):
        cycle(api, "daily-policy")
        created = workflow(api, "daily-policy")["latest_execution"]
        assert created["status"] == "SUCCESS", created
        name = re.search(r"Snapshot (\S+) creation has finished successfully\.", created["info"]["message"]).group(1)
        assert re.fullmatch(r"daily-policy-\d{4}-\d\d-\d\d-\d\d:\d\d-[a-z0-9]{8}", name)
        names.append(name)
    listed = successful(api, "s3-repo")
    assert [s["snapshot"] for s in listed] == names
    assert listed[0]["metadata"] == {"any_key": "any_value", "sm_policy": "daily-policy"}
    assert "latest_execution" not in workflow(api, "daily-policy", "deletion")  # 9 young snapshots: nothing to delete

    objects = boto3.client(
        "s3", endpoint_url=s3_url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    ).list_objects_v2(Bucket="snaps", Prefix="daily/")
    keys = {o["Key"] for o in objects["Contents"]}
    assert {f"daily/{n}.tar.gz" for n in names} | {f"daily/{n}.json" for n in names} <= keys

    # Eight days later every snapshot is past max_age, but min_count keeps 7 of the 9. The snapshot this cycle
    # creates is kept IN_PROGRESS for a few seconds (test-only delay), so deletion leaves it out, as upstream does.
    api.ok("POST", CLOCK, {"creation_delay": "4s"})
    try:
        api.advance("8d")
        cycle(api, "daily-policy")
    finally:
        api.ok("POST", CLOCK, {"creation_delay": 0})
    deletion = workflow(api, "daily-policy", "deletion")["latest_execution"]
    assert deletion["status"] == "SUCCESS"
    assert deletion["info"]["message"].endswith(f"Snapshot(s) [{names[0]}, {names[1]}] deletion has finished.")
    remaining = [s["snapshot"] for s in successful(api, "s3-repo")]
    assert remaining[:7] == names[2:] and len(remaining) == 8  # plus the one created in this cycle
    bodies = webhook.bodies(HOOK)
    assert f"Snapshot {names[0]} creation has finished successfully." in bodies
    assert f"Snapshot(s) [{names[0]}, {names[1]}] deletion has finished." in bodies
    api.ok("POST", f"{SM}/daily-policy/_stop")


def test_a_policy_creates_snapshots_in_an_fs_repository(api: Api, fs_repo: Path) -> None:
    body = policy(
        "fs-repo",
        snapshot_config={
            "repository": "fs-repo",
            "date_format": "yyyyMMdd'T'HHmm",
            "date_format_timezone": "Asia/Tokyo",
        },
    )
    api.ok("POST", f"{SM}/fs-policy", body, 201)
    now = cycle(api, "fs-policy")
    latest = workflow(api, "fs-policy")["latest_execution"]
    assert latest["status"] == "SUCCESS" and latest["end_time"] >= latest["start_time"]
    snap = [s for s in successful(api, "fs-repo") if s["metadata"] == {"sm_policy": "fs-policy"}]
    assert len(snap) == 1
    tokyo = time.strftime("%Y%m%dt%H", time.gmtime(now / 1000 + 9 * 3600))
    assert snap[0]["snapshot"].startswith(f"fs-policy-{tokyo}")
    assert (fs_repo / f"{snap[0]['snapshot']}.tar.gz").stat().st_size == snap[0]["raftops"]["size_in_bytes"]
    api.ok("DELETE", f"{SM}/fs-policy")
    assert [s["snapshot"] for s in successful(api, "fs-repo")] == [snap[0]["snapshot"]]  # snapshots stay


# -- deletion by each condition, on snapshots made by hand and tagged with the policy -----------------
@pytest.mark.parametrize(
    ("name", "condition", "expect_deleted"),
    [
        ("by-count", {"max_count": 3}, [0, 1]),
        ("by-age", {"max_age": "150m"}, [0, 1, 2]),  # made 5h, 4h, 3h, 2h and 1h before the run
        ("by-age-floor", {"max_age": "1s", "min_count": 4}, [0]),
    ],
)
def test_deletion_conditions(
    api: Api, fs_repo: Path, webhook: Webhook, name: str, condition: dict, expect_deleted: list[int]
) -> None:
    made = []
    for i in range(5):
        snap = f"{name}-{i}"
        api.ok("PUT", f"/_snapshot/fs-repo/{snap}", {"metadata": {"sm_policy": name}}, wait_for_completion="true")
        made.append(snap)
        api.advance("1h")
    api.ok("PUT", "/_snapshot/fs-repo/untagged-x", wait_for_completion="true")  # matches no policy: never deleted
    body = {
        "deletion": {"schedule": EVERY_MINUTE, "condition": condition},
        "snapshot_config": {"repository": "fs-repo"},
        "notification": {
            "channel": {"id": "NC3OpoEBzEoHMX183R3f"},
            "conditions": {"creation": False, "deletion": True},
        },
    }
    api.ok("POST", f"{SM}/{name}", body, 201)
    cycle(api, name)
    deleted = [made[i] for i in expect_deleted]
    latest = workflow(api, name, "deletion")["latest_execution"]
    message = f"Snapshot(s) [{', '.join(deleted)}] deletion has finished."
    assert latest["status"] == "SUCCESS" and latest["info"]["message"].endswith(message)
    left = {s["snapshot"] for s in api.snapshots("fs-repo")}
    assert set(made) - left == set(deleted) and "untagged-x" in left
    assert message in webhook.bodies(HOOK)
    api.ok("DELETE", f"{SM}/{name}")
    api.ok("DELETE", "/_snapshot/fs-repo/untagged-x")


# -- failures ---------------------------------------------------------------------------------------------
def test_a_failing_repository_is_retried_three_times_then_failed(
    api: Api, cluster_root: Path, webhook: Webhook
) -> None:
    blocker = cluster_root / "sm-not-a-directory"
    blocker.write_text("this file stands where the repository directory should be")
    api.ok("PUT", "/_snapshot/broken", {"type": "fs", "settings": {"location": str(blocker)}}, verify="false")
    notify = {"channel": {"id": "NC3OpoEBzEoHMX183R3f"}, "conditions": {"creation": False, "failure": True}}
    api.ok("POST", f"{SM}/broken-policy", policy("broken", HOURLY, notification=notify), 201)
    trigger = initialised(api, "broken-policy")["creation"]["trigger"]["time"]
    api.advance_to(trigger)
    for remaining in (3, 2, 1):
        wf = wait_until(
            lambda r=remaining: (w := workflow(api, "broken-policy")).get("retry", {}).get("count") == r and w,
            30,
            what=f"retry count {remaining}",
        )
        assert wf["current_state"] == "CREATION_CONDITION_MET"
        assert wf["latest_execution"]["status"] == "RETRYING"
        assert "Not a directory" in wf["latest_execution"]["info"]["cause"]
        api.advance("61s")  # a failed attempt waits one job interval (1 minute) before the next
    wf = wait_until(
        lambda: (w := workflow(api, "broken-policy"))["latest_execution"]["status"] == "FAILED" and w, 30, what="FAILED"
    )
    assert wf["current_state"] == "CREATION_START" and "retry" not in wf
    assert wf["trigger"]["time"] > trigger  # the next period is the next hour

    def failure_notifications() -> list[str]:
        return [b for b in webhook.bodies(HOOK) if "Caught exception while getting snapshots" in b]

    wait_until(lambda: len(failure_notifications()) >= 4, 15, what="4 failure notifications")
    assert len(failure_notifications()) == 4  # one per failed attempt
    api.ok("DELETE", f"{SM}/broken-policy")


def test_a_creation_over_its_time_limit(api: Api, fs_repo: Path, webhook: Webhook) -> None:
    api.ok("POST", CLOCK, {"creation_delay": "120s"})  # test-only: creations wait before writing
    notify = {"channel": {"id": "NC3OpoEBzEoHMX183R3f"}, "conditions": {"creation": False, "time_limit_exceeded": True}}
    body = policy("fs-repo", HOURLY, notification=notify)
    body["creation"]["time_limit"] = "1m"
    api.ok("POST", f"{SM}/slow", body, 201)
    try:
        api.advance_to(initialised(api, "slow")["creation"]["trigger"]["time"])
        running = wait_until(
            lambda: (w := workflow(api, "slow"))["current_state"] == "CREATING" and w, 30, what="CREATING"
        )
        assert running["latest_execution"]["status"] == "IN_PROGRESS"
        started = running["started"][0]
        assert [s["state"] for s in api.snapshots("fs-repo") if s["snapshot"] == started] == ["IN_PROGRESS"]
        api.advance("2m")
        wf = wait_until(
            lambda: (w := workflow(api, "slow"))["latest_execution"]["status"] == "TIME_LIMIT_EXCEEDED" and w,
            30,
            what="TIME_LIMIT_EXCEEDED",
        )
        assert wf["current_state"] == "CREATION_START" and "started" not in wf
        assert wf["latest_execution"]["info"]["cause"].endswith("Time limit 1m exceeded during snapshot creation step")
        assert wf["latest_execution"]["end_time"] > wf["latest_execution"]["start_time"]
        wait_until(
            lambda: any(
                b.endswith("Time limit 1m exceeded during snapshot creation step") for b in webhook.bodies(HOOK)
            ),
            15,
            what="time limit notification",
        )
    finally:
        api.ok("POST", CLOCK, {"creation_delay": 0})
    # The snapshot itself is not cancelled: it completes.
    wait_until(lambda: [s for s in successful(api, "fs-repo") if s["snapshot"] == started], 30, what="slow snapshot")
    api.ok("DELETE", f"{SM}/slow")


# -- failover ---------------------------------------------------------------------------------------------
def test_the_executor_survives_a_kill_of_its_agent(cluster: LocalCluster, api: Api, fs_repo: Path) -> None:
    api.ok("POST", f"{SM}/failover", policy("fs-repo"), 201)
    cycle(api, "failover")
    first = workflow(api, "failover")["latest_execution"]
    assert first["status"] == "SUCCESS"
    seq_no = api.explain("failover")["policy_seq_no"]

    holder = duty_holder(cluster)
    assert holder is not None
    survivor = Api(next(n for n in cluster.nodes if n is not holder).api)
    survivor.ok("POST", CLOCK, {"creation_delay": "300s"})
    try:
        survivor.advance_to(survivor.explain("failover")["creation"]["trigger"]["time"])
        running = wait_until(
            lambda: (w := workflow(survivor, "failover"))["current_state"] == "CREATING" and w, 30, what="CREATING"
        )
        abandoned = running["started"][0]
        cluster.signal(holder, "agent", signal.SIGKILL)
        new_holder = wait_until(lambda: duty_holder(cluster, skip=(holder.name,)), 40, what="a new duty holder")
        assert new_holder.name != holder.name
    finally:
        survivor.ok("POST", CLOCK, {"creation_delay": 0})
    # The new holder continues from etcd: the started snapshot died with its agent (its running marker went
    # with the agent's lease), which upstream reports as SUCCESS with a "not found" message.
    wf = wait_until(
        lambda: (w := workflow(survivor, "failover"))["current_state"] == "CREATION_START" and w,
        40,
        what="reset after the kill",
    )
    assert wf["latest_execution"]["info"]["message"].endswith(
        f"Snapshot {abandoned} not found while checking if it has been created."
    )
    assert abandoned not in {s["snapshot"] for s in survivor.snapshots("fs-repo")}
    cycle(survivor, "failover")
    latest = workflow(survivor, "failover")["latest_execution"]
    assert latest["status"] == "SUCCESS" and latest["start_time"] > first["start_time"]
    assert survivor.explain("failover")["policy_seq_no"] == seq_no
    survivor.ok("DELETE", f"{SM}/failover")
    cluster.start(holder, "agent")
    cluster.wait_ready(timeout=60)


# -- restore into a fresh cluster ----------------------------------------------------------------------------
def test_a_policy_snapshot_restores_into_a_fresh_cluster(cluster_root: Path, api: Api, fs_repo: Path) -> None:
    api.ok("POST", f"{SM}/to-restore", policy("fs-repo", EVERY_MINUTE, description="kept across clusters"), 201)
    cycle(api, "to-restore")
    name = [s["snapshot"] for s in successful(api, "fs-repo") if s["metadata"] == {"sm_policy": "to-restore"}][-1]
    source = api.ok("GET", f"{SM}/to-restore")

    with started_cluster(cluster_root, "sm-fresh", {"acl_enabled": True}) as fresh:
        target = Api(fresh.nodes[0].api)
        status, body = target.error("GET", SM)
        assert (status, error_type(body)) == (403, "security_exception")
        mgmt = requests.post(fresh.nodes[0].api + "/v1/acl/bootstrap", timeout=10).json()["SecretID"]
        headers = {"X-Nomad-Token": mgmt, "Content-Type": "application/json"}
        base = fresh.nodes[0].api
        repo = {"type": "fs", "settings": {"location": str(fs_repo)}}
        assert requests.put(f"{base}/_snapshot/fs-repo", json=repo, headers=headers, timeout=30).status_code == 200
        listed = requests.get(f"{base}/_snapshot/fs-repo/{name}", headers=headers, timeout=30).json()["snapshots"]
        assert listed[0]["metadata"] == {"sm_policy": "to-restore"}
        resp = requests.post(
            f"{base}/_snapshot/fs-repo/{name}/_restore",
            headers=headers,
            params={"wait_for_completion": "true"},
            timeout=120,
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["snapshot"]["snapshot"] == name
        # The whole state was replaced, ACLs included: the source cluster had none, so bootstrap works again.
        assert requests.get(f"{base}{SM}/to-restore", headers=headers, timeout=10).status_code == 403
        mgmt = requests.post(base + "/v1/acl/bootstrap", timeout=10).json()["SecretID"]
        restored = requests.get(f"{base}{SM}/to-restore", headers={"X-Nomad-Token": mgmt}, timeout=10).json()
        assert restored["sm_policy"] == source["sm_policy"]
        repos = requests.get(f"{base}/_snapshot", headers={"X-Nomad-Token": mgmt}, timeout=10).json()
        assert {"fs-repo", "s3-repo"} <= set(repos)
        assert requests.get(base + CLOCK, headers={"X-Nomad-Token": mgmt}, timeout=10).status_code == 404  # test-only
    api.ok("DELETE", f"{SM}/to-restore")
    assert os.path.exists(fs_repo / f"{name}.tar.gz")
