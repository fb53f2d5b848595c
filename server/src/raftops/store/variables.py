"""Nomad variables in etcd: every read and every write is one etcd request.

A variable is the state path ``vars/<namespace>/<path>`` (its value, encoded by raftops.variables) and
a sibling ``ctime/vars/<namespace>/<path>`` holding its CreateTime (Unix nanoseconds, decimal),
written only when the variable is created. The sibling is what makes a write one round trip: an
update must keep CreateTime, and etcd cannot copy part of an old value into a new one, but it keeps
``create_revision`` (CreateIndex) itself, so with CreateTime in a key that an update never touches,
the txn only needs compares:

* plain write: "the variable and its sibling exist" puts the value and ranges both back (an update);
  otherwise a nested txn "the variable does not exist" puts the value and the sibling (a create);
* CAS write: "ModifyIndex is still ``cas``" (``cas=0``: "does not exist") puts; the failure branch
  ranges the variable as it is, for the 409;
* delete: "exists" (or "ModifyIndex is ``cas``") deletes both keys; nothing to delete is no write.

Every txn also compares the generation pointer (see state.py). A variable written before the
sibling existed ("legacy": CreateTime inside its value) gets its sibling from its own value in one
extra txn, the first time it is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .etcd import KeyValue, TxnResult
from .state import POINTER, TOUCHED, Generation, Item, StateError, StateStore, _index_compare
from .txn import cmp_create, cmp_mod, op_delete, op_get, op_put

CTIME = "ctime/"
MAX_REVISION = (1 << 63) - 1  # etcd revisions are int64; a larger CAS index cannot be sent in a compare
_ATTEMPTS = 5


@dataclass(frozen=True)
class Stored:
    item: Item
    create_time: int | None  # None: a legacy variable, whose CreateTime is inside its value


@dataclass(frozen=True)
class Written:
    succeeded: bool
    index: int  # the write's revision; on a conflict the revision it was refused at
    create_index: int = 0
    create_time: int = 0
    current: Stored | None = None  # on a conflict: the variable as it is (None: absent)


def ctime_path(path: str) -> str:
    return CTIME + path


class VariableStore:
    """One-round-trip reads and writes of variables (``path`` is the value's state path)."""

    def __init__(self, state: StateStore, legacy_create_time: Callable[[bytes], int]):
        self.state = state
        self.legacy_create_time = legacy_create_time

    # -- reads ------------------------------------------------------------------------------------
    def read(self, path: str) -> tuple[int, Stored | None]:
        rev, (values, ctimes) = self.state.read_many([(path, False), (ctime_path(path), False)])
        return rev, (_stored(values[0], ctimes[0] if ctimes else None) if values else None)

    def list(self, prefix: str) -> tuple[int, list[Stored]]:
        rev, (values, ctimes) = self.state.read_many([(prefix, True), (ctime_path(prefix), True)])
        by_path = {item.path[len(CTIME) :]: item for item in ctimes}
        return rev, [_stored(item, by_path.get(item.path)) for item in values]

    # -- writes -----------------------------------------------------------------------------------
    def write(self, path: str, value: bytes, now: int, *, cas: int | None = None) -> Written:
        """Put ``value``; a create also records ``now`` as CreateTime. ``cas``: Nomad's check-and-set."""
        if cas is not None and cas > MAX_REVISION:
            return self._never_matches(path)
        for _ in range(_ATTEMPTS):
            gen = self.state.generation()
            key, ckey = self.state.key(path, gen), self.state.key(ctime_path(path), gen)
            pointer = cmp_mod(POINTER, gen.mod_revision)
            touch = op_put(TOUCHED, gen.name.encode())
            look = [op_get(POINTER), op_get(key), op_get(ckey)]
            create = [op_put(key, value), op_put(ckey, str(now).encode()), touch, op_get(key)]
            if cas is None:
                update = [pointer, cmp_create(key, 0, "GREATER"), cmp_create(ckey, 0, "GREATER")]
                nested = {
                    "request_txn": {
                        "compare": [pointer, cmp_create(key, 0)],
                        "success": create,
                        "failure": [op_get(key), op_get(ckey)],
                    }
                }
                res = self._txn(
                    update, [op_put(key, value), touch, op_get(key), op_get(ckey)], [op_get(POINTER), nested]
                )
                if res.succeeded:
                    return self._done(gen, res.revision, _ranges(res.responses))
                pointer_kvs, inner = _ranges(res.responses[:1])[0], res.responses[1].get("response_txn", {})
                if self._moved(gen, pointer_kvs):
                    continue
                if inner.get("succeeded"):
                    return Written(
                        True, res.revision, self.state._item(gen, _ranges(inner["responses"])[-1][0]).create_index, now
                    )
                values, _ = _ranges(inner.get("responses", []))
                if values:  # exists without its sibling: a legacy variable
                    self._adopt_legacy(gen, key, ckey, values[0])
                continue
            if cas == 0:
                res = self._txn([pointer, cmp_create(key, 0)], create, look)
                if res.succeeded:
                    return Written(
                        True, res.revision, self.state._item(gen, _ranges(res.responses)[-1][0]).create_index, now
                    )
            else:
                compare = [pointer, *_index_compare(key, cas, gen), cmp_create(ckey, 0, "GREATER")]
                res = self._txn(compare, [op_put(key, value), touch, op_get(key), op_get(ckey)], look)
                if res.succeeded:
                    return self._done(gen, res.revision, _ranges(res.responses))
            pointer_kvs, values, ctimes = _ranges(res.responses)
            if self._moved(gen, pointer_kvs):
                continue
            current = self._current(gen, values, ctimes)
            if cas and current is not None and current.create_time is None and current.item.modify_index == cas:
                self._adopt_legacy(gen, key, ckey, values[0])  # the index matched; only the sibling was missing
                continue
            return Written(False, res.revision, current=current)
        raise StateError("the variable kept changing while it was being written; try again")

    def delete(self, path: str, *, cas: int | None = None) -> Written:
        """Delete the variable (and its sibling). ``succeeded`` with ``index``: deleted, or nothing to delete."""
        if cas is not None and cas > MAX_REVISION:
            return self._never_matches(path)
        for _ in range(_ATTEMPTS):
            gen = self.state.generation()
            key, ckey = self.state.key(path, gen), self.state.key(ctime_path(path), gen)
            pointer = cmp_mod(POINTER, gen.mod_revision)
            remove = [op_delete(key), op_delete(ckey), op_put(TOUCHED, gen.name.encode())]
            look = [op_get(POINTER), op_get(key), op_get(ckey)]
            if cas is None:
                res = self._txn([pointer, cmp_create(key, 0, "GREATER")], remove, [op_get(POINTER)])
                if res.succeeded or not self._moved(gen, _ranges(res.responses)[0]):
                    return Written(True, res.revision)  # deleted, or there was nothing to delete (no write)
                continue
            if cas == 0:
                res = self._txn([pointer, cmp_create(key, 0)], [], look)
            else:
                res = self._txn([pointer, *_index_compare(key, cas, gen)], remove, look)
            if res.succeeded:
                return Written(True, res.revision)
            pointer_kvs, values, ctimes = _ranges(res.responses)
            if self._moved(gen, pointer_kvs):
                continue
            return Written(False, res.revision, current=self._current(gen, values, ctimes))
        raise StateError("the variable kept changing while it was being deleted; try again")

    # -- helpers ----------------------------------------------------------------------------------
    def _never_matches(self, path: str) -> Written:
        """A CAS index above etcd's int64 revisions (Nomad's are uint64) conflicts with what is there."""
        rev, current = self.read(path)
        return Written(False, rev, current=current)

    def _txn(
        self, compare: list[dict[str, Any]], success: list[dict[str, Any]], failure: list[dict[str, Any]]
    ) -> TxnResult:
        # Never re-sent to another member: a lost answer to an applied write must not apply twice.
        return self.state.etcd.txn(compare, success, failure, retry=False)

    def _moved(self, gen: Generation, pointer_kvs: list[KeyValue]) -> bool:
        if pointer_kvs and pointer_kvs[0].mod_revision == gen.mod_revision:
            return False
        self.state._adopt(pointer_kvs)
        return True

    def _done(self, gen: Generation, revision: int, ranges: list[list[KeyValue]]) -> Written:
        values, ctimes = ranges[-2], ranges[-1]
        item = self.state._item(gen, values[0])
        return Written(True, revision, item.create_index, int(ctimes[0].value))

    def _current(self, gen: Generation, values: list[KeyValue], ctimes: list[KeyValue]) -> Stored | None:
        if not values:
            return None
        return _stored(self.state._item(gen, values[0]), self.state._item(gen, ctimes[0]) if ctimes else None)

    def _adopt_legacy(self, gen: Generation, key: bytes, ckey: bytes, kv: KeyValue) -> None:
        created = self.legacy_create_time(kv.value)
        self.state.etcd.txn(
            [cmp_mod(POINTER, gen.mod_revision), cmp_mod(key, kv.mod_revision), cmp_create(ckey, 0)],
            [op_put(ckey, str(created).encode())],
            [],
        )


def _stored(item: Item, ctime: Item | None) -> Stored:
    try:
        created = int(ctime.value) if ctime is not None else None
    except ValueError:
        created = None
    return Stored(item, created)


def _ranges(responses: list[dict[str, Any]]) -> list[list[KeyValue]]:
    return [
        [KeyValue.from_json(kv) for kv in r["response_range"].get("kvs", [])]
        for r in responses
        if "response_range" in r
    ]


__all__ = ["CTIME", "Stored", "VariableStore", "Written", "ctime_path"]
