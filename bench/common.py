"""Shared pieces of the side-by-side benchmarks: the cluster, the etcd gateway client, statistics, tables."""

from __future__ import annotations

import base64
import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import urllib3
from raftops.localcluster import LocalCluster, Node
from raftops.store.etcd import Etcd

ETCD_TIMEOUT = urllib3.Timeout(connect=1.0, read=5.0)


def free_hosts(last_octets: tuple[int, ...] = (31, 32, 33)) -> tuple[str, ...]:
    """Three loopback addresses nothing listens on (the snapshot benchmark uses .21-.23 of the same blocks)."""
    busy = Path("/proc/net/tcp").read_text()
    for third in range(240, 255):
        hosts = tuple(f"127.0.{third}.{i}" for i in last_octets)
        hexes = [f"{int.from_bytes(bytes(map(int, h.split('.'))), 'little'):08X}" for h in hosts]
        if not any(h in busy for h in hexes):
            return hosts
    raise RuntimeError("no free 127.0.24x.0/24 block")


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


class EtcdDirect:
    """The same operations straight to etcd's v3 JSON gateway, with the same client library (urllib3)."""

    def __init__(self, endpoint: str, pool: urllib3.PoolManager):
        self.endpoint = endpoint
        self.pool = pool

    def call(self, path: str, body: dict, timeout: urllib3.Timeout = ETCD_TIMEOUT) -> dict:
        resp = self.pool.request(
            "POST",
            f"{self.endpoint}/v3/{path}",
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            timeout=timeout,
        )
        if resp.status != 200:
            raise RuntimeError(f"etcd {path}: {resp.status} {resp.data[:200]!r}")
        return json.loads(resp.data)

    def put(self, key: str, value: bytes, timeout: urllib3.Timeout = ETCD_TIMEOUT) -> None:
        self.call("kv/put", {"key": b64(key), "value": b64(value)}, timeout)

    def get(self, key: str) -> None:
        self.call("kv/range", {"key": b64(key)})  # linearizable, like every raftops read


def node_of_member(cluster: LocalCluster, etcd: Etcd, member_id: int) -> Node:
    url = next(m.client_urls[0] for m in etcd.members()[1] if m.id == member_id)
    return next(n for n in cluster.nodes if n.etcd.client_url == url)


def wait(predicate, timeout: float, interval: float = 0.1, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # a member that is still starting; keep polling until the deadline
            pass
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached within {timeout}s")


@dataclass
class Latencies:
    samples: list[float]
    wall: float

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p99(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]

    @property
    def throughput(self) -> float:
        return len(self.samples) / self.wall


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for n, row in enumerate(rows):
        out.append("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def verdict(ratio: float, goal: float) -> str:
    return f"<= {goal:.1f}x: {'met' if ratio <= goal else 'MISSED'}"
