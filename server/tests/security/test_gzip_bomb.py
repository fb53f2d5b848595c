"""Gzip bombs sent to snapshot restore are refused early, in bounded memory, with the agent unharmed.

A bomb here is a Nomad-format archive (gzip of a tar) about 1 MB long that inflates to 1 GiB of zeros:
built from one deflate block of zeros repeated after full flushes, so the test does not spend seconds
compressing. Three shapes, against a real agent (its peak RSS read from /proc, reset before each):

* ``state.bin`` declaring 1 GiB, sent with a Content-Length: refused from its tar header, before a byte
  of it is inflated;
* the same bomb streamed without a length (chunked): refused by the inflation-ratio limit;
* a valid archive followed by 1 GiB of zeros inside the gzip stream: refused after a bounded count.

The existing texts and statuses of restore stay (500 ``failed to restore from snapshot: ...``). The
limits themselves (ratio, total, the environment overrides) and a legitimately compressible archive
are checked on the archive module directly.
"""

from __future__ import annotations

import gzip
import struct
import tarfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from raftops.snapshot import archive
from raftops.snapshot.statebin import StateRecord

from .helpers import Target, running

GIB = 1024**3
BLOCK = 1024 * 1024
PATH = "/v1/operator/snapshot"


def gzip_with_zeros(prefix: bytes, zeros: int, suffix: bytes = b"") -> bytes:
    """gzip(prefix + zeros * b"\\0" + suffix), fast: after a full flush, equal input deflates to equal bytes."""
    assert zeros % BLOCK == 0
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = [b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", z.compress(prefix), z.flush(zlib.Z_FULL_FLUSH)]
    first = z.compress(bytes(BLOCK)) + z.flush(zlib.Z_FULL_FLUSH)
    repeat = z.compress(bytes(BLOCK)) + z.flush(zlib.Z_FULL_FLUSH)
    out.append(first)
    out += [repeat] * (zeros // BLOCK - 1)
    out += [z.compress(suffix), z.flush()]
    crc = zlib.crc32(prefix)
    block_crc = bytes(BLOCK)
    for _ in range(zeros // BLOCK):
        crc = zlib.crc32(block_crc, crc)
    crc = zlib.crc32(suffix, crc)
    out.append(struct.pack("<II", crc & 0xFFFFFFFF, (len(prefix) + zeros + len(suffix)) & 0xFFFFFFFF))
    return b"".join(out)


def tar_header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(time.time())
    return info.tobuf(tarfile.USTAR_FORMAT)


def declared_bomb(size: int = GIB) -> bytes:
    meta = archive.encode_meta({"Version": 1})
    prefix = tar_header(archive.META, len(meta)) + meta + bytes(-len(meta) % 512) + tar_header(archive.STATE, size)
    return gzip_with_zeros(prefix, size, bytes(1024))


def small_archive() -> bytes:
    records = [StateRecord(f"vars/default/a{i}", b'{"Items": {"k": "v"}}', 5, 5) for i in range(3)]
    with archive.create(records, archive.new_meta(index=1, term=1, servers=[], raftops={})) as a:
        return b"".join(a.chunks())


@pytest.fixture(scope="module")
def target(cluster_root: Path) -> Iterator[Target]:
    with running(cluster_root, "gzip-bomb") as t:
        yield t


class Peak:
    """The agent's resident memory: its baseline, and its peak since :meth:`reset`."""

    def __init__(self, t: Target):
        self.pid = t.cluster.pid(t.cluster.nodes[0], "agent")

    def _field(self, name: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
        raise AssertionError(name)

    def reset(self) -> int:
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        return self._field("VmRSS")

    def peak(self) -> int:
        return self._field("VmHWM")


def restore(t: Target, data: bytes | Iterator[bytes]) -> requests.Response:
    return requests.put(t.api + PATH, data=data, headers={"X-Nomad-Token": t.token}, timeout=120)


def test_a_declared_bomb_is_refused_before_it_inflates(target: Target) -> None:
    bomb = declared_bomb()
    assert len(bomb) < 2 * BLOCK  # ~1 MB that says 1 GiB
    peak = Peak(target)
    base = peak.reset()
    started = time.monotonic()
    resp = restore(target, bomb)
    elapsed = time.monotonic() - started
    grown = peak.peak() - base
    print(f"declared bomb ({len(bomb)} bytes -> 1 GiB): {resp.status_code} in {elapsed:.2f}s, peak +{grown >> 20} MiB")
    assert (resp.status_code, resp.text) == (
        500,
        'failed to restore from snapshot: failed to read snapshot file: "state.bin" declares 1073741824 bytes, '
        f"more than 300 times the {len(bomb)}-byte archive; refusing a gzip bomb",
    )
    assert grown < 20 * BLOCK and elapsed < 5
    assert target.request("GET", "/v1/agent/health").status_code == 200


def test_a_streamed_bomb_is_refused_by_its_inflation_ratio(target: Target) -> None:
    bomb = declared_bomb()
    tmp = target.cluster.nodes[0].dir / "agent" / "tmp"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server cannot know the size in advance
        for i in range(0, len(bomb), 64 * 1024):
            yield bomb[i : i + 64 * 1024]

    peak = Peak(target)
    base = peak.reset()
    started = time.monotonic()
    resp = restore(target, chunks())
    elapsed = time.monotonic() - started
    grown = peak.peak() - base
    print(f"streamed bomb: {resp.status_code} in {elapsed:.2f}s, peak +{grown >> 20} MiB")
    assert resp.status_code == 500, resp.text
    assert resp.text.startswith(
        "failed to restore from snapshot: failed to read snapshot file: the archive inflates to more than 300 times"
    ), resp.text
    assert resp.text.endswith("refusing a gzip bomb")
    inflated = int(resp.text.split("(")[1].split(" bytes")[0])
    assert inflated < 128 * BLOCK  # far from the 1 GiB it would have been
    assert grown < 20 * BLOCK
    assert not tmp.exists() or not [p for p in tmp.iterdir() if p.stat().st_size > BLOCK]  # no spool left


def test_zeros_after_the_archive_are_not_inflated_without_end(target: Target) -> None:
    tar = gzip.decompress(small_archive())
    bomb = gzip_with_zeros(tar, GIB)
    peak = Peak(target)
    base = peak.reset()
    started = time.monotonic()
    resp = restore(target, bomb)
    elapsed = time.monotonic() - started
    grown = peak.peak() - base
    print(f"trailing bomb: {resp.status_code} in {elapsed:.2f}s, peak +{grown >> 20} MiB")
    assert (resp.status_code, resp.text) == (
        500,
        "failed to restore from snapshot: failed to read snapshot file: more than 1048576 unread uncompressed "
        "bytes remain",
    )
    assert grown < 20 * BLOCK and elapsed < 10
    # A real archive still restores afterwards.
    assert restore(target, small_archive()).status_code == 200


# -- the limits, on the archive module (pure logic) ----------------------------------------------------------
def test_a_compressible_but_real_archive_passes_the_default_limits() -> None:
    records = [StateRecord(f"vars/default/z{i:03d}", bytes(1_000_000), 5, 5) for i in range(40)]
    with archive.create(records, archive.new_meta(index=1, term=1, servers=[], raftops={})) as a:
        body = b"".join(a.chunks())
    assert len(body) * 150 < 40_000_000  # over 150:1, near what deflate level 1 can reach
    with archive.verify([body], compressed_size=len(body)) as verified:
        assert verified.items == 40


def test_the_limits_can_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    body = small_archive()
    monkeypatch.setenv(archive.MAX_STATE_BYTES_ENV, "100")
    with pytest.raises(archive.ArchiveError, match=r'"state.bin" is \d+ bytes, over the 100 limit'):
        archive.verify([body])
    monkeypatch.setenv(archive.MAX_STATE_BYTES_ENV, "")
    monkeypatch.setenv(archive.MAX_INFLATE_RATIO_ENV, "1")
    limits = archive.Limits.from_env()
    assert limits.max_ratio == 1
    tight = archive.Limits(max_ratio=1, floor=0)
    with pytest.raises(archive.ArchiveError, match="refusing a gzip bomb"):
        archive.verify([body], limits=tight)
    monkeypatch.setenv(archive.MAX_INFLATE_RATIO_ENV, "0")  # 0 turns the ratio check off
    with archive.verify([body]) as verified:
        assert verified.items == 3
    monkeypatch.setenv(archive.MAX_INFLATE_RATIO_ENV, "lots")
    with pytest.raises(ValueError, match="must be a non-negative integer"):
        archive.Limits.from_env()
