"""store/variables.py on a real etcd: one request per read and per write, CAS, and legacy values."""

from __future__ import annotations

import json

import pytest
from raftops import variables as var
from raftops.store.etcd import Etcd
from raftops.store.state import StateStore
from raftops.store.variables import VariableStore, ctime_path


class Counting:
    """Counts the requests the gateway sends."""

    def __init__(self, etcd: Etcd):
        self.calls: list[str] = []
        gateway = etcd.gateway
        original = gateway.call

        def call(path, *args, **kwargs):
            self.calls.append(path)
            return original(path, *args, **kwargs)

        gateway.call = call


@pytest.fixture
def store(etcd: Etcd) -> tuple[VariableStore, Counting]:
    state = StateStore(etcd)
    state.generation()
    return VariableStore(state, var.legacy_create_time), Counting(etcd)


def value(v: str) -> bytes:
    return var.encode("default", "p", {"v": v}, 5)


def test_every_read_and_write_is_one_request(store) -> None:
    vs, counting = store
    path = var.state_path("default", "one")
    for step in (
        lambda: vs.write(path, value("1"), 100),  # create
        lambda: vs.write(path, value("2"), 200),  # update
        lambda: vs.read(path),
        lambda: vs.list("vars/"),
        lambda: vs.write(path, value("3"), 300, cas=1),  # conflict
        lambda: vs.delete(path, cas=1),  # conflict
        lambda: vs.delete(path),
        lambda: vs.delete(path),  # nothing to delete
        lambda: vs.write(path, value("4"), 400, cas=0),
    ):
        counting.calls.clear()
        step()
        assert counting.calls == ["kv/txn"]


def test_create_update_cas_and_delete_semantics(store) -> None:
    vs, _ = store
    path = var.state_path("default", "sem")
    created = vs.write(path, value("1"), 100)
    assert created.succeeded and created.create_index == created.index and created.create_time == 100
    updated = vs.write(path, value("2"), 200)
    assert updated.succeeded and updated.create_index == created.index and updated.create_time == 100
    assert updated.index > created.index
    rev, stored = vs.read(path)
    assert stored.item.modify_index == updated.index and stored.create_time == 100 and rev >= updated.index

    refused = vs.write(path, value("x"), 300, cas=created.index)
    assert not refused.succeeded and refused.current.item.modify_index == updated.index
    assert refused.current.create_time == 100
    assert not vs.write(path, value("x"), 300, cas=0).succeeded
    ok = vs.write(path, value("3"), 300, cas=updated.index)
    assert ok.succeeded and ok.create_time == 100 and ok.create_index == created.index

    assert not vs.delete(path, cas=0).succeeded
    assert not vs.delete(path, cas=updated.index).succeeded
    assert vs.delete(path, cas=ok.index).succeeded
    assert vs.read(path)[1] is None
    assert vs.state.get(ctime_path(path)) is None  # the sibling went with it
    huge = vs.write(path, value("x"), 400, cas=1 << 63)  # above etcd's int64: a conflict, not an etcd error
    assert not huge.succeeded and huge.current is None
    assert not vs.delete(path, cas=(1 << 64) - 1).succeeded
    missing = vs.write(path, value("1"), 400, cas=7)
    assert not missing.succeeded and missing.current is None
    again = vs.write(path, value("1"), 500, cas=0)
    assert again.succeeded and again.create_time == 500 and again.create_index == again.index


def test_a_legacy_variable_keeps_its_create_time(store) -> None:
    vs, counting = store
    path = var.state_path("default", "legacy")
    legacy = json.dumps(
        {"Namespace": "default", "Path": "legacy", "Items": {"v": "0"}, "CreateTime": 42, "ModifyTime": 42}
    )
    put = vs.state.put(path, legacy.encode())
    rev, stored = vs.read(path)
    assert stored.create_time is None and var.metadata(stored.item, stored.create_time)["CreateTime"] == 42
    written = vs.write(path, value("1"), 100)
    assert written.succeeded and written.create_time == 42 and written.create_index == put.index
    counting.calls.clear()
    assert vs.write(path, value("2"), 200).create_time == 42
    assert counting.calls == ["kv/txn"]  # migrated: one request again

    path2 = var.state_path("default", "legacy-cas")
    put2 = vs.state.put(path2, legacy.encode())
    written = vs.write(path2, value("1"), 100, cas=put2.index)
    assert written.succeeded and written.create_time == 42
