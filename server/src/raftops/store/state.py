"""The replicated state of raftops, kept in etcd under one versioned prefix.

Key layout (schema 1)::

    /raftops/v1/cluster/generation          -> current data generation (e.g. "1")
    /raftops/v1/cluster/servers/<uuid>       -> registration of one raftops server (JSON)
    /raftops/v1/cluster/generation-seq       -> the last generation number a restore took (never reused)
    /raftops/v1/cluster/restores/<gen>       -> "a restore is writing <gen>", on that restore's lease
    /raftops/v1/data/<generation>/<path>     -> the state that snapshots save and restore
    /raftops-ephemeral/v1/...                -> liveness keys on leases, elections: never state

Why generations: etcd restores snapshots only offline, so an online restore writes the
archive under a fresh generation and then flips the pointer in one txn. Every read here
resolves the pointer in the same txn as the data, and every write compares the pointer's
mod_revision, so nothing is read from or written into a retired generation: a reader sees
the old state or the new state, never a mix.

``create_index``/``modify_index`` are etcd revisions, which only grow, so CAS clients stay
correct across a restore (the restored keys are rewritten at new revisions).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from . import generations
from .etcd import Etcd, KeyValue
from .gateway import EtcdError, prefix_end
from .keys import ALIVE, CLUSTER, DATA, ELECTIONS, EPHEMERAL, POINTER, ROOT, SCHEMA_VERSION, SERVERS, TOUCHED  # noqa: F401 - re-exported
from .txn import cmp_create, cmp_mod, op_delete, op_get, op_put

_MAX_POINTER_RETRIES = 5
_PAGE_TIMEOUT = 30.0  # one snapshot page can take seconds to marshal on a busy member


class StateError(Exception):
    """The state could not be read or written consistently."""


@dataclass(frozen=True)
class Generation:
    name: str
    mod_revision: int

    @property
    def prefix(self) -> bytes:
        return DATA + self.name.encode() + b"/"


@dataclass(frozen=True)
class Item:
    path: str
    value: bytes
    create_index: int
    modify_index: int


@dataclass(frozen=True)
class WriteResult:
    succeeded: bool
    index: int  # revision after the txn (the raft-index analogue Nomad returns)
    current: Item | None = None  # the item as it is when a CAS failed


@dataclass(frozen=True)
class Condition:
    """A CAS guard on a state path: ``modify_index == 0`` means "must not exist"."""

    path: str
    modify_index: int


@dataclass(frozen=True)
class Write:
    path: str
    value: bytes | None  # None deletes
    prefix: bool = False  # with value None: delete every path under ``path``


class StateStore:
    """Generation-aware access to raftops state: the one door every API goes through."""

    def __init__(self, etcd: Etcd):
        self.etcd = etcd
        self._gen: Generation | None = None
        self._lock = threading.Lock()

    # -- generation pointer -----------------------------------------------------------------
    def generation(self, *, refresh: bool = False) -> Generation:
        with self._lock:
            if self._gen is not None and not refresh:
                return self._gen
        kv = self.etcd.get(POINTER)
        if kv is None:
            # First use of this cluster: create generation 1 unless someone beat us to it.
            res = self.etcd.txn([cmp_create(POINTER, 0)], [op_put(POINTER, b"1")], [op_get(POINTER)])
            if res.succeeded:
                gen = Generation("1", res.revision)
            else:
                current = res.ranges()[0][0]
                gen = Generation(current.value.decode(), current.mod_revision)
        else:
            gen = Generation(kv.value.decode(), kv.mod_revision)
        with self._lock:
            self._gen = gen
        return gen

    def _adopt(self, kvs: list[KeyValue]) -> None:
        if not kvs:
            raise StateError("the state generation pointer is missing; the keyspace was modified outside raftops")
        kv = kvs[0]
        with self._lock:
            self._gen = Generation(kv.value.decode(), kv.mod_revision)

    def key(self, path: str, gen: Generation | None = None) -> bytes:
        if not path or path.startswith("/"):
            raise ValueError(f"invalid state path {path!r}")
        return (gen or self.generation()).prefix + path.encode()

    # -- reads ----------------------------------------------------------------------------------
    def get(self, path: str) -> Item | None:
        items = self._read(path, prefix=False)[1]
        return items[0] if items else None

    def list(self, prefix: str) -> tuple[int, list[Item]]:
        """(revision, items under ``prefix``) read atomically with the generation pointer."""
        return self._read(prefix, prefix=True)

    def _read(self, path: str, *, prefix: bool) -> tuple[int, list[Item]]:
        for _ in range(_MAX_POINTER_RETRIES):
            gen = self.generation()
            res = self.etcd.txn(
                [cmp_mod(POINTER, gen.mod_revision)], [op_get(self.key(path, gen), prefix=prefix)], [op_get(POINTER)]
            )
            if res.succeeded:
                return res.revision, [self._item(gen, kv) for kv in res.ranges()[0]]
            self._adopt(res.ranges()[0])
        raise StateError("the state generation kept changing while reading; try again")

    def read_many(self, reads: list[tuple[str, bool]]) -> tuple[int, list[list[Item]]]:
        """Several paths (``(path, prefix)``) read in one txn, at one revision."""
        for _ in range(_MAX_POINTER_RETRIES):
            gen = self.generation()
            ops = [op_get(self.key(path, gen), prefix=prefix) for path, prefix in reads]
            res = self.etcd.txn([cmp_mod(POINTER, gen.mod_revision)], ops, [op_get(POINTER)])
            if res.succeeded:
                return res.revision, [[self._item(gen, kv) for kv in kvs] for kvs in res.ranges()]
            self._adopt(res.ranges()[0])
        raise StateError("the state generation kept changing while reading; try again")

    def read_if_changed(
        self, conditions: list[Condition], reads: list[tuple[str, bool]]
    ) -> tuple[bool, int, list[list[Item]]]:
        """One txn: (True, revision, []) when every condition still holds, else (False, revision, ``reads``).

        Lets a cache revalidate its entries with a single request and reload them in the same one.
        """
        for _ in range(_MAX_POINTER_RETRIES):
            gen = self.generation()
            compare = [cmp_mod(POINTER, gen.mod_revision)]
            compare += [cmp for c in conditions for cmp in _index_compare(self.key(c.path, gen), c.modify_index, gen)]
            failure = [op_get(POINTER)] + [op_get(self.key(path, gen), prefix=prefix) for path, prefix in reads]
            res = self.etcd.txn(compare, [], failure)
            if res.succeeded:
                return True, res.revision, []
            ranges = res.ranges()
            if not ranges[0] or ranges[0][0].mod_revision != gen.mod_revision:
                self._adopt(ranges[0])
                continue
            return False, res.revision, [[self._item(gen, kv) for kv in kvs] for kvs in ranges[1:]]
        raise StateError("the state generation kept changing while reading; try again")

    def iter_all(self, *, page: int = 1000, serializable: bool = False) -> tuple[Generation, int, Iterator[Item]]:
        """Every state item at one pinned revision, paginated: for snapshots."""
        gen, rev, pages = self.iter_pages(page=page, serializable=serializable)
        return gen, rev, (item for items in pages for item in items)

    def iter_pages(
        self, *, page: int = 1000, serializable: bool = False
    ) -> tuple[Generation, int, Iterator[list[Item]]]:
        """(generation, revision, pages of items) of the whole state at one pinned revision.

        The pointer and the revision come from the same range response, so the generation read
        is the one that was current at that revision even if a restore flips the pointer
        meanwhile; every page is read at that revision. ``serializable`` reads the answering
        member's copy without a quorum round trip (Nomad's ``?stale``).
        """
        res = self.etcd.range(POINTER, serializable=serializable)
        if not res.kvs:
            self.generation()  # first use of this cluster: creates generation 1
            res = self.etcd.range(POINTER, serializable=serializable)
        if not res.kvs:
            raise StateError("the state generation pointer is missing; the keyspace was modified outside raftops")
        gen = Generation(res.kvs[0].value.decode(), res.kvs[0].mod_revision)
        return gen, res.revision, self._pages(gen, res.revision, page, serializable)

    def _pages(self, gen: Generation, revision: int, page: int, serializable: bool) -> Iterator[list[Item]]:
        start, end = gen.prefix, prefix_end(gen.prefix)
        while True:
            res = self.etcd.range(
                start, range_end=end, revision=revision, limit=page, serializable=serializable, timeout=_PAGE_TIMEOUT
            )
            if res.kvs:
                yield [self._item(gen, kv) for kv in res.kvs]
            if not res.more or not res.kvs:
                return
            start = res.kvs[-1].key + b"\x00"

    # -- restore (raftops/store/generations.py) ------------------------------------------------
    def adopt_generation(self, name: str, mod_revision: int) -> None:
        """Use ``name`` from now on (after this agent flipped the pointer itself)."""
        with self._lock:
            self._gen = Generation(name, mod_revision)

    def restore(self, records: Iterable[Any], *, workers: int | None = None) -> Any:
        """Replace the whole state by ``records`` (objects with ``path`` and ``value``) atomically.

        Written under a new generation, then one pointer flip; see generations.py.
        """
        if workers is None:
            return generations.restore(self, records)
        return generations.restore(self, records, workers=workers)

    def collect_garbage(self) -> list[str]:
        """Delete generations left behind by crashed restores; returns their names."""
        return generations.collect_garbage(self)

    @staticmethod
    def _item(gen: Generation, kv: KeyValue) -> Item:
        # Items a restore wrote before flipping the pointer become visible at the flip: they report
        # the flip's revision, so indexes never go backwards across a restore.
        floor = gen.mod_revision
        return Item(
            kv.key[len(gen.prefix) :].decode(), kv.value, max(kv.create_revision, floor), max(kv.mod_revision, floor)
        )

    # -- writes ---------------------------------------------------------------------------------
    def put(self, path: str, value: bytes, *, cas: int | None = None) -> WriteResult:
        """Write one item; with ``cas`` only if its modify index still equals it (0: absent)."""
        conds = [Condition(path, cas)] if cas is not None else []
        return self.commit(conds, [Write(path, value)], read_back=path)

    def delete(self, path: str, *, cas: int | None = None, prefix: bool = False) -> WriteResult:
        conds = [Condition(path, cas)] if cas is not None else []
        return self.commit(conds, [Write(path, None, prefix=prefix)], read_back=None if prefix else path)

    def commit(self, conditions: list[Condition], writes: list[Write], *, read_back: str | None = None) -> WriteResult:
        """Apply ``writes`` in one etcd txn if every condition holds.

        The txn also compares the generation pointer, so a restore in between makes us retry
        against the new generation instead of writing into the old one. When a condition
        fails, ``current`` holds the item named by ``read_back`` as it is now.
        """
        for _ in range(_MAX_POINTER_RETRIES):
            gen = self.generation()
            compare = [cmp_mod(POINTER, gen.mod_revision)]
            compare += [cmp for c in conditions for cmp in _index_compare(self.key(c.path, gen), c.modify_index, gen)]
            success = [
                op_put(self.key(w.path, gen), w.value)
                if w.value is not None
                else op_delete(self.key(w.path, gen), prefix=w.prefix)
                for w in writes
            ]
            success.append(op_put(TOUCHED, gen.name.encode()))
            failure = [op_get(POINTER)]
            if read_back is not None:
                failure.append(op_get(self.key(read_back, gen)))
            # Never re-sent to another member: if etcd applied it and the answer was lost, a
            # re-send would fail its own compare (or write twice). The caller sees an error instead.
            res = self.etcd.txn(compare, success, failure, retry=False)
            if res.succeeded:
                return WriteResult(True, res.revision)
            ranges = res.ranges()
            pointer = ranges[0]
            if not pointer or pointer[0].mod_revision != gen.mod_revision:
                self._adopt(pointer)
                continue
            current = None
            if read_back is not None and ranges[1]:
                current = self._item(gen, ranges[1][0])
            return WriteResult(False, res.revision, current)
        raise StateError("the state generation kept changing while writing; try again")

    # -- cluster metadata (outside generations: it describes the cluster, not its data) -------
    def cluster_get(self, name: bytes) -> KeyValue | None:
        return self.etcd.get(CLUSTER + name)

    def cluster_list(self, name: bytes) -> list[KeyValue]:
        return self.etcd.range(CLUSTER + name, prefix=True).kvs

    def cluster_put(self, name: bytes, value: bytes) -> int:
        return self.etcd.put(CLUSTER + name, value)

    def cluster_cas(self, name: bytes, value: bytes, mod_revision: int) -> bool:
        """Put ``value`` if the key's mod revision is still ``mod_revision`` (0: if it does not exist)."""
        key = CLUSTER + name
        return self.etcd.txn([cmp_mod(key, mod_revision)], [op_put(key, value)]).succeeded

    def etcd_revision(self) -> int:
        """etcd's current revision (the header of a one-key read): what a write that did nothing reports."""
        return self.etcd.range(POINTER).revision

    def head(self) -> tuple[int, str]:
        """(state revision, current generation name) in one read (see :func:`state_head`)."""
        return state_head(self.etcd)

    def state_revision(self) -> int:
        """The revision of the last write to the replicated state (deletes included).

        Ephemeral keys (liveness, elections) never touch it, so an idle cluster's state
        revision stays still, which lets backups skip unchanged state.
        """
        kv = self.etcd.get(TOUCHED)
        return kv.mod_revision if kv else 0


def state_head(etcd: Etcd) -> tuple[int, str]:
    """(state revision, current generation name) in one read: what ``/v1/raftops/state`` reports."""
    touched, pointer = etcd.txn([], [op_get(TOUCHED), op_get(POINTER)]).ranges()
    return (touched[0].mod_revision if touched else 0), (pointer[0].value.decode() if pointer else "")


def _index_compare(key: bytes, modify_index: int, gen: Generation) -> list[dict[str, Any]]:
    """The etcd compares for "the item's reported modify index is still ``modify_index``"."""
    if modify_index and modify_index == gen.mod_revision:
        # Reported as the flip revision: unchanged since the restore wrote it, and present.
        return [cmp_mod(key, gen.mod_revision, "LESS"), cmp_create(key, 0, "GREATER")]
    if 0 < modify_index < gen.mod_revision:
        # No item of this generation reports an index below the flip: such a CAS must fail.
        return [cmp_mod(key, modify_index), cmp_mod(key, gen.mod_revision, "GREATER")]
    return [cmp_mod(key, modify_index)]


def json_item(item: Item | None) -> dict[str, Any] | None:
    import json

    return None if item is None else json.loads(item.value)


__all__ = [
    "ALIVE",
    "CLUSTER",
    "DATA",
    "ELECTIONS",
    "EPHEMERAL",
    "POINTER",
    "ROOT",
    "SCHEMA_VERSION",
    "SERVERS",
    "TOUCHED",
    "Condition",
    "EtcdError",
    "Generation",
    "Item",
    "StateError",
    "StateStore",
    "Write",
    "WriteResult",
    "json_item",
    "state_head",
]
