"""Gateway encoding helpers (pure logic)."""

from __future__ import annotations

from raftops.store.etcd import KeyValue, Member, MemberStatus
from raftops.store.gateway import b64, prefix_end, unb64


def test_prefix_end() -> None:
    assert prefix_end(b"/raftops/") == b"/raftops0"
    assert prefix_end(b"a\xff") == b"b"
    assert prefix_end(b"\xff\xff") == b"\x00"


def test_base64_round_trip() -> None:
    assert unb64(b64("é/x")) == "é/x".encode()
    assert unb64(None) == b""


def test_decoding_tolerates_omitted_defaults() -> None:
    kv = KeyValue.from_json({"key": b64("k"), "create_revision": "2", "mod_revision": "3", "version": "1"})
    assert kv.value == b"" and kv.lease == 0 and kv.mod_revision == 3
    m = Member.from_json({"ID": "2433526653996439672", "peerURLs": ["http://127.0.0.1:22380"]})
    assert m.name == "" and not m.is_learner and m.peer_address == "127.0.0.1:22380"
    s = MemberStatus.from_json({"header": {"member_id": "5"}, "raftTerm": "2"})
    assert s.leader == 0 and s.raft_term == 2 and s.errors == []
