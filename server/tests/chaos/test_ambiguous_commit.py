"""Deterministic reproducers of what the chaos workload found: a variable write whose etcd answer is
lost after etcd applied it (the leader died in between) must not be applied a second time, and a CAS
write that took effect must not be answered 409.

The agent reaches etcd first through a proxy that loses exactly one answer (lossy_proxy.py); the
gateway then re-sends the guarded txn to the next member, where its compare fails because of the
txn's own first application.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import urllib3
from raftops.localcluster import LocalCluster
from raftops.store.etcd import Etcd
from raftops.store.state import StateStore

from ..conftest import next_hosts
from .checker import check
from .crafted import read, write
from .lossy_proxy import LossyProxy

HTTP = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=2, read=15))


@pytest.fixture(scope="module")
def proxied(cluster_root: Path) -> Iterator[tuple[LocalCluster, LossyProxy, StateStore]]:
    """A one-server cluster whose agent talks to etcd through the lossy proxy first, then directly."""
    hosts = next_hosts(1)
    cluster = LocalCluster(cluster_root / "ambiguous", hosts, token="raftops-ambiguous")
    node = cluster.nodes[0]
    proxy = LossyProxy(node.etcd.client_url, host=hosts[0]).start()
    cluster.agent_config = {"etcd": {"endpoints": [proxy.url, node.etcd.client_url], "timeout": 2.0}}
    etcd = Etcd([node.etcd.client_url])
    try:
        cluster.up(timeout=60)
        yield cluster, proxy, StateStore(etcd)
    finally:
        etcd.close()
        cluster.destroy()
        proxy.close()


def restart_agent(cluster: LocalCluster) -> None:
    """A fresh agent prefers its first etcd endpoint (the proxy) again; the previous one moved on."""
    node = cluster.nodes[0]
    cluster.signal(node, "agent")
    cluster.start(node, "agent")
    cluster.wait_ready(timeout=60)


def put(api: str, path: str, value: str, cas: int | None = None) -> urllib3.BaseHTTPResponse:
    url = f"{api}/v1/var/{path}" + (f"?cas={cas}" if cas is not None else "")
    return HTTP.request("PUT", url, json={"Items": {"v": value}})


def get(api: str, path: str) -> tuple[str | None, int | None]:
    resp = HTTP.request("GET", f"{api}/v1/var/{path}")
    if resp.status == 404:
        return None, None
    assert resp.status == 200, resp.data
    return resp.json()["Items"]["v"], resp.json()["ModifyIndex"]


def test_write_with_a_lost_answer_is_not_applied_twice(proxied) -> None:
    cluster, proxy, state = proxied
    restart_agent(cluster)
    api, path = cluster.nodes[0].api, "ambiguous/plain"
    first = put(api, path, "first").json()["ModifyIndex"]
    seen: dict[str, tuple] = {}

    def another_client() -> None:
        # In the window between etcd applying "mine" and the agent learning of it: read it, then overwrite it.
        t0 = time.monotonic()
        seen["read"] = (t0, time.monotonic(), *get(api, path))
        t1 = time.monotonic()
        resp = put(api, path, "theirs")
        seen["theirs"] = (t1, time.monotonic(), resp.status, resp.json().get("ModifyIndex"))

    proxy.arm(state.key(f"vars/default/{path}"), another_client)
    t0 = time.monotonic()
    resp = put(api, path, "mine")
    t1 = time.monotonic()
    assert proxy.dropped.is_set(), "the proxy did not intercept the write"
    final = get(api, path)
    r0, r1, read_value, read_index = seen["read"]
    w0, w1, their_status, their_index = seen["theirs"]
    assert read_value == "mine" and their_status == 200

    # Recorded as a history: "mine" became visible at read_index; the checker must find it consistent.
    ops = [
        write("a", path, 0.0, 0.1, "first", first),
        read("b", path, r0, r1, read_value, read_index),
        write("b", path, w0, w1, "theirs", their_index),
    ]
    if resp.status == 200:
        ops.append(write("a", path, t0, t1, "mine", resp.json()["ModifyIndex"]))
    else:
        ops.append(write("a", path, t0, None, "mine"))  # a 5xx: unknown outcome
    report = check(ops, final={path: final})
    assert report.valid, (
        f"PUT answered {resp.status} {resp.data[:200]!r} after its first application at index {read_index}; "
        f"final {final}\n{report.summary()}"
    )


def test_cas_write_with_a_lost_answer_is_not_reported_as_a_conflict(proxied) -> None:
    cluster, proxy, state = proxied
    restart_agent(cluster)
    api, path = cluster.nodes[0].api, "ambiguous/cas"
    index = put(api, path, "first").json()["ModifyIndex"]
    proxy.arm(state.key(f"vars/default/{path}"))
    resp = put(api, path, "mine", cas=index)
    assert proxy.dropped.is_set(), "the proxy did not intercept the write"
    value, _ = get(api, path)
    assert value == "mine"  # the write took effect...
    assert resp.status != 409, f"...but the client was told it conflicted: {resp.status} {resp.data[:300]!r}"
