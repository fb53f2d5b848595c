"""The snapshot archive format: writing, verifying, reading, and every way an archive can be broken."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
import tarfile
import tracemalloc
import zlib

import pytest
from raftops.snapshot import archive, statebin
from raftops.snapshot.archive import ArchiveError
from raftops.snapshot.statebin import StateFormatError, StateRecord

SERVERS = [{"Suffrage": 0, "ID": "6c1e8b55-6b1f-4b83-9c71-0f3f0b7f6e21", "Address": "127.0.0.11:2380"}]


def records(n: int = 40, size: int = 24) -> list[StateRecord]:
    out = [
        StateRecord("acl/policy/readonly", b'{"Rules":"namespace \\"*\\" {}"}', 3, 4),
        StateRecord("operator/autopilot", b'{"CleanupDeadServers":true}', 5, 9),
    ]
    out += [StateRecord(f"vars/default/app/{i:04d}", bytes([i % 251]) * size, 10 + i, 20 + i) for i in range(n)]
    out.append(StateRecord("vars/prod/\u00e9t\u00e9", b"", 100, 100))  # UTF-8 path, empty value
    return sorted(out, key=lambda r: r.path.encode())


def build(recs: list[StateRecord] | None = None, **raftops: object) -> tuple[bytes, dict]:
    meta = archive.new_meta(index=10, term=2, servers=SERVERS, raftops={"Revision": 42, **raftops}, now=1546615723.344)
    with archive.create(records() if recs is None else recs, meta, mtime=1546615723) as a:
        return b"".join(a.chunks()), a.meta


def members(body: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as t:
        return {m.name: t.extractfile(m).read() for m in t.getmembers()}


def pack(entries: list[tuple[str, bytes]], *, level: int = 6) -> bytes:
    """An archive written by Python's tarfile (an independent writer) from raw member bytes."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o600, 1546615723
            t.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), compresslevel=level, mtime=0)


def sums(*named: tuple[str, bytes]) -> bytes:
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in named).encode()


def verify(body: bytes, chunk: int = 4096) -> archive.VerifiedArchive:
    return archive.verify(body[i : i + chunk] for i in range(0, len(body), chunk))


def rejected(body: bytes) -> str:
    with pytest.raises(ArchiveError) as err:
        verify(body).close()
    return str(err.value)


# -- writing -------------------------------------------------------------------------------------
def test_round_trip_members_meta_and_digest() -> None:
    recs = records()
    body, meta = build(recs)
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as t:
        infos = t.getmembers()
        assert [m.name for m in infos] == ["meta.json", "state.bin", "SHA256SUMS"]
        assert all(m.mode == 0o600 and m.isreg() for m in infos)
    got = members(body)
    assert got["meta.json"].endswith(b"\n") and json.loads(got["meta.json"]) == meta
    assert meta["ID"] == "2-10-1546615723344" and meta["Index"] == 10 and meta["Term"] == 2
    assert meta["Version"] == 1 and meta["Configuration"] == {"Servers": SERVERS}
    assert meta["Size"] == len(got["state.bin"])
    assert meta["Raftops"]["Items"] == len(recs) and meta["Raftops"]["SchemaVersion"] == 1
    assert meta["Raftops"]["Revision"] == 42 and meta["Raftops"]["Format"] == "raftops-state"
    lines = got["SHA256SUMS"].decode().splitlines()
    assert lines == [
        f"{hashlib.sha256(got['meta.json']).hexdigest()}  meta.json",
        f"{hashlib.sha256(got['state.bin']).hexdigest()}  state.bin",
    ]
    with verify(body, chunk=7) as v:
        assert list(v.records()) == recs
        assert list(v.records()) == recs  # readable more than once
        assert v.digest == "sha-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
        assert v.meta == meta and v.items == len(recs)


def test_nomad_inspect_fields_come_first() -> None:
    _, meta = build()
    assert archive.summary(meta)[:5] == [
        ("ID", "2-10-1546615723344"),
        ("Size", str(meta["Size"])),
        ("Index", "10"),
        ("Term", "2"),
        ("Version", "1"),
    ]


def test_empty_state_round_trips() -> None:
    body, meta = build([])
    with verify(body) as v:
        assert list(v.records()) == [] and meta["Raftops"]["Items"] == 0


def test_archives_from_another_tar_writer_are_read() -> None:
    body, _ = build()
    got = members(body)
    repacked = pack([(n, got[n]) for n in archive.MEMBERS])  # padded to 10 KiB records by tarfile
    with verify(repacked) as v:
        assert list(v.records()) == records()


def test_digest_header_is_checked_like_nomads_client() -> None:
    sha = hashlib.sha256(b"body").digest()
    archive.check_digest(archive.digest_header(sha), sha)
    with pytest.raises(ArchiveError, match="mismatch checksum"):
        archive.check_digest(archive.digest_header(sha), hashlib.sha256(b"other").digest())
    with pytest.raises(ArchiveError, match="invalid digest format"):
        archive.check_digest("sha-256", sha)
    with pytest.raises(ArchiveError, match="unsupported digest algorithm"):
        archive.check_digest("md5=" + base64.b64encode(sha).decode(), sha)


def test_create_and_verify_keep_memory_bounded() -> None:
    """A 20 MB state never sits in memory: spool files roll over to disk past 4 MiB."""
    value = bytes(range(256)) * 16  # 4 KiB
    n = 5000

    def lazy() -> object:
        for i in range(n):
            yield StateRecord(f"vars/default/big/{i:06d}", value, i + 1, i + 1)

    meta = archive.new_meta(index=1, term=1, servers=[], raftops={})
    tracemalloc.start()
    try:
        with archive.create(lazy(), meta, level=1) as a:
            _, create_peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            with archive.verify(a.chunks()) as v:
                assert v.items == n and sum(1 for _ in v.records()) == n
                _, verify_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    state_bytes = n * len(value)
    assert state_bytes > 20_000_000
    assert create_peak < 12_000_000, create_peak
    assert verify_peak < 12_000_000, verify_peak


# -- state.bin -------------------------------------------------------------------------------------
def statebin_bytes(recs: list[StateRecord]) -> bytes:
    out = io.BytesIO()
    w = statebin.StateBinWriter(out)
    for r in recs:
        w.add(r)
    size, sha = w.finish()
    data = out.getvalue()
    assert size == len(data) and sha == hashlib.sha256(data).digest()
    return data


def test_statebin_layout_is_the_documented_one() -> None:
    data = statebin_bytes([StateRecord("a/b", b"xyz", 7, 9)])
    assert data == (
        b"raftops-state 1\n"
        + b"\x01"
        + (3).to_bytes(4, "big")
        + b"a/b"
        + (3).to_bytes(4, "big")
        + b"xyz"
        + (7).to_bytes(8, "big")
        + (9).to_bytes(8, "big")
        + b"\x00"
        + (1).to_bytes(8, "big")
    )
    assert list(statebin.read_records(io.BytesIO(data))) == [StateRecord("a/b", b"xyz", 7, 9)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a raftops-state file"),
        (b"raftops-state 2\n\x00" + bytes(8), "unsupported raftops-state version '2'"),
        (b"raftops-state 1\n", "truncated at byte 16 while reading a record tag"),
        (b"raftops-state 1\n\x02", "unknown record tag 0x02"),
        (b"raftops-state 1\n\x00" + (1).to_bytes(8, "big"), "declares 1 records but 0 were read"),
        (b"raftops-state 1\n\x00" + bytes(8) + b"x", "data after the end record"),
        (b"raftops-state 1\n\x01" + bytes(4), "invalid path length 0"),
        (b"raftops-state 1\n\x01" + (1).to_bytes(4, "big") + b"/", "invalid path '/'"),
        (b"raftops-state 1\n\x01" + (1).to_bytes(4, "big") + b"\xff", "is not UTF-8"),
        (b"raftops-state 1\n\x01" + (1).to_bytes(4, "big") + b"a" + (2**31).to_bytes(4, "big"), "over the"),
    ],
)
def test_statebin_format_errors(data: bytes, message: str) -> None:
    with pytest.raises(StateFormatError, match=re.escape(message)):
        list(statebin.read_records(io.BytesIO(data)))


def test_statebin_rejects_unsorted_and_duplicate_paths() -> None:
    with pytest.raises(StateFormatError, match="out of order"):
        statebin_bytes([StateRecord("b", b"", 1, 1), StateRecord("a", b"", 1, 1)])
    one = statebin_bytes([StateRecord("a", b"1", 1, 1)])
    record = one[len(statebin.HEADER) : -9]
    twice = statebin.HEADER + record + record + b"\x00" + (2).to_bytes(8, "big")
    with pytest.raises(StateFormatError, match="is not after 'a'"):
        list(statebin.read_records(io.BytesIO(twice)))


# -- single-byte corruption of each member, and of the compressed stream ---------------------------
@pytest.mark.parametrize("name", ["meta.json", "state.bin", "SHA256SUMS"])
def test_every_single_byte_corruption_of_a_member_is_rejected(name: str) -> None:
    body, _ = build(records(n=8, size=8))
    got = members(body)
    original = got[name]
    assert len(original) > 100
    for offset in range(len(original)):
        for mask in (0x01, 0xFF):
            broken = bytearray(original)
            broken[offset] ^= mask
            entries = [(n, bytes(broken) if n == name else got[n]) for n in archive.MEMBERS]
            message = rejected(pack(entries, level=1))
            assert message.startswith("failed to read snapshot file: failed checking integrity of snapshot: "), (
                offset,
                message,
            )


def test_sampled_corruption_of_a_large_state_bin_is_rejected() -> None:
    body, _ = build(records(n=2000, size=100))
    got = members(body)
    state = got["state.bin"]
    assert len(state) > 200_000
    for offset in list(range(0, len(state), 2999)) + [len(state) - 1]:
        broken = bytearray(state)
        broken[offset] ^= 0x20
        message = rejected(
            pack(
                [("meta.json", got["meta.json"]), ("state.bin", bytes(broken)), ("SHA256SUMS", got["SHA256SUMS"])],
                level=1,
            )
        )
        assert message.endswith('hash check failed for "state.bin"'), (offset, message)


def test_every_single_byte_corruption_of_the_compressed_stream_is_caught_or_harmless() -> None:
    """A flip is rejected, or it did not change a single decompressed byte.

    Deflate has bits whose change yields the same output (the gzip header's MTIME, XFL and OS
    fields, a match distance pointing at an identical earlier copy): those are accepted and
    harmless. Every flip that changes the content is caught by the gzip CRC or a SHA-256.
    """
    body, _ = build()
    reference = zlib.decompress(body, 31)
    accepted = []
    for offset in range(len(body)):
        for mask in (0x01, 0x80, 0xFF):
            broken = bytearray(body)
            broken[offset] ^= mask
            try:
                content = zlib.decompress(bytes(broken), 31)
            except zlib.error:
                content = None
            try:
                verify(bytes(broken)).close()
            except ArchiveError as exc:
                assert str(exc).startswith(("failed to decompress snapshot: ", "failed to read snapshot file: ")), exc
                continue
            assert content == reference, (offset, mask)
            accepted.append(offset)
    assert set(range(4, 10)) <= set(accepted)  # MTIME, XFL and OS are not covered by any checksum


# -- structural errors, each with its own message ---------------------------------------------------
def test_missing_extra_duplicate_and_misordered_members() -> None:
    body, _ = build()
    got = members(body)
    meta, state, sha = got["meta.json"], got["state.bin"], got["SHA256SUMS"]
    assert rejected(pack([("meta.json", meta), ("SHA256SUMS", sha)])) == (
        'failed to read snapshot file: missing file "state.bin" in snapshot'
    )
    assert rejected(pack([("meta.json", meta), ("state.bin", state)])) == (
        'failed to read snapshot file: missing file "SHA256SUMS" in snapshot'
    )
    assert rejected(pack([("meta.json", meta), ("state.bin", state), ("SHA256SUMS", sha), ("nope", b"x")])) == (
        'failed to read snapshot file: unexpected file "nope" in snapshot'
    )
    assert rejected(pack([("meta.json", meta), ("meta.json", meta), ("state.bin", state), ("SHA256SUMS", sha)])) == (
        'failed to read snapshot file: duplicate file "meta.json" in snapshot'
    )
    assert "in that order" in rejected(pack([("state.bin", state), ("meta.json", meta), ("SHA256SUMS", sha)]))


def test_sha256sums_problems() -> None:
    body, _ = build()
    got = members(body)
    meta, state = got["meta.json"], got["state.bin"]

    def with_sums(text: bytes) -> str:
        return rejected(pack([("meta.json", meta), ("state.bin", state), ("SHA256SUMS", text)]))

    prefix = "failed to read snapshot file: failed checking integrity of snapshot: "
    assert with_sums(sums(("meta.json", meta))) == prefix + 'file missing for "state.bin"'
    assert with_sums(sums(("meta.json", meta), ("state.bin", state), ("nope", b""))) == (
        prefix + 'list missing hash for "nope"'
    )
    assert with_sums(sums(("meta.json", meta), ("state.bin", b"other"))) == prefix + 'hash check failed for "state.bin"'
    assert with_sums(sums(("meta.json", meta), ("meta.json", meta))).endswith('lists "meta.json" twice')
    assert with_sums(sums(("meta.json", meta), ("state.bin", state)).upper()).startswith(prefix + "malformed")
    assert with_sums(sums(("meta.json", meta), ("state.bin", state))[:-1]).endswith("does not end with a newline")


def test_truncated_gzip_at_any_length_is_rejected() -> None:
    body, _ = build()
    for cut in range(len(body)):
        message = rejected(body[:cut])
        if cut == 0:
            assert message == "failed to decompress snapshot: EOF"
        else:
            assert message == "failed to read snapshot file: failed reading snapshot: unexpected EOF", (cut, message)


def test_not_gzip_trailing_data_and_bad_tar() -> None:
    body, _ = build()
    assert rejected(b"this is not gzip").startswith("failed to decompress snapshot: gzip: invalid header")
    assert (
        rejected(body + b"garbage") == "failed to decompress snapshot: 7 bytes of trailing data after the gzip stream"
    )
    raw = zlib.decompress(body, 31)
    assert (
        rejected(gzip.compress(raw + b"\x01" * 10))
        == "failed to read snapshot file: 10 unread uncompressed bytes remain"
    )
    header = bytearray(raw)
    header[100] ^= 0x01  # inside the first tar header's mode field: the header checksum no longer matches
    assert "invalid tar header" in rejected(gzip.compress(bytes(header)))
    not_regular = io.BytesIO()
    with tarfile.open(fileobj=not_regular, mode="w") as t:
        info = tarfile.TarInfo("meta.json")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        t.addfile(info)
    assert rejected(gzip.compress(not_regular.getvalue())) == (
        'failed to read snapshot file: "meta.json" is not a regular file'
    )


def resealed(meta: dict | bytes, state: bytes) -> bytes:
    """An archive with valid hashes around content that is wrong in itself."""
    raw = meta if isinstance(meta, bytes) else archive.encode_meta(meta)
    return pack(
        [("meta.json", raw), ("state.bin", state), ("SHA256SUMS", sums(("meta.json", raw), ("state.bin", state)))]
    )


def test_meta_and_schema_problems_with_valid_hashes() -> None:
    body, meta = build()
    state = members(body)["state.bin"]
    assert rejected(resealed(b'{"Version": 1,', state)).startswith(
        "failed to read snapshot file: failed to decode snapshot metadata: "
    )
    assert rejected(resealed(b"[1, 2]", state)).endswith("failed to decode snapshot metadata: not a JSON object")
    schema = json.loads(json.dumps(meta))
    schema["Raftops"]["SchemaVersion"] = 2
    assert rejected(resealed(schema, state)) == "unsupported snapshot schema version 2 (this raftops supports 1)"
    fmt = json.loads(json.dumps(meta))
    fmt["Raftops"]["FormatVersion"] = 9
    assert rejected(resealed(fmt, state)).startswith("unsupported state format 'raftops-state' version 9")
    nomad = {k: v for k, v in meta.items() if k != "Raftops"}
    assert rejected(resealed(nomad, state)).startswith("not a raftops snapshot")
    version = dict(meta, Version=2)
    assert rejected(resealed(version, state)) == "unsupported snapshot version 2 (this raftops reads 1)"
    size = dict(meta, Size=meta["Size"] + 1)
    assert rejected(resealed(size, state)).startswith(f"snapshot metadata says Size {meta['Size'] + 1}")
    items = json.loads(json.dumps(meta))
    items["Raftops"]["Items"] += 1
    assert rejected(resealed(items, state)).startswith("invalid snapshot state: meta.json says")
    broken_state = state[:-9] + b"\x00" + (999).to_bytes(8, "big")
    assert rejected(resealed(dict(meta, Size=len(broken_state)), broken_state)).startswith(
        "invalid snapshot state: end record declares 999 records"
    )
