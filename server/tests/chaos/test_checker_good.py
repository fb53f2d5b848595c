"""The checker must accept valid histories: overlapping ops, unknown outcomes, conflicts, restores."""

from __future__ import annotations

import random

from .checker import check, check_key
from .crafted import cas, cas_conflict, read, restore, write
from .history import CAS, FAIL, INF, INFO, OK, READ, WRITE, Op


def test_sequential_history() -> None:
    ops = [
        read("p1", "k", 0.0, 1.0, None),
        write("p1", "k", 2.0, 3.0, "a", 10),
        read("p1", "k", 4.0, 5.0, "a", 10),
        cas("p1", "k", 6.0, 7.0, 10, "a", "b", 12),
        read("p1", "k", 8.0, 9.0, "b", 12),
    ]
    report = check(ops, final={"k": ("b", 12)})
    assert report.valid, report.summary()


def test_concurrent_overlapping_ops_in_either_order() -> None:
    ops = [
        write("p1", "k", 0.0, 1.0, "a", 10),
        write("p2", "k", 2.0, 8.0, "b", 11),
        read("p3", "k", 3.0, 4.0, "a", 10),  # before b took effect
        read("p4", "k", 3.5, 7.0, "b", 11),  # after b took effect
        read("p5", "k", 5.0, 9.0, "b", 11),
    ]
    assert check_key("k", ops).valid is True


def test_concurrent_writes_linearize_in_index_order() -> None:
    ops = [
        write("p1", "k", 0.0, 5.0, "a", 11),
        write("p2", "k", 0.5, 4.0, "b", 10),  # completed first but applied first too: index 10 < 11
        read("p3", "k", 6.0, 7.0, "a", 11),
    ]
    assert check(ops, final={"k": ("a", 11)}).valid


def test_info_write_that_took_effect_late() -> None:
    ops = [
        write("p1", "k", 0.0, 1.0, "a", 10),
        write("p2", "k", 2.0, None, "x"),  # timed out
        read("p3", "k", 3.0, 4.0, "a", 10),
        read("p3", "k", 20.0, 21.0, "x", 14),  # it applied after all, much later
    ]
    report = check(ops, final={"k": ("x", 14)})
    assert report.valid, report.summary()


def test_info_write_that_never_took_effect() -> None:
    ops = [
        write("p1", "k", 0.0, 1.0, "a", 10),
        write("p2", "k", 2.0, None, "x"),
        read("p3", "k", 30.0, 31.0, "a", 10),
    ]
    assert check(ops, final={"k": ("a", 10)}).valid


def test_final_value_from_an_info_write_after_the_last_acknowledged_one() -> None:
    ops = [write("p1", "k", 0.0, 1.0, "a", 10), write("p2", "k", 0.5, None, "x")]
    assert check(ops, final={"k": ("x", 11)}).valid


def test_cas_conflict_observes_the_current_value() -> None:
    ops = [
        write("p1", "k", 0.0, 1.0, "a", 10),
        read("p2", "k", 2.0, 3.0, "a", 10),
        write("p1", "k", 3.5, 4.0, "b", 12),
        cas_conflict("p2", "k", 5.0, 6.0, 10, "c", "b", 12),
        cas("p2", "k", 7.0, 8.0, 12, "b", "d", 13),
    ]
    report = check(ops, final={"k": ("d", 13)})
    assert report.valid, report.summary()


def test_cas_from_absent_and_info_cas() -> None:
    ops = [
        cas("p1", "k", 0.0, 1.0, 0, None, "a", 10),
        cas("p2", "k", 0.5, None, 0, None, "z"),  # must-not-exist, outcome unknown: it lost to "a"
        read("p2", "k", 2.0, 3.0, "a", 10),
        cas("p3", "k", 4.0, None, 10, "a", "b"),  # unknown outcome, seen later
        read("p1", "k", 5.0, 6.0, "b", 11),
    ]
    assert check(ops, final={"k": ("b", 11)}).valid


def test_restore_reverts_to_the_snapshot_value_at_a_new_index() -> None:
    ops = [
        write("p1", "k", 0.0, 1.0, "a", 10),
        write("p1", "k", 2.0, 3.0, "b", 11),
        restore("k", 4.0, 9.0, "a"),  # the snapshot was taken while "a" was current
        read("p2", "k", 5.0, 6.0, "b", 11),  # before the flip
        read("p2", "k", 7.0, 8.0, "a", 25),  # after the flip: same value, new index
        cas_conflict("p3", "k", 10.0, 11.0, 10, "c", "a", 25),  # the pre-restore index no longer matches
        cas("p3", "k", 12.0, 13.0, 25, "a", "c", 26),
    ]
    report = check(ops, final={"k": ("c", 26)})
    assert report.valid, report.summary()


def test_restore_to_absent_and_final_value_from_restore() -> None:
    ops = [
        write("p1", "k", 0.0, 1.0, "a", 10),
        restore("k", 0.5, 3.0, None),  # the snapshot did not have the key yet
        read("p2", "k", 4.0, 5.0, None),
    ]
    assert check(ops, final={"k": (None, None)}).valid


def test_info_restore_that_applied() -> None:
    ops = [write("p1", "k", 0.0, 1.0, "a", 10), write("p1", "k", 2.0, 3.0, "b", 11), restore("k", 4.0, None, "a")]
    ops.append(read("p2", "k", 10.0, 11.0, "a", 30))
    assert check(ops, final={"k": ("a", 30)}).valid


def test_several_keys_are_independent() -> None:
    ops = [
        write("p1", "k1", 0.0, 1.0, "a", 10),
        write("p1", "k2", 0.0, 1.0, "b", 11),
        read("p2", "k1", 2.0, 3.0, "a", 10),
        read("p2", "k2", 2.0, 3.0, "b", 11),
    ]
    report = check(ops, final={"k1": ("a", 10), "k2": ("b", 11)})
    assert report.valid and len(report.keys) == 2


def test_definite_failures_and_unknown_reads_constrain_nothing() -> None:
    ops = [
        write("p1", "k", 0.0, 1.0, "a", 10),
        Op(100_001, "p2", WRITE, "k", 2.0, 3.0, FAIL, value="never"),
        Op(100_002, "p2", READ, "k", 4.0, INF, INFO),
        Op(100_003, "p3", CAS, "k", 4.0, 5.0, FAIL, value="nope", expect=3, expect_value="zz"),
        read("p1", "k", 6.0, 7.0, "a", 10),
    ]
    assert check(ops, final={"k": ("a", 10)}).valid


def simulate(seed: int, processes: int = 6, ops_per_process: int = 120) -> list[Op]:
    """A valid random history: a real register applied at a random instant inside each op's window,
    including timeouts (info) that still apply, so the checker's search is exercised at scale."""
    rnd = random.Random(seed)
    events = []
    for p in range(processes):
        t = rnd.random()
        for n in range(ops_per_process):
            start = t + rnd.random() * 0.2
            end = start + 0.05 + rnd.random() * 1.5
            at = start + (end - start) * rnd.random()
            events.append((at, start, end, f"p{p}", n, rnd.random()))
            t = end
    events.sort()
    value, index, revision = None, 0, 0
    history = []
    for _at, start, end, proc, n, dice in events:
        if dice < 0.4:
            history.append(Op(len(history), proc, READ, "k", start, end, OK, value=value, index=index or None))
            continue
        new = f"{proc}-{n}"
        revision += 1 + int(dice * 3)
        timed_out = dice > 0.95
        if dice < 0.7:
            op = Op(len(history), proc, WRITE, "k", start, end, OK, value=new, index=revision)
        else:
            op = Op(len(history), proc, CAS, "k", start, end, OK, value=new, index=revision)
            op.expect, op.expect_value = index, value
        if timed_out:
            op.outcome, op.complete, op.index = INFO, INF, None
        history.append(op)
        value, index = new, revision
    return history


def test_large_random_valid_histories_are_accepted_quickly() -> None:
    for seed in range(3):
        ops = simulate(seed)
        report = check(ops)
        assert report.valid, report.summary()
        assert report.keys[0].ops == len(ops)
