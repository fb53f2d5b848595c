"""The etcd access layer against a real etcd member."""

from __future__ import annotations

import threading

import pytest
from raftops.store.etcd import Etcd
from raftops.store.gateway import EtcdError
from raftops.store.lease import Election, LeaseKeeper
from raftops.store.state import ALIVE, POINTER, TOUCHED, Condition, StateStore, Write
from raftops.store.txn import cmp_mod, op_put

from ..conftest import wait_for


def test_put_get_and_cas(etcd: Etcd) -> None:
    state = StateStore(etcd)
    first = state.put("config/a", b"1", cas=0)
    assert first.succeeded
    item = state.get("config/a")
    assert item is not None and item.value == b"1" and item.create_index == item.modify_index == first.index

    # Creating again with cas=0 fails and reports the current item.
    again = state.put("config/a", b"2", cas=0)
    assert not again.succeeded and again.current is not None and again.current.value == b"1"

    ok = state.put("config/a", b"2", cas=item.modify_index)
    assert ok.succeeded
    stale = state.put("config/a", b"3", cas=item.modify_index)
    assert not stale.succeeded and stale.current.value == b"2"
    assert state.get("config/a").value == b"2"


def test_concurrent_cas_writers_one_wins_per_index(etcd: Etcd) -> None:
    state = StateStore(etcd)
    index = state.put("counter", b"0").index
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def writer(n: int) -> None:
        barrier.wait()
        results.append(state.put("counter", str(n).encode(), cas=index).succeeded)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1


def test_list_commit_and_delete_prefix(etcd: Etcd) -> None:
    state = StateStore(etcd)
    res = state.commit([], [Write(f"vars/p{i}", str(i).encode()) for i in range(5)])
    assert res.succeeded
    rev, items = state.list("vars/")
    assert [i.path for i in items] == [f"vars/p{i}" for i in range(5)] and rev >= res.index
    # A failed condition applies nothing.
    failed = state.commit([Condition("vars/p0", 1)], [Write("vars/p9", b"x")], read_back="vars/p0")
    assert not failed.succeeded and failed.current.path == "vars/p0"
    assert state.get("vars/p9") is None
    state.delete("vars/", prefix=True)
    assert state.list("vars/")[1] == []


def test_generation_flip_redirects_reads_and_writes(etcd: Etcd) -> None:
    state = StateStore(etcd)
    other = StateStore(etcd)  # a second agent with its own cached generation
    state.put("k", b"old")
    assert other.get("k").value == b"old"
    gen = state.generation()
    # Write a new generation and flip the pointer, as a restore does.
    etcd.txn([cmp_mod(POINTER, gen.mod_revision)], [op_put(b"/raftops/v1/data/2/k", b"new"), op_put(POINTER, b"2")])
    assert other.get("k").value == b"new"  # the stale cache is detected in the same txn
    assert other.put("k2", b"x").succeeded
    assert etcd.get(b"/raftops/v1/data/2/k2").value == b"x"
    assert etcd.get(b"/raftops/v1/data/1/k2") is None


def test_state_revision_ignores_ephemeral_keys(etcd: Etcd) -> None:
    state = StateStore(etcd)
    state.put("a", b"1")
    rev = state.state_revision()
    assert rev == etcd.get(TOUCHED).mod_revision
    lease = etcd.lease_grant(5)
    etcd.put(ALIVE + b"x", b"alive", lease=lease)
    assert state.state_revision() == rev
    state.delete("a")
    assert state.state_revision() > rev


def test_invalid_paths_are_refused(etcd: Etcd) -> None:
    state = StateStore(etcd)
    with pytest.raises(ValueError):
        state.put("/absolute", b"x")
    with pytest.raises(ValueError):
        state.put("", b"x")


def test_lease_keeper_recovers_after_expiry(etcd: Etcd) -> None:
    attached: list[int] = []

    def attach(lease_id: int) -> None:
        attached.append(lease_id)
        etcd.put(b"/raftops-ephemeral/v1/alive/t", b"1", lease=lease_id)

    keeper = LeaseKeeper(etcd, 2, attach, name="test")
    keeper.start()
    try:
        first = keeper.lease_id
        etcd.lease_revoke(first)  # as if the lease had expired while etcd was unreachable
        wait_for(lambda: len(attached) == 2, timeout=5, message="a new lease")
        assert keeper.lease_id != first
        assert etcd.get(b"/raftops-ephemeral/v1/alive/t") is not None
    finally:
        keeper.stop()
    assert etcd.get(b"/raftops-ephemeral/v1/alive/t") is None


def test_election_single_holder_and_handover(etcd: Etcd) -> None:
    a, b = (
        Election(etcd, b"/raftops-ephemeral/v1/election/t", b"a"),
        Election(etcd, b"/raftops-ephemeral/v1/election/t", b"b"),
    )
    la, lb = etcd.lease_grant(5), etcd.lease_grant(5)
    assert a.campaign(la)
    assert not b.campaign(lb)
    assert a.campaign(la)  # re-campaigning confirms without writing
    etcd.lease_revoke(la)  # the holder dies
    assert b.campaign(lb)
    assert b.holder() == b"b"


def test_unreachable_endpoint_is_an_etcd_error() -> None:
    client = Etcd(["http://127.0.0.1:9"], timeout=0.5)
    with pytest.raises(EtcdError) as info:
        client.get(b"x")
    assert info.value.unavailable


def test_failover_to_next_endpoint_for_reads(etcd_member) -> None:
    client = Etcd(["http://127.0.0.1:9", etcd_member.client_url], timeout=0.5)
    client.put(b"/t/x", b"1")
    assert client.get(b"/t/x").value == b"1"


def test_indexes_never_go_backwards_across_a_generation_flip(etcd: Etcd) -> None:
    state = StateStore(etcd)
    gen = state.generation()
    # A restore writes the new generation first...
    written = etcd.txn([], [op_put(b"/raftops/v1/data/7/k", b"restored")]).revision
    # ...then other writers keep writing the old one...
    later = state.put("k", b"newer").index
    assert later > written
    # ...until the pointer flips.
    flip = etcd.txn([cmp_mod(POINTER, gen.mod_revision)], [op_put(POINTER, b"7")]).revision
    item = StateStore(etcd).get("k")
    assert item.value == b"restored" and item.modify_index == flip > later
    assert not state.put("k", b"x", cas=written).succeeded  # the hidden write revision is no index
    assert state.put("k", b"x", cas=flip).succeeded
    assert state.get("k").modify_index > flip
