"""Checks a recorded history of Nomad variable operations (history.py) for lost writes, stale CAS
successes and linearizability, key by key.

No maintained linearizability checker for Python exists on PyPI (none of Knossos, Porcupine or
Elle has a Python port), so this is our own: the Wing-Gong search with Lowe's memoization of
(linearized set, model state), as in Knossos' ``wgl`` and Porcupine, over a register model:

* **State** ``(value, index, exact)``: the variable's value (``None``: absent) and its ModifyIndex.
  After an info write or a restore the new index is not known, only that it is larger than the
  previous one, so ``exact`` is False and ``index`` is a strict lower bound; the next observation
  pins it. Indexes are etcd revisions and must grow with every write in linearization order.
* **read** (value v, index i): the state must hold v, and i (exact) or some i above the bound.
* **write** ok (v, returned index r): r must exceed the current index; state := (v, r).
* **cas** ok (expected e with the value the client read with it, returned r): the state must be that
  value with index e (``e == 0``: absent); state := (v, r). A 409 observes the current variable, so
  it is a read whose index must differ from e.
* **restore** (one key's part of a snapshot restore): state := (the snapshot's value or absent, a
  new unknown index above the current one).
* info ops (outcome unknown) may be linearized anywhere after their invocation, or never.

Pruning (each keeps the search exact): P-compositionality (one search per key); memoization of
configurations; only minimal ops are candidates (invoked before the earliest completion among the
pending ones); an info op is linearized only while some pending op could observe the value it
writes (values are unique per write, so once no one can see it, applying it changes nothing a later
op can tell), and is dropped otherwise; definite failures that observed nothing and info reads
constrain nothing and are left out. The search is bounded by a budget of configurations; running
out is reported as undecided, which the chaos test treats as a failure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from .history import CAS, FAIL, INFO, OK, READ, RESTORE, WRITE, Op

State = tuple[str | None, int, bool]
INITIAL: State = (None, 0, True)
DEFAULT_BUDGET = 2_000_000


@dataclass
class KeyResult:
    key: str
    valid: bool | None  # None: the budget ran out
    ops: int
    configurations: int
    problem: str = ""


@dataclass
class Report:
    valid: bool
    problems: list[str] = field(default_factory=list)
    keys: list[KeyResult] = field(default_factory=list)

    def summary(self) -> str:
        configs = sum(k.configurations for k in self.keys)
        ops = sum(k.ops for k in self.keys)
        verdict = "valid" if self.valid else "INVALID"
        head = f"{verdict}: {len(self.keys)} keys, {ops} ops searched, {configs} configurations"
        return "\n".join([head, *self.problems])


# -- the register model ------------------------------------------------------------------------------
def observe(state: State, value: str | None, index: int | None) -> State | None:
    """The state after an observation of (value, index), or None when the state cannot show it."""
    current, idx, exact = state
    if value != current:
        return None
    if value is None:
        return state  # an absent variable shows no index
    if index is None:
        return None
    if exact:
        return state if index == idx else None
    return (value, index, True) if index > idx else None


def step(state: State, op: Op) -> State | None:
    """Apply ``op`` to ``state``; None when the op cannot take effect there."""
    value, idx, _ = state
    if op.kind == READ:
        return observe(state, op.value, op.index)
    if op.kind == WRITE:
        if op.outcome == OK:
            return (op.value, op.index, True) if op.index is not None and op.index > idx else None
        return (op.value, idx, False)
    if op.kind == CAS:
        if op.outcome == FAIL:  # a 409: the body is the variable as the server compared it
            if op.seen_index == op.expect:
                return None
            return observe(state, op.seen_value, op.seen_index)
        if (op.expect_value is None) != (op.expect == 0):
            return None
        matched = observe(state, op.expect_value, op.expect if op.expect_value is not None else None)
        if matched is None:
            return None
        floor = max(matched[1], op.expect or 0)
        if op.outcome == OK:
            return (op.value, op.index, True) if op.index is not None and op.index > floor else None
        return (op.value, floor, False)
    if op.kind == RESTORE:
        return (op.value, idx, False)
    raise ValueError(f"unknown op kind {op.kind!r}")


def _observes(op: Op) -> list[str | None]:
    """The values an op depends on seeing (reads, conflict bodies, CAS expectations)."""
    if op.kind == READ:
        return [op.value]
    if op.kind == CAS and op.outcome == FAIL:
        return [op.seen_value]
    if op.kind == CAS:
        return [op.expect_value]
    return []


def _relevant(op: Op) -> bool:
    if op.kind == READ:
        return op.outcome == OK
    if op.kind == CAS and op.outcome == FAIL:
        return op.observed
    return op.outcome in (OK, INFO)


# -- the search --------------------------------------------------------------------------------------
def check_key(key: str, ops: Iterable[Op], budget: int = DEFAULT_BUDGET) -> KeyResult:
    """Wing-Gong search with memoization over one key's ops."""
    ops = sorted((op for op in ops if _relevant(op)), key=lambda op: (op.invoke, op.id))
    n = len(ops)
    invoke = [op.invoke for op in ops]
    complete = [op.complete if op.outcome != INFO else math.inf for op in ops]
    required = 0
    for i, op in enumerate(ops):
        if op.outcome != INFO:
            required |= 1 << i
    # Info ops are useful only while one of the ops that could see their value is still pending.
    watchers: dict[str | None, int] = {}
    for i, op in enumerate(ops):
        for value in _observes(op):
            watchers[value] = watchers.get(value, 0) | (1 << i)
    useful_while = [watchers.get(op.value, 0) & ~(1 << i) if op.outcome == INFO else 0 for i, op in enumerate(ops)]

    # watched_by[i]: the info ops that op i could be the last pending observer of.
    watched_by: list[list[int]] = [[] for _ in range(n)]
    for j in range(n):
        rest = useful_while[j]
        while rest:
            low = rest & -rest
            watched_by[low.bit_length() - 1].append(j)
            rest ^= low

    def settle(mask: int, done: list[int]) -> int:
        """Drop the info ops that no pending op can observe any more, after ``done`` left the pending set."""
        work = list(done)
        while work:
            for j in watched_by[work.pop()]:
                if not mask >> j & 1 and not useful_while[j] & ~mask:
                    mask |= 1 << j
                    work.append(j)
        return mask

    initial = 0
    for j in range(n):
        if not required >> j & 1 and not useful_while[j]:
            initial |= 1 << j
    initial = settle(initial, [j for j in range(n) if initial >> j & 1])
    start = (initial, INITIAL)
    seen = {start}
    stack = [start]
    best_depth, best = -1, start
    while stack:
        mask, state = stack.pop()
        if mask & required == required:
            return KeyResult(key, True, n, len(seen))
        depth = (mask & required).bit_count()
        if depth > best_depth:
            best_depth, best = depth, (mask, state)
        if len(seen) > budget:
            return KeyResult(key, None, n, len(seen), f"{key}: undecided after {budget} configurations")
        for i in _candidates(mask, invoke, complete, n):
            nxt = step(state, ops[i])
            if nxt is None:
                continue
            config = (settle(mask | (1 << i), [i]), nxt)
            if config not in seen:
                seen.add(config)
                stack.append(config)
    return KeyResult(key, False, n, len(seen), _explain(key, ops, best, invoke, complete))


def _candidates(mask: int, invoke: list[float], complete: list[float], n: int) -> list[int]:
    """Pending ops invoked before the earliest completion among pending ops (ops sorted by invoke)."""
    lo = (~mask & (mask + 1)).bit_length() - 1  # lowest pending op
    earliest = math.inf
    out = []
    for i in range(lo, n):
        if invoke[i] >= earliest:
            break
        if mask >> i & 1:
            continue
        out.append(i)
        earliest = min(earliest, complete[i])
    return [i for i in out if invoke[i] < earliest]


def _explain(key: str, ops: list[Op], best: tuple[int, State], invoke, complete) -> str:
    mask, state = best
    done = sum(1 for i in range(len(ops)) if mask >> i & 1 and ops[i].outcome != INFO)
    lines = [
        f"{key}: not linearizable. The longest linearizable prefix covers {done} of "
        f"{sum(1 for op in ops if op.outcome != INFO)} definite ops and ends in state "
        f"value={state[0]!r} index{'=' if state[2] else '>'}{state[1]}; none of these can come next:"
    ]
    for i in _candidates(mask, invoke, complete, len(ops))[:8]:
        lines.append("  " + ops[i].describe())
    return "\n".join(lines)


# -- the direct checks -------------------------------------------------------------------------------
def lost_writes(by_key: dict[str, list[Op]], final: dict[str, tuple[str | None, int | None]]) -> list[str]:
    """Every key's final value must be its last acknowledged write's (the one with the highest index),
    or come from a write, CAS or restore that may have taken effect after it."""
    problems = []
    for key, ops in sorted(by_key.items()):
        acked = [op for op in ops if op.kind in (WRITE, CAS) and op.outcome == OK]
        if not acked:
            continue
        last = max(acked, key=lambda op: op.index)
        value, index = final.get(key, (None, None))
        if value == last.value and index == last.index:
            continue
        later = [
            op
            for op in ops
            if op.kind in (WRITE, CAS, RESTORE) and op.outcome in (OK, INFO) and op.complete > last.invoke
        ]
        if any(op.value == value and op is not last for op in later) and (index is None or index > last.index):
            continue
        problems.append(
            f"{key}: acknowledged write lost: last acknowledged {last.describe()}, "
            f"but the final read found value={value!r} index={index}"
        )
    return problems


def stale_cas(by_key: dict[str, list[Op]]) -> list[str]:
    """A CAS that succeeded with expected index e and wrote at index r is stale when some other write
    to the key is known to have landed between e and r (indexes are etcd revisions, a total order)."""
    problems = []
    for key, ops in sorted(by_key.items()):
        known: dict[int, Op] = {}
        for op in ops:
            if op.outcome == OK and op.index is not None and op.value is not None:
                known.setdefault(op.index, op)
            if op.observed and op.seen_index:
                known.setdefault(op.seen_index, op)
        for op in ops:
            if op.kind != CAS or op.outcome != OK or op.index is None or not op.expect:
                continue
            between = [i for i in known if op.expect < i < op.index]
            if between:
                witness = known[min(between)]
                problems.append(
                    f"{key}: CAS succeeded against a stale index: {op.describe()}; index {min(between)} "
                    f"was written in between (seen by {witness.describe()})"
                )
            if op.index <= op.expect:
                problems.append(
                    f"{key}: CAS wrote index {op.index} not above its expected {op.expect}: {op.describe()}"
                )
    return problems


def check(
    ops: Iterable[Op],
    final: dict[str, tuple[str | None, int | None]] | None = None,
    budget: int = DEFAULT_BUDGET,
) -> Report:
    """All three checks. ``final`` maps key -> (value, index) read after the workload and the faults;
    when given, it is also added to each key's history as a read that came after everything."""
    by_key: dict[str, list[Op]] = {}
    for op in ops:
        by_key.setdefault(op.key, []).append(op)
    problems: list[str] = []
    if final is not None:
        problems += lost_writes(by_key, final)
        end = max((op.complete for key_ops in by_key.values() for op in key_ops if op.complete != math.inf), default=0)
        next_id = 1 + max((op.id for key_ops in by_key.values() for op in key_ops), default=0)
        for n, (key, (value, index)) in enumerate(sorted(final.items())):
            op = Op(next_id + n, "final", READ, key, end + 1, end + 2, OK, value=value, index=index)
            by_key.setdefault(key, []).append(op)
    problems += stale_cas(by_key)
    results = [check_key(key, key_ops, budget) for key, key_ops in sorted(by_key.items())]
    problems += [r.problem for r in results if r.valid is not True]
    return Report(not problems, problems, results)
