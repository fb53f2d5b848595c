"""Online restore by data generation, and the clean-up of generations nobody uses.

A restore never touches the live generation until its last step:

1. **Allocate** a new generation number in one txn that bumps ``cluster/generation-seq`` (so
   numbers are never reused) and creates the marker ``cluster/restores/<gen>`` on a lease the
   restore keeps alive. The marker says "a restore is writing this generation".
2. **Write** every item under ``data/<gen>/`` in txns of at most 128 operations and 1 MiB of
   payload (etcd refuses more than 128 ops and requests over 1.5 MiB), several in flight. Each
   txn compares the marker's create revision, so if the marker is gone (lease lost, clean-up)
   nothing more lands in the abandoned generation.
3. **Flip** the pointer in one txn that compares the pointer's mod revision as read at step 1
   and the marker; it also rewrites ``state-touched`` (the state revision moves) and deletes the
   marker. If the pointer moved, another restore won: ours is abandoned and cleaned up.
4. **Delete** the old generation (one delete-range txn guarded by "the pointer is not it").

Readers and writers compare the pointer in every txn (state.py), so they see the old state or
the new one, never a mix. Whatever a crashed restore leaves behind (a generation that is not
current and has no marker) is removed by :func:`collect_garbage`, which the duty holder runs.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .etcd import MAX_TXN_OPS
from .gateway import EtcdError, prefix_end
from .keys import CLUSTER, DATA, POINTER, TOUCHED
from .txn import cmp_create, cmp_mod, cmp_value, op_delete, op_get, op_put

if TYPE_CHECKING:  # state.py calls this module; it only reads a StateStore
    from .state import StateStore

log = logging.getLogger(__name__)

MAX_TXN_PAYLOAD = 1024 * 1024  # key+value bytes per txn; etcd's request limit is 1.5 MiB
RESTORE_WORKERS = 4  # txns in flight: the gateway is latency-bound, 4 roughly halves a 50 MB restore
RESTORE_LEASE_TTL = 30
BULK_TIMEOUT = 30.0  # seconds for one bulk txn (1 MiB, or a delete of a whole generation) on a busy cluster
MAX_GENERATIONS_SCANNED = 64


class RestoreError(Exception):
    """The restore could not complete; the live state is unchanged."""


class Record(Protocol):
    path: str
    value: bytes


@dataclass(frozen=True)
class RestoreResult:
    generation: str
    previous: str
    index: int  # revision of the pointer flip: every restored item's index is at most this
    items: int
    payload_bytes: int
    txns: int
    old_generation_deleted: bool


RESTORES = CLUSTER + b"restores/"  # in-progress restore markers, on the restore's lease
GENERATION_SEQ = CLUSTER + b"generation-seq"  # the last generation number handed out


def _number(raw: bytes | str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


class _Lease:
    """A lease kept alive from a thread for as long as the restore runs."""

    def __init__(self, store: StateStore, ttl: int):
        self.etcd = store.etcd
        self.id = self.etcd.lease_grant(ttl)
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(max(ttl / 3.0, 0.5),), daemon=True, name="restore")
        self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                if self.etcd.lease_keepalive(self.id) <= 0:
                    self.lost.set()
                    return
            except EtcdError as exc:
                log.warning("restore lease keepalive failed: %s", exc)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            self.etcd.lease_revoke(self.id)
        except EtcdError as exc:
            log.info("could not revoke the restore lease: %s", exc)


def _allocate(store: StateStore, lease_id: int) -> tuple[str, int, str, int]:
    """(new generation, marker create revision, current generation, pointer mod revision)."""
    seq_key = GENERATION_SEQ
    for _ in range(10):
        current = store.generation(refresh=True)
        seq = store.etcd.get(seq_key)
        seq_mod = seq.mod_revision if seq else 0
        number = max(_number(seq.value) if seq else 0, _number(current.name)) + 1
        name = str(number)
        marker = RESTORES + name.encode()
        record = json.dumps({"Generation": name, "Previous": current.name, "Started": int(time.time())})
        res = store.etcd.txn(
            [cmp_mod(seq_key, seq_mod), cmp_mod(POINTER, current.mod_revision)],
            [op_put(seq_key, name.encode()), op_put(marker, record.encode(), lease=lease_id)],
        )
        if res.succeeded:
            return name, res.revision, current.name, current.mod_revision
    raise RestoreError("could not allocate a new state generation: the cluster kept changing")


def _batches(records: Iterable[Record], prefix: bytes) -> Iterator[tuple[list[dict], int, int]]:
    """(put ops, item count, payload bytes) groups within the txn limits."""
    ops: list[dict] = []
    payload = 0
    for record in records:
        key = prefix + record.path.encode()
        size = len(key) + len(record.value)
        if size > MAX_TXN_PAYLOAD:
            raise RestoreError(f"item {record.path!r} is {size} bytes, over the {MAX_TXN_PAYLOAD} bytes etcd accepts")
        if ops and (len(ops) >= MAX_TXN_OPS or payload + size > MAX_TXN_PAYLOAD):
            yield ops, len(ops), payload
            ops, payload = [], 0
        ops.append(op_put(key, record.value))
        payload += size
    if ops:
        yield ops, len(ops), payload


def _write_generation(
    store: StateStore, records: Iterable[Record], prefix: bytes, marker: bytes, marker_rev: int, workers: int
) -> tuple[int, int, int]:
    """Write every record under ``prefix``; returns (items, payload bytes, txns)."""
    guard = [cmp_create(marker, marker_rev)]
    items = payload = txns = 0

    def put(ops: list[dict]) -> None:
        # Safe to repeat: the puts are idempotent and the marker guards the generation.
        if not store.etcd.txn(guard, ops, retry=True, timeout=BULK_TIMEOUT).succeeded:
            raise RestoreError("the restore marker vanished (its lease expired); the restore was abandoned")

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="restore-write") as pool:
        pending: set[Future] = set()
        for ops, count, size in _batches(records, prefix):
            if len(pending) >= workers * 2:  # bound the batches held in memory
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for f in done:
                    f.result()
            pending.add(pool.submit(put, ops))
            items, payload, txns = items + count, payload + size, txns + 1
        for f in wait(pending).done:
            f.result()
    return items, payload, txns


def _flip(store: StateStore, name: str, pointer_mod: int, marker: bytes, marker_rev: int) -> int:
    """Point the state at generation ``name`` in one txn; returns the revision of the flip."""
    try:
        res = store.etcd.txn(
            [cmp_mod(POINTER, pointer_mod), cmp_create(marker, marker_rev)],
            [op_put(POINTER, name.encode()), op_put(TOUCHED, name.encode()), op_delete(marker)],
            [op_get(POINTER), op_get(marker)],
            timeout=BULK_TIMEOUT,
        )
    except EtcdError:
        # The answer may be lost after the flip applied (a leader change): look before failing.
        current = store.etcd.get(POINTER)
        if current is not None and current.value == name.encode():
            return current.mod_revision
        raise
    if res.succeeded:
        return res.revision
    now = res.ranges()[0]
    if now and now[0].value == name.encode():
        return now[0].mod_revision  # applied, answer lost, and the retry found the pointer already moved
    if not now or now[0].mod_revision != pointer_mod:
        raise RestoreError("another restore replaced the state meanwhile; this restore was abandoned")
    raise RestoreError("the restore marker vanished (its lease expired); the restore was abandoned")


def _delete_generation(store: StateStore, name: str) -> bool:
    """Delete ``data/<name>/`` unless it is current or a restore is writing it (one txn)."""
    marker = RESTORES + name.encode()
    res = store.etcd.txn(
        [cmp_value(POINTER, name.encode(), "NOT_EQUAL"), cmp_create(marker, 0)],
        [op_delete(DATA + name.encode() + b"/", prefix=True)],
        retry=True,
        timeout=BULK_TIMEOUT,
    )
    return res.succeeded


def restore(store: StateStore, records: Iterable[Record], *, workers: int = RESTORE_WORKERS) -> RestoreResult:
    """Replace the whole state by ``records`` atomically (see the module docstring)."""
    lease = _Lease(store, RESTORE_LEASE_TTL)
    name = ""
    flipped = False
    try:
        name, marker_rev, previous, pointer_mod = _allocate(store, lease.id)
        marker = RESTORES + name.encode()
        prefix = DATA + name.encode() + b"/"
        items, payload, txns = _write_generation(store, records, prefix, marker, marker_rev, workers)
        flip_revision = _flip(store, name, pointer_mod, marker, marker_rev)
        flipped = True
        store.adopt_generation(name, flip_revision)
        deleted = False
        try:
            deleted = _delete_generation(store, previous)
        except EtcdError as exc:  # the duty holder's collect_garbage finishes it
            log.warning("could not delete the old state generation %s yet: %s", previous, exc)
        return RestoreResult(name, previous, flip_revision, items, payload, txns, deleted)
    finally:
        lease.close()  # drops the marker if the flip did not
        if name and not flipped:
            try:
                _delete_generation(store, name)
            except EtcdError as exc:
                log.warning("could not clean up the abandoned generation %s: %s", name, exc)


def generations_present(store: StateStore) -> list[str]:
    """Names of the generations that have data, one keys-only range per generation."""
    names: list[str] = []
    start = DATA
    end = prefix_end(DATA)
    for _ in range(MAX_GENERATIONS_SCANNED):
        kvs = store.etcd.range(start, range_end=end, limit=1, keys_only=True).kvs
        if not kvs:
            break
        name = kvs[0].key[len(DATA) :].split(b"/", 1)[0]
        names.append(name.decode(errors="replace"))
        start = prefix_end(DATA + name + b"/")
    return names


def collect_garbage(store: StateStore) -> list[str]:
    """Delete generations that are neither current nor being written by a restore.

    Safe against a concurrent restore: its marker exists from before its first write until
    after its flip, generation numbers are never reused, and the delete re-checks both the
    pointer and the marker in its own txn. Reads only when there is nothing to do.
    """
    kv = store.etcd.get(POINTER)
    if kv is None:
        return []
    current = kv.value.decode()
    writing = {k.key[len(RESTORES) :].decode() for k in store.etcd.range(RESTORES, prefix=True, keys_only=True).kvs}
    deleted = []
    for name in generations_present(store):
        if name != current and name not in writing and _delete_generation(store, name):
            log.info("deleted state generation %s left behind by an earlier restore", name)
            deleted.append(name)
    return deleted
