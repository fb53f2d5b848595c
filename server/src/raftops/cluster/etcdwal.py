"""Read an etcd member's write-ahead log offline: who the member is and how far its raft log goes.

Nothing is started and nothing is written, so this is safe on the data directory of a member that is stopped, or
whose cluster has lost quorum. raftops.cluster.guard reads the member and cluster IDs before etcd starts;
playbooks/recover_quorum.yml compares the commit index of stopped survivors with it (``python -m
raftops.cluster.guard wal``).

The format is etcd's (server/storage/wal, unchanged from 3.4 to 3.5): ``member/wal/<seq>-<index>.wal`` files, read
in name order. Each file is a run of frames: an 8-byte little-endian length field (low 56 bits: the record's size;
when the top bit is set, bits 56-58 count the padding bytes after it), then a ``walpb.Record`` protobuf {1: type,
2: crc, 3: data}. A zero length field ends the records of a file (the rest is preallocated). Record types used here:
1 metadata (``etcdserverpb.Metadata`` {1: NodeID, 2: ClusterID}), 2 entry (``raftpb.Entry`` {2: Term, 3: Index}),
3 state (``raftpb.HardState`` {1: Term, 2: Vote, 3: Commit}), 5 snapshot (``walpb.Snapshot`` {1: Index, 2: Term}).
CRCs are not checked: a frame that does not parse ends the read, as etcd's own repair of a torn tail does.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

METADATA, ENTRY, STATE, CRC, SNAPSHOT = 1, 2, 3, 4, 5
MAX_RECORD = 1 << 30  # a larger size field is garbage (etcd itself refuses records over its 10 MB request limit)


class WALError(Exception):
    """The data directory holds no readable write-ahead log."""


@dataclass(frozen=True)
class WALState:
    member_id: int
    cluster_id: int
    term: int  # HardState: the term the member was in
    vote: int
    commit: int  # HardState: the highest index the member knew to be committed (what --force-new-cluster keeps)
    last_index: int  # the last entry of its log (committed or not)
    last_term: int
    snapshot_index: int
    files: int
    torn_tail: bool  # the last frame did not parse (a write cut short by a crash); etcd repairs it on start

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("member_id", "cluster_id", "vote"):
            out[key] = f"{out[key]:x}"
        return out


def wal_dir(data_dir: str | os.PathLike[str]) -> Path:
    return Path(data_dir) / "member" / "wal"


def has_wal(data_dir: str | os.PathLike[str]) -> bool:
    d = wal_dir(data_dir)
    return d.is_dir() and any(p.suffix == ".wal" for p in d.iterdir())


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _fields(buf: memoryview) -> Iterator[tuple[int, int | memoryview]]:
    """(field number, value) of a protobuf message: ints for varints, memoryviews for everything else."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        value: int | memoryview
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value = buf[pos : pos + size]
            pos += size
        elif wire == 1:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 5:
            value, pos = buf[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if pos > len(buf):
            raise ValueError("truncated field")
        yield number, value


def _ints(buf: memoryview) -> dict[int, int]:
    return {n: v for n, v in _fields(buf) if isinstance(v, int)}


def _records(data: memoryview) -> Iterator[tuple[int, memoryview] | None]:
    """(type, data) of every record of one file; None last when a frame does not parse."""
    pos = 0
    while pos + 8 <= len(data):
        (field,) = struct.unpack_from("<Q", data, pos)
        if field == 0:
            return
        size = field & ((1 << 56) - 1)
        pad = (field >> 56) & 0x7 if field >> 63 else 0
        end = pos + 8 + size
        if size > MAX_RECORD or end + pad > len(data):
            yield None
            return
        try:
            rec = dict(_fields(data[pos + 8 : end]))
            rtype = rec.get(1, 0)
            payload = rec.get(3, memoryview(b""))
        except ValueError:
            yield None
            return
        if not isinstance(rtype, int) or isinstance(payload, int):
            yield None
            return
        yield rtype, payload
        pos = end + pad


def read(data_dir: str | os.PathLike[str]) -> WALState:
    """The member's identity and log position from ``<data_dir>/member/wal``."""
    d = wal_dir(data_dir)
    names = sorted(p for p in d.iterdir() if p.suffix == ".wal") if d.is_dir() else []
    if not names:
        raise WALError(f"no etcd write-ahead log in {d}")
    member_id = cluster_id = term = vote = commit = last_index = last_term = snap_index = 0
    torn = False
    for path in names:
        with open(path, "rb") as f:
            data = memoryview(f.read())
        for record in _records(data):
            if record is None:
                torn = True
                break
            rtype, payload = record
            try:
                if rtype == METADATA:
                    meta = _ints(payload)
                    member_id, cluster_id = meta.get(1, member_id), meta.get(2, cluster_id)
                elif rtype == ENTRY:
                    entry = _ints(payload)
                    # A later entry with a lower index replaced the tail of the log (a new leader's): last wins.
                    last_index, last_term = entry.get(3, 0), entry.get(2, 0)
                elif rtype == STATE:
                    state = _ints(payload)
                    if state:  # an empty HardState is written before a snapshot and changes nothing
                        term, vote, commit = state.get(1, 0), state.get(2, 0), state.get(3, 0)
                elif rtype == SNAPSHOT:
                    snap = _ints(payload)
                    snap_index = max(snap_index, snap.get(1, 0))
            except ValueError:
                torn = True
                break
        if torn:
            break  # etcd tolerates a torn frame only at the very end: nothing after it counts
    if not member_id or not cluster_id:
        raise WALError(f"the write-ahead log in {d} names no member and cluster (not an etcd data directory?)")
    return WALState(
        member_id=member_id,
        cluster_id=cluster_id,
        term=term,
        vote=vote,
        commit=commit,
        last_index=max(last_index, snap_index),
        last_term=last_term,
        snapshot_index=snap_index,
        files=len(names),
        torn_tail=torn,
    )
