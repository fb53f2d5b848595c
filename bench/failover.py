"""(2) Recovery after SIGKILL of the etcd leader: time until a raftops write succeeds again against the
time until a direct etcd write succeeds again, measured from the same kill.

Two probers start together right after the SIGKILL, both on a surviving server: one PUTs a variable
through that server's agent, the other puts a key through the etcd member beside it (v3 gateway,
urllib3). Each prober starts a new attempt every 50 ms on a connection of its own without waiting
for the earlier ones (a put sent while there is no leader waits inside etcd, so a prober that waited
for each attempt to time out would measure its own timeout); the recovery time is the completion
time of the first attempt that succeeds. The killed member is restarted and the cluster is healthy
again before the next trial.
"""

from __future__ import annotations

import signal
import statistics
import threading
import time

import urllib3
from common import EtcdDirect, node_of_member, verdict, wait
from raftops.localcluster import LocalCluster
from raftops.store.etcd import Etcd

ATTEMPT = urllib3.Timeout(connect=1.0, read=10.0)
LAUNCH_EVERY = 0.05
MAX_ATTEMPTS = 300  # 15 s of attempts
GIVE_UP = 30.0


def probe(attempt, started: float, out: dict, name: str) -> None:
    """Launch overlapping attempts until one succeeds; record when the first success completed."""
    done = threading.Event()
    first: list[float] = []
    lock = threading.Lock()

    def one() -> None:
        pool = urllib3.PoolManager(retries=False, maxsize=1)
        try:
            ok = attempt(pool)
        except (urllib3.exceptions.HTTPError, RuntimeError):
            ok = False
        if ok:
            with lock:
                first.append(time.monotonic() - started)
            done.set()

    threads = []
    for _ in range(MAX_ATTEMPTS):
        if done.is_set() or time.monotonic() - started > GIVE_UP:
            break
        t = threading.Thread(target=one, daemon=True)
        t.start()
        threads.append(t)
        done.wait(LAUNCH_EVERY)
    done.wait(max(0.0, GIVE_UP - (time.monotonic() - started)))
    for t in threads:
        t.join(timeout=15)
    out[name] = (min(first) if first else float("inf"), len(threads))


def trial(cluster: LocalCluster, number: int) -> dict[str, tuple[float, int]]:
    etcd = Etcd([n.etcd.client_url for n in cluster.nodes], timeout=2.0)
    try:
        leader = node_of_member(cluster, etcd, etcd.status().leader)
    finally:
        etcd.close()
    survivor = next(n for n in cluster.nodes if n is not leader)
    key = f"failover-{number}"

    def raftops_write(pool: urllib3.PoolManager) -> bool:
        r = pool.request("PUT", f"{survivor.api}/v1/var/bench/{key}", json={"Items": {"t": "1"}}, timeout=ATTEMPT)
        return r.status == 200

    def etcd_write(pool: urllib3.PoolManager) -> bool:
        EtcdDirect(survivor.etcd.client_url, pool).put(f"/bench-direct/{key}", b"1", timeout=ATTEMPT)
        return True

    out: dict[str, tuple[float, int]] = {}
    cluster.signal(leader, "etcd", signal.SIGKILL)
    started = time.monotonic()
    probers = [
        threading.Thread(target=probe, args=(raftops_write, started, out, "raftops")),
        threading.Thread(target=probe, args=(etcd_write, started, out, "etcd")),
    ]
    for t in probers:
        t.start()
    for t in probers:
        t.join()
    cluster.start(leader, "etcd")
    healthy = Etcd([leader.etcd.client_url], timeout=1.0)
    try:
        wait(lambda: healthy.status(endpoint=leader.etcd.client_url).leader, 60, what=f"{leader.name} rejoining")
    finally:
        healthy.close()
    cluster.wait_ready(timeout=60)
    return out


def run(cluster: LocalCluster, trials: int = 3) -> list[tuple[str, ...]]:
    results = [trial(cluster, n) for n in range(trials)]
    mine = statistics.median(r["raftops"][0] for r in results)
    theirs = statistics.median(r["etcd"][0] for r in results)
    detail = "; ".join(f"{r['raftops'][0]:.2f}/{r['etcd'][0]:.2f}" for r in results)
    return [
        (
            "write recovery after SIGKILL of the etcd leader",
            f"{mine:.2f} s",
            f"{theirs:.2f} s",
            f"{mine / theirs:.2f}x",
            verdict(mine / theirs, 1.2) + f" (median of {trials}; raftops/etcd s: {detail})",
        )
    ]
