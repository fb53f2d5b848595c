"""(1) Variable writes and reads through raftops against the same operations directly on etcd.

raftops: ``PUT /v1/var/bench/<n>`` and ``GET /v1/var/bench/<n>`` on agent 1. etcd: ``kv/put`` and a
linearizable ``kv/range`` of a key of the same size on the etcd member beside agent 1, through the
v3 JSON gateway with the same client (urllib3). 1 client, then 8 concurrent clients; the order of
the two systems alternates over the rounds so that load drift on the machine hits both.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

import urllib3
from common import EtcdDirect, Latencies, b64, ms, verdict
from raftops.localcluster import LocalCluster

VALUE = "x" * 64
# Generous connect timeout: the agent's listen backlog is cheroot's default of 5, so a burst of new
# connections can wait for a SYN retransmit (1 s); connections are opened before the clock starts.
TIMEOUT = urllib3.Timeout(connect=10.0, read=10.0)


def measure(op: Callable[[urllib3.PoolManager, int, int], None], clients: int, per_client: int) -> Latencies:
    samples: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1, timeout=120)

    def worker(number: int) -> None:
        pool = urllib3.PoolManager(retries=False, maxsize=2)
        mine = []
        try:
            op(pool, number, -1)  # open the connection before the clock starts
        except BaseException as exc:
            errors.append(exc)
            start.abort()
            return
        start.wait()
        for i in range(per_client):
            t0 = time.perf_counter()
            op(pool, number, i)
            mine.append(time.perf_counter() - t0)
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join(timeout=600)
    if errors:
        raise RuntimeError(f"a client failed before the measurement: {errors[0]!r}")
    return Latencies(samples, time.perf_counter() - began)


def raftops_ops(api: str) -> dict[str, Callable]:
    def write(pool: urllib3.PoolManager, client: int, i: int) -> None:
        r = pool.request("PUT", f"{api}/v1/var/bench/c{client}-{i % 50}", json={"Items": {"v": VALUE}}, timeout=TIMEOUT)
        assert r.status == 200, r.data[:200]

    def read(pool: urllib3.PoolManager, client: int, i: int) -> None:
        r = pool.request("GET", f"{api}/v1/var/bench/c{client}-{i % 50}", timeout=TIMEOUT)
        assert r.status in (200, 404), r.data[:200]

    return {"write": write, "read": read}


def etcd_ops(endpoint: str) -> dict[str, Callable]:
    # The stored form of a variable is ~150 bytes of JSON; write a value of that size.
    payload = b'{"CreateTime":1,"Items":{"v":"' + VALUE.encode() + b'"},"ModifyTime":1,"Namespace":"default"}'

    def write(pool: urllib3.PoolManager, client: int, i: int) -> None:
        EtcdDirect(endpoint, pool).put(f"/bench-direct/c{client}-{i % 50}", payload)

    def read(pool: urllib3.PoolManager, client: int, i: int) -> None:
        EtcdDirect(endpoint, pool).get(f"/bench-direct/c{client}-{i % 50}")

    def one_txn(pool: urllib3.PoolManager, client: int, i: int) -> None:
        # What the agent sends for a variable update: one txn that compares the generation pointer and
        # that the variable and its CreateTime sibling exist, puts the value and the state-touched key,
        # and ranges the variable and the sibling back (store/variables.py).
        direct = EtcdDirect(endpoint, pool)
        key, ckey = b64(f"/bench-direct/c{client}-{i % 50}"), b64(f"/bench-direct-ctime/c{client}-{i % 50}")
        pointer, touched = b64("/bench-direct-pointer"), b64("/bench-direct-touched")
        compare = [
            {"key": pointer, "target": "CREATE", "result": "EQUAL", "create_revision": "0"},
            {"key": key, "target": "CREATE", "result": "GREATER", "create_revision": "0"},
            {"key": ckey, "target": "CREATE", "result": "GREATER", "create_revision": "0"},
        ]
        success = [
            {"request_put": {"key": key, "value": b64(payload)}},
            {"request_put": {"key": touched, "value": b64("1")}},
            {"request_range": {"key": key}},
            {"request_range": {"key": ckey}},
        ]
        failure = [
            {"request_put": {"key": key, "value": b64(payload)}},
            {"request_put": {"key": ckey, "value": b64("1")}},
        ]
        direct.call("kv/txn", {"compare": compare, "success": success, "failure": failure})

    return {"write": write, "read": read, "one_txn": one_txn}


GOALS = {"write": 1.5, "read": 1.3}  # p50 against etcd's own put / linearizable get (issue 14)


def throughput_goal(clients: int, slower: float) -> str:
    """8 clients: raftops' throughput at least 2/3 of etcd's."""
    if clients == 1:
        return ""
    return f"; throughput >= 2/3: {'met' if 1 / slower >= 2 / 3 else 'MISSED'}"


def run(cluster: LocalCluster, ops_single: int = 300, ops_each: int = 100, rounds: int = 2) -> list[tuple[str, ...]]:
    node = cluster.nodes[0]
    systems = {"raftops": raftops_ops(node.api), "etcd": etcd_ops(node.etcd.client_url)}
    results: dict[tuple[str, str, int], list[Latencies]] = {}
    for r in range(rounds):
        order = ["raftops", "etcd"] if r % 2 == 0 else ["etcd", "raftops"]
        for kind in ("write", "read"):
            for clients, per in ((1, ops_single), (8, ops_each)):
                for system in order:
                    results.setdefault((system, kind, clients), []).append(
                        measure(systems[system][kind], clients, per // rounds)
                    )
    rows = []
    for kind in ("write", "read"):
        for clients in (1, 8):
            mine = merge(results[("raftops", kind, clients)])
            theirs = merge(results[("etcd", kind, clients)])
            ratio = mine.p50 / theirs.p50
            slower = theirs.throughput / mine.throughput  # how many times etcd's throughput is raftops'
            rows.append(
                (
                    f"variable {kind}, {clients} client{'s' if clients > 1 else ''}",
                    f"p50 {ms(mine.p50)}, p99 {ms(mine.p99)}, {mine.throughput:.0f}/s",
                    f"p50 {ms(theirs.p50)}, p99 {ms(theirs.p99)}, {theirs.throughput:.0f}/s",
                    f"p50 {ratio:.2f}x, p99 {mine.p99 / theirs.p99:.2f}x, throughput 1/{slower:.2f}",
                    verdict(ratio, GOALS[kind]) + f" (p50){throughput_goal(clients, slower)}",
                )
            )
    reference = measure(systems["etcd"]["one_txn"], 1, ops_single // rounds)
    write = merge(results[("raftops", "write", 1)])
    rows.append(
        (
            "  reference: the agent's one etcd txn for a variable write (compare, 2 puts, 2 ranges), 1 client",
            "",
            f"p50 {ms(reference.p50)}, p99 {ms(reference.p99)}, {reference.throughput:.0f}/s",
            f"raftops write p50 / this {write.p50 / reference.p50:.2f}x",
            "what the API adds on top of its one etcd request",
        )
    )
    return rows


def merge(parts: list[Latencies]) -> Latencies:
    return Latencies([s for p in parts for s in p.samples], sum(p.wall for p in parts))
