"""Liveness on etcd leases: a heartbeat key per agent and the once-per-cluster election.

Nothing here writes periodically: liveness is kept by lease keepalives, which do not move
the KV revision, so an idle cluster's revision stays still.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from .etcd import Etcd
from .gateway import EtcdError
from .keys import ELECTIONS
from .txn import cmp_create, cmp_value, op_get, op_put

log = logging.getLogger(__name__)


class LeaseKeeper:
    """Holds one lease with keys attached, renewing it every ttl/3 from a daemon thread.

    When the lease is lost (etcd unreachable longer than the TTL), a new lease is granted
    and ``on_new_lease`` re-attaches the keys, so liveness comes back by itself.
    """

    def __init__(self, etcd: Etcd, ttl: int, on_new_lease: Callable[[int], None], name: str = "lease"):
        self.etcd = etcd
        self.ttl = ttl
        self._on_new_lease = on_new_lease
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lease_id = 0
        self.name = name
        self.healthy = threading.Event()

    def start(self) -> None:
        self._acquire()
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-keepalive", daemon=True)
        self._thread.start()

    def _acquire(self) -> None:
        self.lease_id = self.etcd.lease_grant(self.ttl)
        self._on_new_lease(self.lease_id)
        self.healthy.set()

    def _run(self) -> None:
        interval = max(self.ttl / 3.0, 0.5)
        while not self._stop.wait(interval):
            try:
                if self.lease_id and self.etcd.lease_keepalive(self.lease_id) > 0:
                    self.healthy.set()
                    continue
                log.warning("%s %x expired; granting a new one", self.name, self.lease_id)
                self.healthy.clear()
                self._acquire()
            except EtcdError as exc:
                self.healthy.clear()
                log.warning("%s keepalive failed: %s", self.name, exc)

    def stop(self, *, revoke: bool = True) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if revoke and self.lease_id:
            try:
                self.etcd.lease_revoke(self.lease_id)
            except EtcdError as exc:
                log.info("could not revoke %s: %s", self.name, exc)


class Election:
    """Once-per-cluster duties go to the agent whose lease holds the election key.

    Campaigning is one txn "create the key if absent, attached to my lease"; the key
    disappears with the holder's lease, and the next campaign wins it. No periodic writes.
    """

    def __init__(self, etcd: Etcd, key: bytes, identity: bytes):
        self.etcd = etcd
        self.key = key
        self.identity = identity

    def campaign(self, lease_id: int) -> bool:
        """Try to become (or confirm being) the holder; returns whether we hold it."""
        res = self.etcd.txn(
            [cmp_create(self.key, 0)], [op_put(self.key, self.identity, lease=lease_id)], [op_get(self.key)]
        )
        if res.succeeded:
            return True
        kvs = res.ranges()[0]
        return bool(kvs) and kvs[0].value == self.identity and kvs[0].lease == lease_id

    def holder(self) -> bytes | None:
        kv = self.etcd.get(self.key)
        return kv.value if kv else None

    def resign(self) -> None:
        from .txn import op_delete

        self.etcd.txn([cmp_value(self.key, self.identity)], [op_delete(self.key)], retry=True)


def cluster_duties_election(etcd: Etcd, identity: bytes) -> Election:
    """The election of the agent that runs the once-per-cluster duties (one key for the whole cluster)."""
    return Election(etcd, ELECTIONS + b"cluster-duties", identity)
