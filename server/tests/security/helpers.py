"""Shared pieces of the attacker-style tests: a real cluster with ACLs on, raw HTTP, and a view of etcd
that tells whether an answer left state behind."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from raftops.localcluster import LocalCluster
from raftops.store.etcd import Etcd
from raftops.store.state import CLUSTER, ROOT, TOUCHED

from ..conftest import next_hosts

TIMEOUT = 30
SM = "/_plugins/_sm/policies"
CLOCK = "/_plugins/_sm/_test/clock"
CHANNELS = "/_plugins/_notifications/configs"


def license_key_pem() -> str:
    key = Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@dataclass
class Target:
    """A running cluster, its management token and a direct etcd client (to see what a request wrote)."""

    cluster: LocalCluster
    token: str
    etcd: Etcd

    @property
    def api(self) -> str:
        return self.cluster.nodes[0].api

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        data: bytes | str | None = None,
        params: dict[str, Any] | str | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = TIMEOUT,
    ) -> requests.Response:
        """One request; ``path`` is sent as it is (percent-escapes included), never re-encoded."""
        sent = dict(headers or {})
        sent.setdefault("X-Nomad-Token", self.token if token is None else token)
        if body is not None:
            data = json.dumps(body)
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        if isinstance(params, dict):
            params = "&".join(f"{k}={v}" for k, v in params.items())
        url = self.api + path + (f"?{params}" if params else "")
        req = requests.Request(method, url, data=data, headers=sent).prepare()
        req.url = url  # requests would re-quote the path and the query; the attacker's bytes go as they are
        with requests.Session() as s:
            return s.send(req, timeout=timeout)

    def ok(self, method: str, path: str, body: Any = None, status: int = 200, **kw: Any) -> Any:
        resp = self.request(method, path, body=body, **kw)
        assert resp.status_code == status, f"{method} {path}: {resp.status_code} {resp.text[:500]}"
        return resp.json() if resp.content else None

    # -- what a request wrote --------------------------------------------------------------------------
    def state_keys(self) -> dict[bytes, int]:
        """Every replicated key (data generations and cluster metadata) with its mod revision.

        Left out: the key every state txn rewrites (it only says "something changed") and the SM
        executor's own metadata, which the duty holder writes on its schedule, not on a request.
        """
        out = {}
        for kv in self.etcd.range(ROOT, prefix=True, keys_only=True).kvs:
            if kv.key == TOUCHED or b"/sm/metadata/" in kv.key:
                continue
            out[kv.key] = kv.mod_revision
        return out


def changed(before: dict[bytes, int], after: dict[bytes, int]) -> list[str]:
    keys = set(before) | set(after)
    return sorted(k.decode(errors="replace") for k in keys if before.get(k) != after.get(k))


def bootstrap(api: str) -> str:
    deadline = time.monotonic() + 30
    while True:
        resp = requests.put(f"{api}/v1/acl/bootstrap", timeout=TIMEOUT)
        if resp.status_code == 200:
            return resp.json()["SecretID"]
        if time.monotonic() > deadline:
            raise AssertionError(f"bootstrap: {resp.status_code} {resp.text}")
        time.sleep(0.5)


@contextlib.contextmanager
def running(
    root: Path, name: str, config: dict[str, Any] | None = None, *, servers: int = 1, umask: int | None = None
) -> Iterator[Target]:
    """A cluster with ACLs on (management token bootstrapped); ``umask``: the agents' process umask."""
    agent_config = {"acl": {"enabled": True}, **(config or {})}
    cluster = LocalCluster(root / name, next_hosts(servers), token=f"raftops-{name}", agent_config=agent_config)
    old = os.umask(umask) if umask is not None else None
    try:
        cluster.up(timeout=90)
    finally:
        if old is not None:
            os.umask(old)
    etcd = Etcd([n.etcd.client_url for n in cluster.nodes])
    try:
        yield Target(cluster, bootstrap(cluster.nodes[0].api), etcd)
    finally:
        etcd.close()
        cluster.destroy()


# -- the SM executor, driven by the test clock -----------------------------------------------------------
def wait_until(probe: Any, timeout: float = 30, interval: float = 0.2, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what} not reached within {timeout}s; last: {last!r}")


def explain(t: Target, name: str) -> dict[str, Any]:
    return t.ok("GET", f"{SM}/{name}/_explain")["policies"][0]


def run_creation(t: Target, name: str) -> int:
    """Move the shared SM clock past the policy's next creation and wait until that run finished."""
    md = wait_until(lambda: (e := explain(t, name)) and "creation" in e and e, 30, what=f"{name} metadata")
    now = t.ok("GET", CLOCK)["now"]
    target = md["creation"]["trigger"]["time"]
    now = t.ok("POST", CLOCK, {"advance": max(0, target - now) + 500})["now"]

    def done() -> bool:
        wf = explain(t, name)["creation"]
        latest = wf.get("latest_execution") or {}
        return (
            wf["trigger"]["time"] > now
            and wf["current_state"] == "CREATION_START"
            and latest.get("status") not in (None, "IN_PROGRESS", "RETRYING")
        )

    wait_until(done, 60, what=f"{name} creation at {now}")
    return now


def error_type(resp: requests.Response) -> str:
    try:
        return resp.json()["error"]["type"]
    except (ValueError, KeyError, TypeError):
        return ""


def reason(resp: requests.Response) -> str:
    try:
        return resp.json()["error"]["reason"]
    except (ValueError, KeyError, TypeError):
        return ""


__all__ = [
    "CHANNELS",
    "CLOCK",
    "CLUSTER",
    "SM",
    "Target",
    "bootstrap",
    "changed",
    "error_type",
    "license_key_pem",
    "reason",
    "run_creation",
    "running",
    "wait_until",
]
