"""The chaos workload: client threads recording a history of variable reads, writes and CAS writes,
while a fault loop SIGKILLs etcd members and agents, leadership moves in a loop, and a snapshot is
saved and restored. Every loop here is bounded by a count and a deadline.
"""

from __future__ import annotations

import io
import json
import logging
import random
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import urllib3
from raftops.localcluster import LocalCluster, Node
from raftops.snapshot import archive
from raftops.store.etcd import Etcd
from raftops.store.gateway import EtcdError

from .history import CAS, READ, RESTORE, WRITE, History, Op

log = logging.getLogger(__name__)

NAMESPACE = "default"
KEY_PREFIX = "chaos/"
STATIC_PREFIX = "chaos-static/"  # written before the snapshot, never touched by the workload
SNAPSHOT = "/v1/operator/snapshot"
TIMEOUT = urllib3.Timeout(connect=1.0, read=5.0)  # a timeout is an info op, never a failure
FAULT_KINDS = ("etcd", "agent", "etcd-leader")


def now() -> float:
    return time.monotonic()


def var_url(api: str, path: str) -> str:
    return f"{api}/v1/var/{path}"


def state_path(path: str) -> str:
    return f"vars/{NAMESPACE}/{path}"


@dataclass
class Config:
    keys: int = 6
    clients: int = 5
    duration: float = 60.0  # hard deadline of the client loops (seconds)
    max_ops_per_client: int = 1500
    faults: int = 6
    fault_down: tuple[float, float] = (1.0, 2.5)  # how long a killed process stays down
    fault_gap: float = 2.0
    transfer_interval: float = 2.5
    snapshot_at: float = 0.25  # fraction of the fault phase after which the snapshot is saved
    restore_at: float = 0.55
    seed: int = 0

    @property
    def key_names(self) -> list[str]:
        return [f"{KEY_PREFIX}k{i}" for i in range(self.keys)]


@dataclass
class Run:
    history: History = field(default_factory=History)
    faults: list[str] = field(default_factory=list)
    transfers: Counter = field(default_factory=Counter)
    snapshot: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class Workload:
    def __init__(self, cluster: LocalCluster, config: Config):
        self.cluster = cluster
        self.config = config
        self.run = Run()
        self.stop = threading.Event()
        self.apis = cluster.api_addresses
        self.rnd = random.Random(config.seed)

    # -- one client ---------------------------------------------------------------------------------
    def client(self, number: int) -> None:
        http = urllib3.PoolManager(retries=False, timeout=TIMEOUT, maxsize=2)
        rnd = random.Random(self.config.seed * 1000 + number)
        proc = f"c{number}"
        turn = number
        deadline = now() + self.config.duration
        for n in range(self.config.max_ops_per_client):
            if self.stop.is_set() or now() > deadline:
                return
            key = rnd.choice(self.config.key_names)
            turn += 1
            api = self.apis[turn % len(self.apis)]  # rotate over the agents
            dice = rnd.random()
            if dice < 0.35:
                self.read(http, api, proc, key)
            elif dice < 0.65:
                self.write(http, api, proc, key, f"{proc}-{n}", None)
            else:
                seen = self.read(http, api, proc, key)
                if seen is not None:
                    value, index = seen
                    turn += 1
                    api = self.apis[turn % len(self.apis)]
                    self.write(http, api, proc, key, f"{proc}-{n}", (index or 0, value))

    def read(self, http: urllib3.PoolManager, api: str, proc: str, key: str) -> tuple[str | None, int | None] | None:
        hist = self.run.history
        op = hist.begin(proc, READ, key, now())
        resp = self.send(http, "GET", var_url(api, key), op)
        if resp is None:
            return None
        if resp.status == 200:
            body = resp.json()
            hist.ok(op, now(), value=body["Items"]["v"], index=body["ModifyIndex"])
        elif resp.status == 404:
            hist.ok(op, now(), value=None, index=None)
        else:
            classify_error(hist, op, resp)
            return None
        return op.value, op.index

    def write(
        self,
        http: urllib3.PoolManager,
        api: str,
        proc: str,
        key: str,
        value: str,
        expect: tuple[int, str | None] | None,
    ) -> None:
        hist = self.run.history
        url = var_url(api, key)
        if expect is None:
            op = hist.begin(proc, WRITE, key, now(), value=value)
        else:
            op = hist.begin(proc, CAS, key, now(), value=value, expect=expect[0], expect_value=expect[1])
            url += f"?cas={expect[0]}"
        resp = self.send(http, "PUT", url, op, body={"Items": {"v": value}})
        if resp is None:
            return
        if resp.status == 200:
            hist.ok(op, now(), index=resp.json()["ModifyIndex"])
        elif resp.status == 409 and expect is not None:
            body = resp.json()
            seen = (body.get("Items") or {}).get("v")
            index = body.get("ModifyIndex", 0)
            hist.fail(op, now(), seen_value=seen if index else None, seen_index=index, observed=bool(seen) or not index)
        else:
            classify_error(hist, op, resp)

    def send(self, http: urllib3.PoolManager, method: str, url: str, op: Op, body: Any = None):
        try:
            return http.request(method, url, json=body, timeout=TIMEOUT)
        except urllib3.exceptions.ConnectTimeoutError as exc:
            # Refused or unanswered while connecting (a killed agent): nothing was sent, so nothing applied.
            self.run.history.fail(op, now(), note=f"connect: {type(exc).__name__}")
        except urllib3.exceptions.HTTPError as exc:
            self.run.history.info(op, f"{type(exc).__name__}")
        return None

    # -- faults -------------------------------------------------------------------------------------
    def fault_loop(self) -> None:
        kinds = [FAULT_KINDS[i % len(FAULT_KINDS)] for i in range(self.config.faults)]
        self.rnd.shuffle(kinds)
        for kind in kinds:
            if self.stop.is_set():
                return
            try:
                self.inject(kind)
            except Exception as exc:  # recorded: the test asserts the loop ran cleanly
                self.run.errors.append(f"fault {kind}: {exc!r}")
                log.exception("fault %s", kind)
            self.stop.wait(self.config.fault_gap)

    def inject(self, kind: str) -> None:
        if kind == "etcd-leader":
            node, what = self.etcd_leader(), "etcd"
        else:
            node, what = self.rnd.choice(self.cluster.nodes), kind
        started = now()
        self.cluster.signal(node, what, signal.SIGKILL)
        self.stop.wait(self.rnd.uniform(*self.config.fault_down))
        self.cluster.start(node, what)
        if what == "etcd":
            self.wait_member(node)
        else:
            self.wait_agent(node)
        self.run.faults.append(f"{kind} {node.name}: SIGKILL, back after {now() - started:.1f}s")

    def etcd_leader(self) -> Node:
        etcd = Etcd([n.etcd.client_url for n in self.cluster.nodes], timeout=2.0)
        try:
            for _ in range(50):
                try:
                    leader = etcd.status().leader
                    members = etcd.members()[1]
                    url = next(m.client_urls[0] for m in members if m.id == leader)
                    return next(n for n in self.cluster.nodes if n.etcd.client_url == url)
                except (EtcdError, StopIteration):
                    time.sleep(0.2)
            raise RuntimeError("no etcd leader found within 10s")
        finally:
            etcd.close()

    def wait_member(self, node: Node, timeout: float = 60.0) -> None:
        etcd = Etcd([node.etcd.client_url], timeout=1.0)
        try:
            deadline = now() + timeout
            while now() < deadline:
                try:
                    if etcd.status(endpoint=node.etcd.client_url).leader:
                        return
                except EtcdError:
                    pass
                time.sleep(0.2)
            raise TimeoutError(f"etcd member {node.name} did not rejoin within {timeout}s")
        finally:
            etcd.close()

    def wait_agent(self, node: Node, timeout: float = 60.0) -> None:
        http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=0.5, read=2.0))
        deadline = now() + timeout
        while now() < deadline:
            try:
                if http.request("GET", f"{node.api}/v1/agent/health").status == 200:
                    return
            except urllib3.exceptions.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"agent {node.name} not healthy within {timeout}s")

    # -- leadership transfers -----------------------------------------------------------------------
    def transfer_loop(self) -> None:
        http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=1.0, read=10.0))
        rnd = random.Random(self.config.seed + 7)
        for _ in range(200):
            if self.stop.wait(self.config.transfer_interval):
                return
            api = rnd.choice(self.apis)
            try:
                resp = http.request("GET", f"{api}/v1/operator/raft/configuration")
                if resp.status != 200:
                    self.run.transfers[f"configuration {resp.status}"] += 1
                    continue
                followers = [s["ID"] for s in resp.json()["Servers"] if not s["Leader"] and s["Voter"] and s["ID"]]
                if not followers:
                    self.run.transfers["no follower"] += 1
                    continue
                target = rnd.choice(followers)
                resp = http.request("PUT", f"{api}/v1/operator/raft/transfer-leadership?id={target}")
                self.run.transfers[f"transfer {resp.status}"] += 1
            except urllib3.exceptions.HTTPError as exc:
                self.run.transfers[f"transfer {type(exc).__name__}"] += 1

    # -- snapshot save and restore ------------------------------------------------------------------
    def save(self, http: urllib3.PoolManager) -> bytes | None:
        """GET the snapshot (bounded retries); its records become one read per workload key."""
        for attempt in range(5):
            api = self.apis[attempt % len(self.apis)]
            started = now()
            try:
                resp = http.request("GET", api + SNAPSHOT, timeout=urllib3.Timeout(connect=1.0, read=30.0))
            except urllib3.exceptions.HTTPError as exc:
                self.run.snapshot.setdefault("save_errors", []).append(repr(exc))
                continue
            finished = now()
            if resp.status != 200:
                self.run.snapshot.setdefault("save_errors", []).append(f"{resp.status} {resp.data[:200]!r}")
                time.sleep(1.0)
                continue
            records = snapshot_records(resp.data)
            self.run.snapshot["saved"] = {"keys": len(records), "bytes": len(resp.data), "seconds": finished - started}
            self.run.snapshot["records"] = records
            for key in self.config.key_names:
                value, index = records.get(state_path(key), (None, None))
                op = self.run.history.begin("snapshot", READ, key, started)
                self.run.history.ok(op, finished, value=value, index=index)
            return resp.data
        return None

    def restore(self, http: urllib3.PoolManager, data: bytes) -> bool:
        """PUT the archive back (bounded retries); each workload key gets a restore op."""
        records = self.run.snapshot["records"]
        for attempt in range(3):
            api = self.apis[(attempt + 1) % len(self.apis)]
            ops = [
                self.run.history.begin(
                    "restore", RESTORE, key, now(), value=records.get(state_path(key), (None, None))[0]
                )
                for key in self.config.key_names
            ]
            try:
                resp = http.request("PUT", api + SNAPSHOT, body=data, timeout=urllib3.Timeout(connect=1.0, read=60.0))
                status = resp.status
            except urllib3.exceptions.HTTPError as exc:
                status, resp = 0, None
                note = type(exc).__name__
            finished = now()
            if status == 200:
                for op in ops:
                    self.run.history.ok(op, finished)
                self.run.snapshot["restored"] = {"seconds": finished - ops[0].invoke, "attempt": attempt + 1}
                return True
            note = f"{status} {resp.data[:200]!r}" if resp is not None else note
            self.run.snapshot.setdefault("restore_errors", []).append(note)
            for op in ops:
                if 400 <= status < 500:
                    self.run.history.fail(op, finished, note=note)
                else:
                    self.run.history.info(op, note)
            time.sleep(1.0)
        return False

    def snapshot_task(self, phase: float) -> None:
        http = urllib3.PoolManager(retries=False)
        if self.stop.wait(phase * self.config.snapshot_at):
            return
        data = self.save(http)
        if data is None:
            return
        # A variable written after the save: the restore must remove it.
        self.put_marker(http, f"{STATIC_PREFIX}after-save", "must-vanish")
        if self.stop.wait(phase * (self.config.restore_at - self.config.snapshot_at)):
            return
        self.restore(http, data)

    def put_marker(self, http: urllib3.PoolManager, path: str, value: str) -> None:
        for attempt in range(20):
            try:
                resp = http.request(
                    "PUT", var_url(self.apis[attempt % 3], path), json={"Items": {"v": value}}, timeout=TIMEOUT
                )
                if resp.status == 200:
                    return
            except urllib3.exceptions.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"could not write {path}")

    # -- the whole run ------------------------------------------------------------------------------
    def execute(self) -> Run:
        cfg = self.config
        seed_http = urllib3.PoolManager(retries=False)
        for i in range(3):
            self.put_marker(seed_http, f"{STATIC_PREFIX}m{i}", f"static-{i}")
        fault_phase = cfg.faults * (sum(cfg.fault_down) / 2 + cfg.fault_gap + 2.0)  # the expected fault loop time
        clients = [threading.Thread(target=self.client, args=(i,), name=f"client-{i}") for i in range(cfg.clients)]
        helpers = [
            threading.Thread(target=self.transfer_loop, name="transfers"),
            threading.Thread(target=self.snapshot_task, args=(fault_phase,), name="snapshot"),
        ]
        for t in clients + helpers:
            t.start()
        try:
            self.fault_loop()
            # Let the clients run a little on a healed cluster, then stop everything.
            self.stop.wait(3.0)
        finally:
            self.stop.set()
            for t in clients + helpers:
                t.join(timeout=90)
        return self.run


def classify_error(hist: History, op: Op, resp: urllib3.BaseHTTPResponse) -> None:
    text = resp.data[:200].decode(errors="replace")
    if resp.status >= 500:
        hist.info(op, f"{resp.status} {text}")
    else:
        hist.fail(op, now(), note=f"{resp.status} {text}")


def snapshot_records(data: bytes) -> dict[str, tuple[str | None, int]]:
    """state path -> (Items["v"], ModifyIndex) of every variable in an archive (checked as the server checks it)."""
    with archive.verify(archive.file_chunks(io.BytesIO(data))) as verified:
        out = {}
        for record in verified.records():
            if record.path.startswith("vars/"):
                items = json.loads(record.value).get("Items") or {}
                out[record.path] = (items.get("v"), record.modify_index)
        return out


def final_values(
    cluster: LocalCluster, keys: list[str], attempts: int = 40
) -> tuple[dict[str, tuple[str | None, int | None]], list[str]]:
    """Each key as every agent reads it once the faults are over; (values from agent 1, disagreements)."""
    http = urllib3.PoolManager(retries=False, timeout=TIMEOUT)
    final: dict[str, tuple[str | None, int | None]] = {}
    disagreements = []
    for key in keys:
        seen = []
        for node in cluster.nodes:
            for _ in range(attempts):
                try:
                    resp = http.request("GET", var_url(node.api, key))
                    if resp.status == 200:
                        body = resp.json()
                        seen.append((body["Items"]["v"], body["ModifyIndex"]))
                        break
                    if resp.status == 404:
                        seen.append((None, None))
                        break
                except urllib3.exceptions.HTTPError:
                    pass
                time.sleep(0.5)
            else:
                raise RuntimeError(f"{node.name} could not read {key} after the faults")
        final[key] = seen[0]
        if len(set(seen)) != 1:
            disagreements.append(f"{key}: agents read {seen}")
    return final, disagreements


def read_static(cluster: LocalCluster, path: str) -> str | None:
    http = urllib3.PoolManager(retries=False, timeout=TIMEOUT)
    for attempt in range(20):
        try:
            resp = http.request("GET", var_url(cluster.nodes[attempt % 3].api, path))
            if resp.status == 200:
                return resp.json()["Items"]["v"]
            if resp.status == 404:
                return None
        except urllib3.exceptions.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"could not read {path}")
