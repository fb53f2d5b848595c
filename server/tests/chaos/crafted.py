"""Builders for hand-made histories (the checker's own tests)."""

from __future__ import annotations

import itertools

from .history import CAS, FAIL, INF, INFO, OK, READ, RESTORE, WRITE, Op

_ids = itertools.count(1)


def write(p: str, key: str, t0: float, t1: float | None, value: str, index: int | None = None) -> Op:
    """An acknowledged write (t1 None: an info write whose index is unknown)."""
    if t1 is None:
        return Op(next(_ids), p, WRITE, key, t0, INF, INFO, value=value)
    return Op(next(_ids), p, WRITE, key, t0, t1, OK, value=value, index=index)


def read(p: str, key: str, t0: float, t1: float, value: str | None, index: int | None = None) -> Op:
    return Op(next(_ids), p, READ, key, t0, t1, OK, value=value, index=index)


def cas(
    p: str,
    key: str,
    t0: float,
    t1: float | None,
    expect: int,
    expect_value: str | None,
    value: str,
    index: int | None = None,
) -> Op:
    """A CAS that succeeded (or, with t1 None, whose outcome is unknown)."""
    op = Op(next(_ids), p, CAS, key, t0, INF, INFO, value=value, expect=expect, expect_value=expect_value)
    if t1 is not None:
        op.complete, op.outcome, op.index = t1, OK, index
    return op


def cas_conflict(
    p: str, key: str, t0: float, t1: float, expect: int, value: str, seen_value: str | None, seen_index: int
) -> Op:
    """A CAS answered 409 with the conflicting variable in the body."""
    return Op(
        next(_ids),
        p,
        CAS,
        key,
        t0,
        t1,
        FAIL,
        value=value,
        expect=expect,
        seen_value=seen_value,
        seen_index=seen_index,
        observed=True,
    )


def restore(key: str, t0: float, t1: float | None, value: str | None) -> Op:
    if t1 is None:
        return Op(next(_ids), "restore", RESTORE, key, t0, INF, INFO, value=value)
    return Op(next(_ids), "restore", RESTORE, key, t0, t1, OK, value=value)
