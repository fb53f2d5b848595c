# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline archive verification: archives written here by the rules of docs/snapshot-format.md, then damaged.

The writer below follows the format document (gzip of a ustar tar with meta.json, state.bin, SHA256SUMS), not the
server's code, so these tests also check that the module reads the documented format.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import struct
import tarfile

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils._archive import (
    ArchiveError,
    StateParser,
    digest_header,
    digest_mismatch,
    inspect_file,
    inspect_stream,
    summary,
)

RECORDS = (
    ("acl/policy/ops", b'{"Name": "ops"}', 5, 7),
    ("acl/token/abc", b"{}", 6, 6),
    ("operator/autopilot", b'{"CleanupDeadServers": true}', 8, 9),
    ("vars/default/app/db", b'{"Items": {"a": "b"}}', 10, 10),
)


def state_bin(records=RECORDS, count=None, tail=b""):
    out = bytearray(b"raftops-state 1\n")
    for path, value, create, modify in records:
        raw = path.encode()
        out += b"\x01" + struct.pack(">I", len(raw)) + raw + struct.pack(">I", len(value)) + value
        out += struct.pack(">QQ", create, modify)
    out += b"\x00" + struct.pack(">Q", len(records) if count is None else count) + tail
    return bytes(out)


def meta_for(state, items, **changes):
    meta = {
        "Version": 1,
        "ID": "2-40-1795480486847",
        "Index": 40,
        "Term": 2,
        "Peers": None,
        "Configuration": {"Servers": [{"Suffrage": 0, "ID": "s1", "Address": "10.0.0.1:2380"}]},
        "ConfigurationIndex": 40,
        "Size": len(state),
        "Raftops": {
            "Revision": 12,
            "StateRevision": 11,
            "Generation": "1",
            "ClusterID": "c1",
            "RaftopsVersion": "0.1.0",
            "EtcdVersion": "3.4.23",
            "Stale": False,
            "Members": [{"Name": "server1", "Address": "10.0.0.1:2380"}],
            "SchemaVersion": 1,
            "Format": "raftops-state",
            "FormatVersion": 1,
            "CreatedAt": "2026-11-24T00:34:46Z",
            "Items": items,
        },
    }
    meta["Raftops"].update(changes.pop("raftops", {}))
    meta.update(changes)
    return meta


def tar_bytes(members, end=True):
    out = io.BytesIO()
    for name, data in members:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o600
        info.mtime = 1795480486
        out.write(info.tobuf(tarfile.USTAR_FORMAT, "utf-8", "strict"))
        out.write(data + bytes(-len(data) % 512))
    if end:
        out.write(bytes(1024))
    return out.getvalue()


def archive(state=None, meta=None, sums=None, members=None, end=True):
    state = state_bin() if state is None else state
    meta_raw = (json.dumps(meta if meta is not None else meta_for(state, len(RECORDS))) + "\n").encode()
    if sums is None:
        sums = f"{hashlib.sha256(meta_raw).hexdigest()}  meta.json\n{hashlib.sha256(state).hexdigest()}  state.bin\n"
    if members is None:
        members = [("meta.json", meta_raw), ("state.bin", state), ("SHA256SUMS", sums.encode())]
    return gzip.compress(tar_bytes(members, end), mtime=0)


def inspect(data):
    return inspect_stream(io.BytesIO(data))


def test_a_valid_archive_is_described():
    data = archive()
    info = inspect(data)
    assert info["size"] == len(data)
    assert info["sha256"] == hashlib.sha256(data).hexdigest()
    assert info["digest"] == "sha-256=" + base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert info["items"] == 4
    assert info["item_counts"] == {"acl": 2, "operator": 1, "vars": 1}
    assert [m["name"] for m in info["members"]] == ["meta.json", "state.bin", "SHA256SUMS"]
    assert info["members"][1]["size"] == info["meta"]["Size"]
    assert summary(info)["state_revision"] == 11
    assert summary(info)["members"] == ["server1@10.0.0.1:2380"]


def test_inspect_file_reads_from_disk(tmp_path):
    path = tmp_path / "a.snap"
    path.write_bytes(archive())
    assert inspect_file(str(path))["items"] == 4
    with pytest.raises(OSError):
        inspect_file(str(tmp_path / "missing.snap"))


def test_an_empty_state_is_valid():
    state = state_bin([])
    info = inspect(archive(state=state, meta=meta_for(state, 0)))
    assert info["items"] == 0 and info["item_counts"] == {}


def test_a_large_state_is_parsed_across_slices():
    records = [(f"vars/default/k{i:06d}", b"x" * 3000, i + 1, i + 1) for i in range(1200)]
    state = state_bin(records)
    info = inspect(archive(state=state, meta=meta_for(state, len(records))))
    assert info["items"] == 1200 and info["item_counts"] == {"vars": 1200}


def test_zero_padding_to_a_tar_record_is_accepted():
    state = state_bin()
    meta_raw = (json.dumps(meta_for(state, 4)) + "\n").encode()
    sums = f"{hashlib.sha256(meta_raw).hexdigest()}  meta.json\n{hashlib.sha256(state).hexdigest()}  state.bin\n"
    body = tar_bytes([("meta.json", meta_raw), ("state.bin", state), ("SHA256SUMS", sums.encode())])
    body += bytes(-len(body) % 10240)
    assert inspect(gzip.compress(body))["items"] == 4


@pytest.mark.parametrize("offset_fraction", [0.1, 0.3, 0.5, 0.7, 0.9])
def test_a_flipped_compressed_byte_is_refused(offset_fraction):
    data = bytearray(archive())
    data[int(len(data) * offset_fraction)] ^= 0x10
    with pytest.raises(ArchiveError):
        inspect(bytes(data))


def test_every_flipped_decompressed_byte_is_refused():
    raw = gzip.decompress(archive())
    end = len(raw) - 1024  # every byte before the two end-of-archive blocks
    for offset in range(0, end, 7):
        damaged = bytearray(raw)
        damaged[offset] ^= 0x01
        with pytest.raises(ArchiveError):
            inspect(gzip.compress(bytes(damaged)))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "failed to decompress snapshot: EOF"),
        (b"not gzip at all", "gzip: invalid header"),
        (archive()[:-20], "unexpected EOF"),
        (archive() + b"junk", "4 bytes of trailing data after the gzip stream"),
        (gzip.compress(b"x" * 600, mtime=0), "invalid tar header"),
    ],
)
def test_broken_streams_are_refused(data, message):
    with pytest.raises(ArchiveError, match=message.replace("[", r"\[")):
        inspect(data)


def test_member_rules():
    state = state_bin()
    meta_raw = (json.dumps(meta_for(state, 4)) + "\n").encode()
    sums = (
        f"{hashlib.sha256(meta_raw).hexdigest()}  meta.json\n{hashlib.sha256(state).hexdigest()}  state.bin\n"
    ).encode()
    cases = [
        ([("meta.json", meta_raw), ("state.bin", state)], 'missing file "SHA256SUMS"'),
        ([("meta.json", meta_raw), ("state.bin", state), ("SHA256SUMS", sums), ("x", b"")], 'unexpected file "x"'),
        ([("meta.json", meta_raw), ("meta.json", meta_raw)], 'duplicate file "meta.json"'),
        ([("state.bin", state), ("meta.json", meta_raw), ("SHA256SUMS", sums)], "members are in the order"),
    ]
    for members, message in cases:
        with pytest.raises(ArchiveError, match=message):
            inspect(archive(members=members))
    with pytest.raises(ArchiveError, match="unexpected EOF"):
        inspect(archive(end=False))


@pytest.mark.parametrize(
    ("sums", "message"),
    [
        ("0" * 64 + "  meta.json\n", 'hash check failed for "meta.json"'),
        ("", "SHA256SUMS does not end with a newline"),
        ("xyz\n", "malformed SHA256SUMS line 1"),
        ("0" * 64 + "  other.txt\n", 'list missing hash for "other.txt"'),
    ],
)
def test_sums_rules(sums, message):
    with pytest.raises(ArchiveError, match=message):
        inspect(archive(sums=sums))


def test_a_sums_file_must_list_both_files():
    state = state_bin()
    meta_raw = (json.dumps(meta_for(state, 4)) + "\n").encode()
    with pytest.raises(ArchiveError, match='file missing for "state.bin"'):
        inspect(archive(sums=f"{hashlib.sha256(meta_raw).hexdigest()}  meta.json\n"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"Version": 2}, "unsupported snapshot version 2"),
        ({"Size": 1}, "snapshot metadata says Size 1"),
        ({"Raftops": None}, "not a raftops snapshot"),
        ({"raftops": {"SchemaVersion": 2}}, "unsupported snapshot schema version 2"),
        ({"raftops": {"Format": "other"}}, "unsupported state format 'other'"),
        ({"raftops": {"Items": -1}}, "invalid Raftops.Items -1"),
        ({"raftops": {"Items": 3}}, "meta.json says 3 items, state.bin holds 4"),
    ],
)
def test_meta_rules(changes, message):
    state = state_bin()
    with pytest.raises(ArchiveError, match=message):
        inspect(archive(state=state, meta=meta_for(state, 4, **changes)))


def test_meta_must_be_a_json_object():
    state = state_bin()
    for raw in (b"{", b"[]"):
        sums = f"{hashlib.sha256(raw).hexdigest()}  meta.json\n{hashlib.sha256(state).hexdigest()}  state.bin\n"
        members = [("meta.json", raw), ("state.bin", state), ("SHA256SUMS", sums.encode())]
        with pytest.raises(ArchiveError, match="failed to decode snapshot metadata"):
            inspect(archive(members=members))


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (b"raftops-state 2\n\x00" + bytes(8), "unsupported raftops-state version '2'"),
        (b"something else entirely\n", "not a raftops-state file"),
        (state_bin(count=9), "end record declares 9 records but 4 were read"),
        (state_bin(tail=b"x"), "data after the end record"),
        (state_bin()[:-9], "truncated at byte .* while reading a record tag"),
        (state_bin(list(reversed(RECORDS))), "is not after"),
        (b"raftops-state 1\n\x07", "unknown record tag 0x07"),
        (b"raftops-state 1\n\x01" + struct.pack(">I", 0), "invalid path length 0"),
        (b"raftops-state 1\n\x01" + struct.pack(">I", 2) + b"/a" + struct.pack(">IQQ", 0, 1, 1), "invalid path '/a'"),
        (b"raftops-state 1\n\x01" + struct.pack(">I", 1) + b"a" + struct.pack(">I", 3 << 20), "over the 2097152 limit"),
    ],
)
def test_state_rules(state, message):
    parser = StateParser()
    with pytest.raises(ArchiveError, match=message):
        parser.feed(state)
        parser.finish()


def test_state_parser_takes_any_slicing():
    state = state_bin()
    for size in (1, 2, 3, 7, 64):
        parser = StateParser()
        for start in range(0, len(state), size):
            parser.feed(state[start : start + size])
        parser.finish()
        assert parser.count == 4
        assert parser.prefixes == {"acl": 2, "operator": 1, "vars": 1}


def test_digest_check():
    body = b"an archive"
    sha = hashlib.sha256(body).digest()
    assert digest_mismatch(digest_header(sha), sha) is None
    assert digest_mismatch("SHA-256=" + base64.b64encode(sha).decode(), sha) is None
    assert digest_mismatch(digest_header(hashlib.sha256(b"other").digest()), sha) == "mismatch checksum"
    assert digest_mismatch(None, sha) == "the response has no Digest header"
    assert "invalid digest format" in digest_mismatch("sha-256", sha)
    assert "unsupported digest algorithm" in digest_mismatch("md5=abc", sha)
    assert "invalid digest value" in digest_mismatch("sha-256=@@@", sha)


def nomad_archive(state=b"\x00msgpack of a Nomad FSM"):
    """A Nomad server's archive: the same container, Nomad's own state.bin, meta.json without a Raftops section."""
    meta = {"Version": 1, "ID": "3-120-1795480486847", "Index": 120, "Term": 3, "Size": len(state)}
    return archive(state=state, meta=meta)


def test_a_nomad_archive_is_refused_unless_allowed():
    data = nomad_archive()
    with pytest.raises(ArchiveError, match="not a raftops snapshot"):
        inspect(data)
    info = inspect_stream(io.BytesIO(data), allow_nomad=True)
    assert info["format"] == "nomad"
    assert info["items"] is None and info["item_counts"] == {}
    assert info["meta"]["Index"] == 120
    assert summary(info)["id"] == "3-120-1795480486847" and summary(info)["state_revision"] is None


def test_a_nomad_archive_still_has_its_container_and_hashes_checked():
    data = bytearray(gzip.decompress(nomad_archive()))
    data[1536 + 3] ^= 0x01  # inside state.bin (after the meta.json header and block and its own header)
    with pytest.raises(ArchiveError, match='hash check failed for "state.bin"'):
        inspect_stream(io.BytesIO(gzip.compress(bytes(data))), allow_nomad=True)
    state = b"x" * 10
    meta = {"Version": 1, "Size": 99}
    with pytest.raises(ArchiveError, match="snapshot metadata says Size 99"):
        inspect_stream(io.BytesIO(archive(state=state, meta=meta)), allow_nomad=True)


def test_a_raftops_archive_is_a_raftops_archive_either_way():
    assert inspect_stream(io.BytesIO(archive()), allow_nomad=True)["format"] == "raftops"
    assert inspect(archive())["format"] == "raftops"
