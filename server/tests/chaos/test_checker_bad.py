"""The checker must object to histories that break the guarantees (so `make test` fails on a dropped write)."""

from __future__ import annotations

from .checker import check, check_key
from .crafted import cas, cas_conflict, read, restore, write


def test_lost_acknowledged_write_is_reported() -> None:
    ops = [
        write("p1", "k", 0.0, 1.0, "a", 10),
        write("p2", "k", 2.0, 3.0, "b", 12),
    ]
    report = check(ops, final={"k": ("a", 10)})  # b was acknowledged, then vanished
    assert not report.valid
    assert any("acknowledged write lost" in p and "'b'" in p for p in report.problems), report.summary()
    assert any("not linearizable" in p for p in report.problems), report.summary()


def test_write_missing_from_the_final_state_is_reported() -> None:
    ops = [write("p1", "k", 0.0, 1.0, "a", 10)]
    report = check(ops, final={"k": (None, None)})
    assert not report.valid
    assert any("acknowledged write lost" in p for p in report.problems)


def test_stale_read_after_a_completed_write() -> None:
    ops = [
        write("p1", "k", 0.0, 1.0, "a", 10),
        write("p1", "k", 2.0, 3.0, "b", 11),
        read("p2", "k", 4.0, 5.0, "a", 10),  # b had completed before this read began
    ]
    result = check_key("k", ops)
    assert result.valid is False
    assert "read='a'" in result.problem


def test_read_of_a_value_before_its_write_began() -> None:
    ops = [read("p2", "k", 0.0, 1.0, "a", 10), write("p1", "k", 2.0, 3.0, "a", 10)]
    assert check_key("k", ops).valid is False


def test_cas_success_on_a_stale_index() -> None:
    ops = [
        read("p1", "k", 0.0, 1.0, None),
        write("p1", "k", 1.5, 2.0, "a", 10),
        read("p2", "k", 3.0, 4.0, "a", 10),
        write("p3", "k", 5.0, 6.0, "b", 12),
        cas("p2", "k", 7.0, 8.0, 10, "a", "c", 14),  # expected 10, but 12 landed in between
    ]
    report = check(ops)
    assert not report.valid
    assert any("CAS succeeded against a stale index" in p and "index 12" in p for p in report.problems), (
        report.summary()
    )
    assert any("not linearizable" in p for p in report.problems)


def test_cas_conflict_on_a_matching_index_is_reported() -> None:
    ops = [
        write("p1", "k", 0.0, 1.0, "a", 10),
        cas_conflict("p2", "k", 2.0, 3.0, 10, "b", "a", 10),  # 409 although the index matched
    ]
    assert check_key("k", ops).valid is False


def test_two_cas_writers_both_winning_from_one_index() -> None:
    ops = [
        write("p1", "k", 0.0, 1.0, "a", 10),
        cas("p2", "k", 2.0, 5.0, 10, "a", "b", 11),
        cas("p3", "k", 2.0, 5.0, 10, "a", "c", 12),  # concurrent, but only one can win from index 10
    ]
    report = check(ops)
    assert not report.valid


def test_non_linearizable_interleaving() -> None:
    # w(b) is concurrent with both reads, but once r1 saw b, the later r2 cannot see a again.
    ops = [
        write("p1", "k", 0.0, 1.0, "a", 10),
        write("p2", "k", 2.0, 6.0, "b", 11),
        read("p3", "k", 2.5, 3.0, "b", 11),
        read("p4", "k", 4.0, 5.0, "a", 10),
    ]
    result = check_key("k", ops)
    assert result.valid is False
    assert "not linearizable" in result.problem


def test_indexes_must_grow_with_the_order_of_writes() -> None:
    ops = [write("p1", "k", 0.0, 1.0, "a", 12), write("p1", "k", 2.0, 3.0, "b", 11)]
    assert check_key("k", ops).valid is False


def test_reverted_value_without_a_restore() -> None:
    # "a" comes back at a new index: only a restore may do that.
    ops = [
        write("p1", "k", 0.0, 1.0, "a", 10),
        write("p1", "k", 2.0, 3.0, "b", 11),
        read("p2", "k", 4.0, 5.0, "a", 15),
    ]
    assert check_key("k", ops).valid is False


def test_restore_cannot_explain_a_value_after_it_completed() -> None:
    ops = [
        write("p1", "k", 0.0, 1.0, "a", 10),
        restore("k", 2.0, 3.0, "a"),
        write("p1", "k", 4.0, 5.0, "b", 20),
        read("p2", "k", 6.0, 7.0, "a", 18),  # the restore was over before b was written
    ]
    assert check_key("k", ops).valid is False


def test_info_write_cannot_be_seen_before_it_was_sent() -> None:
    ops = [read("p2", "k", 0.0, 1.0, "x", 10), write("p1", "k", 2.0, None, "x")]
    assert check_key("k", ops).valid is False


def test_budget_exhaustion_is_undecided_not_valid() -> None:
    ops = [write(f"p{i}", "k", 0.0, 10.0, f"v{i}", 10 + i) for i in range(12)]
    ops.append(read("r", "k", 11.0, 12.0, "v0", 10))  # v0 has the lowest index: it cannot be last
    result = check_key("k", ops, budget=50)
    assert result.valid is None
    assert "undecided" in result.problem
    report = check(ops, budget=50)
    assert not report.valid
