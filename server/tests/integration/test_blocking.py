"""Nomad blocking queries (``?index=&wait=``) on a real 3-member etcd cluster with 3 agents."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Iterator

import pytest
from raftops.localcluster import LocalCluster

from .nomadhttp import call, started_cluster


def var_url(cluster: LocalCluster, path: str, node: int = 0) -> str:
    return f"{cluster.nodes[node].api}/v1/var/{path}"


def put(cluster: LocalCluster, path: str, value: str, node: int = 0) -> dict:
    resp = call("PUT", var_url(cluster, path, node), body={"Items": {"v": value}})
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.mark.parametrize(
    "path,query,message",
    [
        ("/v1/var/b/x", {"index": "abc"}, "Invalid index"),
        ("/v1/var/b/x", {"index": "-1"}, "Invalid index"),
        ("/v1/var/b/x", {"index": "18446744073709551616"}, "Invalid index"),
        ("/v1/var/b/x", {"wait": "abc"}, "Invalid wait time"),
        ("/v1/var/b/x", {"wait": "10"}, "Invalid wait time"),
        ("/v1/var/b/x", {"wait": "x", "index": "y"}, "Invalid wait time"),
        ("/v1/vars", {"index": "1.5"}, "Invalid index"),
        ("/v1/vars", {"wait": "5 s"}, "Invalid wait time"),
    ],
)
def test_bad_index_or_wait_is_400_with_nomads_text(local_cluster: LocalCluster, path, query, message) -> None:
    resp = call("GET", local_cluster.nodes[0].api + path, params=query)
    assert (resp.status_code, resp.text) == (400, message)
    assert resp.headers["Content-Type"].startswith("text/plain")


def test_a_blocking_read_answers_when_the_variable_changes(local_cluster: LocalCluster) -> None:
    first = put(local_cluster, "block/read", "1")
    index = first["ModifyIndex"]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        # Through another agent than the writer's: the wake comes from etcd, not from the agent that wrote.
        waiting = pool.submit(
            call, "GET", var_url(local_cluster, "block/read", 1), params={"index": index, "wait": "60s"}
        )
        time.sleep(1.0)
        assert not waiting.done()
        second = put(local_cluster, "block/read", "2")
        resp = waiting.result(timeout=30)
    assert resp.status_code == 200
    assert resp.json()["Items"] == {"v": "2"}
    assert resp.json()["ModifyIndex"] == second["ModifyIndex"] > index
    assert resp.headers["X-Nomad-Index"] == str(second["ModifyIndex"])
    assert resp.headers["X-Nomad-KnownLeader"] == "true"
    assert resp.headers["X-Nomad-LastContact"] == "0"


def test_an_older_index_answers_at_once_and_index_zero_never_blocks(local_cluster: LocalCluster) -> None:
    first = put(local_cluster, "block/old", "1")
    put(local_cluster, "block/old", "2")
    resp = call("GET", var_url(local_cluster, "block/old"), params={"index": first["ModifyIndex"], "wait": "60s"})
    assert resp.status_code == 200 and resp.json()["Items"] == {"v": "2"}
    resp = call("GET", var_url(local_cluster, "block/old"), params={"index": "0", "wait": "60s"})
    assert resp.status_code == 200


def test_a_blocking_read_times_out_with_the_same_answer(local_cluster: LocalCluster) -> None:
    first = put(local_cluster, "block/quiet", "1")
    started = time.monotonic()
    resp = call("GET", var_url(local_cluster, "block/quiet"), params={"index": first["ModifyIndex"], "wait": "1s"})
    elapsed = time.monotonic() - started
    assert resp.status_code == 200
    assert resp.headers["X-Nomad-Index"] == str(first["ModifyIndex"])
    assert elapsed >= 1.0  # the wait, plus at most a sixteenth of jitter


def test_a_missing_variable_reports_an_index_and_blocks_until_created(local_cluster: LocalCluster) -> None:
    resp = call("GET", var_url(local_cluster, "block/later"))
    assert (resp.status_code, resp.text) == (404, "variable not found")
    index = int(resp.headers["X-Nomad-Index"])
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(
            call, "GET", var_url(local_cluster, "block/later"), params={"index": index, "wait": "60s"}
        )
        time.sleep(1.0)
        assert not waiting.done()
        created = put(local_cluster, "block/later", "now", node=2)
        resp = waiting.result(timeout=30)
    assert resp.status_code == 200 and resp.json()["ModifyIndex"] == created["ModifyIndex"]


def test_a_blocking_list_wakes_on_a_delete_under_its_prefix_only(local_cluster: LocalCluster) -> None:
    put(local_cluster, "blist/a", "1")
    put(local_cluster, "elsewhere/a", "1")
    resp = call("GET", f"{local_cluster.nodes[0].api}/v1/vars", params={"prefix": "blist/"})
    index = int(resp.headers["X-Nomad-Index"])
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(
            call,
            "GET",
            f"{local_cluster.nodes[0].api}/v1/vars",
            params={"prefix": "blist/", "index": index, "wait": "60s"},
        )
        put(local_cluster, "elsewhere/a", "2")  # outside the prefix: no answer
        time.sleep(1.0)
        assert not waiting.done()
        assert call("DELETE", var_url(local_cluster, "blist/a")).status_code == 204
        resp = waiting.result(timeout=30)
    assert resp.status_code == 200 and resp.json() == []
    assert int(resp.headers["X-Nomad-Index"]) > index


def test_many_parked_queries_hold_no_thread_and_all_answer_after_one_write(local_cluster: LocalCluster) -> None:
    count = 200  # far more than the agent's 32 handler threads
    first = put(local_cluster, "block/many", "1")
    url = var_url(local_cluster, "block/many")
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        waiting = [
            pool.submit(call, "GET", url, params={"index": first["ModifyIndex"], "wait": "120s"}) for _ in range(count)
        ]
        time.sleep(3.0)
        assert not any(w.done() for w in waiting)
        # Every handler thread is free: an ordinary request still answers.
        assert call("GET", url).status_code == 200
        second = put(local_cluster, "block/many", "2")
        answers = [w.result(timeout=60) for w in waiting]
    assert {(r.status_code, r.json()["ModifyIndex"]) for r in answers} == {(200, second["ModifyIndex"])}


@pytest.fixture(scope="module")
def acl_cluster(cluster_root) -> Iterator[tuple[LocalCluster, str]]:
    with started_cluster(cluster_root, "blocking-acl", {"acl_enabled": True}) as cluster:
        resp = call("POST", f"{cluster.nodes[0].api}/v1/acl/bootstrap")
        assert resp.status_code == 200, resp.text
        yield cluster, resp.json()["SecretID"]


def test_acl_policy_reads_and_lists_block(acl_cluster) -> None:
    cluster, mgmt = acl_cluster
    api = cluster.nodes[0].api
    rules = 'namespace "default" { policy = "read" }'
    assert call("POST", f"{api}/v1/acl/policy/p1", token=mgmt, body={"Name": "p1", "Rules": rules}).status_code == 200
    resp = call("GET", f"{api}/v1/acl/policy/p1", token=mgmt)
    index = int(resp.headers["X-Nomad-Index"])
    listed = call("GET", f"{api}/v1/acl/policies", token=mgmt)
    list_index = int(listed.headers["X-Nomad-Index"])
    assert call("GET", f"{api}/v1/acl/policies", token=mgmt, params={"index": "x"}).text == "Invalid index"
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        one = pool.submit(call, "GET", f"{api}/v1/acl/policy/p1", token=mgmt, params={"index": index, "wait": "60s"})
        many = pool.submit(
            call, "GET", f"{api}/v1/acl/policies", token=mgmt, params={"index": list_index, "wait": "60s"}
        )
        time.sleep(1.0)
        assert not one.done() and not many.done()
        body = {"Name": "p1", "Description": "changed", "Rules": rules}
        assert call("POST", f"{cluster.nodes[1].api}/v1/acl/policy/p1", token=mgmt, body=body).status_code == 200
        resp, listed = one.result(timeout=30), many.result(timeout=30)
    assert resp.status_code == 200 and resp.json()["Description"] == "changed"
    assert int(resp.headers["X-Nomad-Index"]) > index
    assert listed.status_code == 200 and int(listed.headers["X-Nomad-Index"]) > list_index


def test_acl_token_reads_and_lists_block(acl_cluster) -> None:
    cluster, mgmt = acl_cluster
    api = cluster.nodes[0].api
    created = call("POST", f"{api}/v1/acl/token", token=mgmt, body={"Name": "t", "Type": "management"}).json()
    accessor = created["AccessorID"]
    index = created["ModifyIndex"]
    listed = call("GET", f"{api}/v1/acl/tokens", token=mgmt)
    list_index = int(listed.headers["X-Nomad-Index"])
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        one = pool.submit(
            call, "GET", f"{api}/v1/acl/token/{accessor}", token=mgmt, params={"index": index, "wait": "60s"}
        )
        many = pool.submit(call, "GET", f"{api}/v1/acl/tokens", token=mgmt, params={"index": list_index, "wait": "60s"})
        time.sleep(1.0)
        assert not one.done() and not many.done()
        body = {"AccessorID": accessor, "Name": "renamed", "Type": "management"}
        assert call("POST", f"{api}/v1/acl/token/{accessor}", token=mgmt, body=body).status_code == 200
        resp, listed = one.result(timeout=30), many.result(timeout=30)
    assert resp.status_code == 200 and resp.json()["Name"] == "renamed"
    assert int(resp.headers["X-Nomad-Index"]) > index
    assert listed.status_code == 200 and int(listed.headers["X-Nomad-Index"]) > list_index
