"""A history of operations on Nomad variables, as clients saw them (Jepsen's vocabulary).

Every operation has an invoke time and, unless its outcome is unknown, a completion time (one
monotonic clock for the whole test, so real-time order between operations is meaningful).

Outcomes:

* ``ok``: the server acknowledged it (a write's index, a read's value);
* ``fail``: it definitely did not take effect (a 409 CAS conflict, which also *observes* the
  variable as it was, or another 4xx, or a connection that was refused before the request left);
* ``info``: unknown whether it took effect (a timeout, a broken connection, a 5xx). An info op may
  take effect at any time after its invocation, or never; its completion time is infinity.

Values are unique per write (``<process>-<n>``), so an observed value names the write that made it.
``None`` as a value means "absent" (404). Indexes are Nomad ``ModifyIndex`` values, i.e. etcd revisions.
"""

from __future__ import annotations

import itertools
import math
import threading
from dataclasses import dataclass, field

INF = math.inf

READ = "read"
WRITE = "write"  # PUT /v1/var/:path without ?cas
CAS = "cas"  # PUT /v1/var/:path?cas=<index>
RESTORE = "restore"  # one key's part of a snapshot restore: it writes the snapshot's value (or removes the key)

OK = "ok"
FAIL = "fail"
INFO = "info"


@dataclass
class Op:
    id: int
    process: str
    kind: str
    key: str
    invoke: float
    complete: float = INF
    outcome: str = INFO
    value: str | None = None  # write/cas/restore: the value written; read: the value observed
    index: int | None = None  # ok write/cas: the index it returned; read: the index observed
    expect: int | None = None  # cas: the expected index (0: "must not exist")
    expect_value: str | None = None  # cas: the value the client read together with ``expect``
    seen_value: str | None = None  # failed cas (409): the value in the conflict body
    seen_index: int | None = None  # failed cas (409): the index in the conflict body
    observed: bool = False  # failed cas: whether the 409 body showed the current variable
    note: str = ""

    def describe(self) -> str:
        end = "..." if self.complete == INF else f"{self.complete:.3f}"
        parts = [f"#{self.id} {self.process} {self.kind} {self.key} [{self.invoke:.3f}, {end}] {self.outcome}"]
        if self.kind == CAS:
            parts.append(f"expect={self.expect}({self.expect_value!r})")
        if self.kind in (WRITE, CAS, RESTORE):
            parts.append(f"value={self.value!r}")
        if self.kind == READ:
            parts.append(f"read={self.value!r}")
        if self.index is not None:
            parts.append(f"index={self.index}")
        if self.observed:
            parts.append(f"conflict={self.seen_value!r}@{self.seen_index}")
        if self.note:
            parts.append(f"({self.note})")
        return " ".join(parts)


@dataclass
class History:
    """Thread-safe recorder: ``begin`` an op before sending it, then ``ok``/``fail``/``info`` it."""

    ops: list[Op] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def begin(self, process: str, kind: str, key: str, invoke: float, **fields) -> Op:
        with self._lock:
            op = Op(next(self._ids), process, kind, key, invoke, **fields)
            self.ops.append(op)
        return op

    @staticmethod
    def ok(op: Op, complete: float, **fields) -> Op:
        return _finish(op, OK, complete, fields)

    @staticmethod
    def fail(op: Op, complete: float, **fields) -> Op:
        return _finish(op, FAIL, complete, fields)

    @staticmethod
    def info(op: Op, note: str = "") -> Op:
        op.outcome, op.complete, op.note = INFO, INF, note
        return op

    def by_key(self) -> dict[str, list[Op]]:
        out: dict[str, list[Op]] = {}
        for op in self.ops:
            out.setdefault(op.key, []).append(op)
        return out

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for op in self.ops:
            name = f"{op.kind}:{op.outcome}"
            out[name] = out.get(name, 0) + 1
        return dict(sorted(out.items()))


def _finish(op: Op, outcome: str, complete: float, fields: dict) -> Op:
    for name, value in fields.items():
        setattr(op, name, value)
    op.outcome, op.complete = outcome, complete
    return op
