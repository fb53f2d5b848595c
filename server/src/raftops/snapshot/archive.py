"""The snapshot archive: Nomad's format (helper/snapshot/archive.go) carrying raftops state.

An archive is ``gzip(tar)`` holding, in this order and each with mode 0600 and mtime now:

* ``meta.json``  - raft.SnapshotMeta field names (Version, ID, Index, Term, Peers, Configuration,
  ConfigurationIndex, Size) so Nomad's ``snapshot inspect`` reads it, plus a ``Raftops`` object;
* ``state.bin``  - the state, in the ``raftops-state`` format of :mod:`.statebin`;
* ``SHA256SUMS`` - ``<hex>  <name>`` lines for meta.json and state.bin.

This module is the only code that writes, verifies or reads archives. Memory stays bounded:
state.bin and the compressed body go through spooled temporary files (small ones stay in
memory, large ones roll over to disk), so at most a few MiB of either is ever held.

Reading is verify-first: :func:`verify` reads the whole archive once, checks the gzip
stream, the tar structure, the member set and order, every hash, the metadata and the schema,
and parses state.bin completely. Only a :class:`VerifiedArchive` hands out state records.
Errors are raftops.errors.InvalidArchive (``ArchiveError`` here), a domain error whose message follows
Nomad's (``failed to read snapshot file: ...``); callers add their own prefix and pick the status
(the API: 500 ``failed to restore from snapshot: <reason>``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO

from ..errors import InvalidArchive
from ..store.state import SCHEMA_VERSION
from . import statebin
from .statebin import StateFormatError, StateRecord

META = "meta.json"
STATE = "state.bin"
SUMS = "SHA256SUMS"
MEMBERS = (META, STATE, SUMS)
RAFT_SNAPSHOT_VERSION = 1  # raft.SnapshotVersionMax: the only meta.json Version Nomad writes
SUFFRAGE_VOTER, SUFFRAGE_NONVOTER = 0, 1

# Compression: zlib level 1 deflates ~15 MB/s per core on the reference machine (level 6: ~13),
# stored blocks (level 0) run at memory speed. See docs/snapshot-format.md and docs/performance.md.
DEFAULT_COMPRESSION_LEVEL = 1

SPOOL_MEMORY = 4 * 1024 * 1024  # bytes a spooled temp file holds in memory before rolling to disk
MAX_META_BYTES = 1024 * 1024
MAX_SUMS_BYTES = 64 * 1024
MAX_STATE_BYTES = 4 * 1024**3  # twice etcd's 2 GiB quota: a bigger state.bin cannot be real
# Gzip bombs: a reader refuses an archive whose inflated bytes pass MAX_INFLATE_RATIO times the
# compressed bytes read so far, once past RATIO_FLOOR (a small state is never refused for its ratio),
# and a state.bin whose declared size already says so when the compressed size is known in advance.
# Level 1 (what raftops writes) tops out near 230:1 even on all-zero values; deflate's ceiling is ~1032:1.
MAX_INFLATE_RATIO = 300
RATIO_FLOOR = 16 * 1024 * 1024
MAX_TRAILING_COUNT = 1024 * 1024  # unread bytes after the tar end are counted up to this much, then refused
MAX_STATE_BYTES_ENV = "RAFTOPS_SNAPSHOT_MAX_STATE_BYTES"
MAX_INFLATE_RATIO_ENV = "RAFTOPS_SNAPSHOT_MAX_INFLATE_RATIO"
_BLOCK = 512
_ZERO_BLOCK = bytes(_BLOCK)
_SLICE = 1024 * 1024
_TAR_RECORD = 20 * _BLOCK  # writers may pad the end to a whole record with zeros
_SUMS_LINE = re.compile(rb"([0-9a-f]{64})  ([^\s/]+)")


# The archive is not a valid raftops snapshot: a domain error (raftops.errors), ``str()`` the reason, Nomad-style.
# ArchiveError is its name here for the callers (CLI, goldens, SM, sidecar).
ArchiveError = InvalidArchive


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ValueError(f"{name} must be a non-negative integer, not {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class Limits:
    """What a reader accepts: ``max_state_bytes`` of state.bin, and at most ``max_ratio`` inflated bytes
    per compressed byte once ``floor`` bytes were inflated (0 turns the ratio check off)."""

    max_state_bytes: int = MAX_STATE_BYTES
    max_ratio: int = MAX_INFLATE_RATIO
    floor: int = RATIO_FLOOR

    @classmethod
    def from_env(cls) -> Limits:
        """The defaults, overridden by RAFTOPS_SNAPSHOT_MAX_STATE_BYTES / RAFTOPS_SNAPSHOT_MAX_INFLATE_RATIO."""
        return cls(_env_int(MAX_STATE_BYTES_ENV, MAX_STATE_BYTES), _env_int(MAX_INFLATE_RATIO_ENV, MAX_INFLATE_RATIO))

    def inflated_limit(self, compressed: int) -> int | None:
        """The most bytes ``compressed`` bytes may inflate to (None: no ratio limit)."""
        if not self.max_ratio:
            return None
        return max(self.floor, self.max_ratio * compressed)


# -- digests -----------------------------------------------------------------------------------
def digest_header(sha256: bytes) -> str:
    """The ``Digest`` header value Nomad sends: ``sha-256=<std base64>``."""
    return "sha-256=" + base64.b64encode(sha256).decode("ascii")


def check_digest(header: str, sha256: bytes) -> None:
    """Check a ``Digest`` header the way Nomad's api client does (``mismatch checksum``)."""
    algo, sep, value = header.strip().partition("=")
    if not sep:
        raise InvalidArchive("invalid digest format")
    if algo.lower() != "sha-256":
        raise InvalidArchive(f"unsupported digest algorithm {algo!r} (only sha-256 is computed)")
    if value != base64.b64encode(sha256).decode("ascii"):
        raise InvalidArchive("mismatch checksum")


# -- writing -----------------------------------------------------------------------------------
@dataclass
class Archive:
    """A finished archive in a spooled temp file, ready to stream."""

    file: IO[bytes]
    size: int
    sha256: bytes
    meta: dict[str, Any]

    @property
    def digest(self) -> str:
        return digest_header(self.sha256)

    def chunks(self, size: int = 256 * 1024) -> Iterator[bytes]:
        self.file.seek(0)
        while chunk := self.file.read(size):
            yield chunk

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _GzipOut:
    """A gzip stream written to ``out`` while hashing the compressed bytes (the body digest)."""

    def __init__(self, out: BinaryIO, level: int):
        self._out = out
        self._z = zlib.compressobj(level, zlib.DEFLATED, 31)
        self._sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._emit(self._z.compress(data))

    def close(self) -> bytes:
        self._emit(self._z.flush())
        return self._sha.digest()

    def _emit(self, data: bytes) -> None:
        if data:
            self._sha.update(data)
            self._out.write(data)
            self.size += len(data)


def _tar_header(name: str, size: int, mtime: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = mtime
    info.type = tarfile.REGTYPE
    return info.tobuf(tarfile.USTAR_FORMAT, "utf-8", "strict")


def _padding(size: int) -> bytes:
    return bytes(-size % _BLOCK)


def encode_meta(meta: dict[str, Any]) -> bytes:
    """meta.json bytes as Go's json.Encoder writes them: compact, ending with a newline."""
    return (json.dumps(meta, separators=(",", ":")) + "\n").encode()


def encode_sums(hashes: Iterable[tuple[str, bytes]]) -> bytes:
    return "".join(f"{digest.hex()}  {name}\n" for name, digest in hashes).encode()


def write_archive(
    out: BinaryIO,
    meta: dict[str, Any],
    state: BinaryIO,
    state_size: int,
    state_sha256: bytes,
    *,
    level: int = DEFAULT_COMPRESSION_LEVEL,
    mtime: float | None = None,
) -> tuple[int, bytes]:
    """Write gzip(tar(meta.json, state.bin, SHA256SUMS)) to ``out``; returns (size, sha256 of it).

    ``state`` is read from its current position, exactly ``state_size`` bytes.
    """
    now = int(time.time() if mtime is None else mtime)
    meta_bytes = encode_meta(meta)
    sums = encode_sums([(META, hashlib.sha256(meta_bytes).digest()), (STATE, state_sha256)])
    gz = _GzipOut(out, level)
    gz.write(_tar_header(META, len(meta_bytes), now) + meta_bytes + _padding(len(meta_bytes)))
    gz.write(_tar_header(STATE, state_size, now))
    left = state_size
    while left:
        chunk = state.read(min(_SLICE, left))
        if not chunk:
            raise ValueError(f"state.bin ended {left} bytes short of its declared size {state_size}")
        gz.write(chunk)
        left -= len(chunk)
    gz.write(_padding(state_size))
    gz.write(_tar_header(SUMS, len(sums), now) + sums + _padding(len(sums)))
    gz.write(_ZERO_BLOCK * 2)  # end of archive, as Go's tar.Writer.Close writes it
    sha = gz.close()
    return gz.size, sha


def spool(tmp_dir: str | None = None) -> IO[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY, mode="w+b", dir=tmp_dir)


def create(
    records: Iterable[statebin.RecordLike],
    meta: dict[str, Any],
    *,
    tmp_dir: str | None = None,
    level: int = DEFAULT_COMPRESSION_LEVEL,
    mtime: float | None = None,
) -> Archive:
    """Serialise ``records`` (ascending paths) and pack them with ``meta`` into an archive.

    The tar header of state.bin needs its size first, so state.bin is spooled (and hashed)
    before the archive is written; the body is spooled too, because the Digest header must
    precede it. ``Size`` and ``Raftops.Items`` in ``meta`` are filled in here.
    """
    state = spool(tmp_dir)
    body = spool(tmp_dir)
    try:
        writer = statebin.StateBinWriter(state)
        for record in records:
            writer.add(record)
        size, sha = writer.finish()
        meta = dict(meta, Size=size)
        meta["Raftops"] = dict(meta.get("Raftops") or {}, Items=writer.count)
        state.seek(0)
        body_size, body_sha = write_archive(body, meta, state, size, sha, level=level, mtime=mtime)
        body.seek(0)
        return Archive(body, body_size, body_sha, meta)
    except BaseException:
        body.close()
        raise
    finally:
        state.close()


# -- reading -----------------------------------------------------------------------------------
class _Inflater:
    """Decompressed bytes of one gzip stream fed by compressed chunks, hashed as they arrive."""

    _HEADER_ERRORS = ("header", "compression method", "unknown header flags")

    def __init__(self, chunks: Iterable[bytes], limits: Limits | None = None):
        self._chunks = iter(chunks)
        self._z = zlib.decompressobj(31)
        self._buf = bytearray()
        self._pos = 0
        self.sha = hashlib.sha256()
        self.compressed_size = 0
        self.inflated = 0
        self.trailing = 0
        self.limits = limits or Limits()

    def _input(self) -> bytes | None:
        for chunk in self._chunks:
            if chunk:
                self.sha.update(chunk)
                self.compressed_size += len(chunk)
                return chunk
        return None

    def _inflate(self) -> bool:
        """Decompress a little more; False once the stream ended or the input ran out."""
        if self._z.eof:
            return False
        data = self._z.unconsumed_tail or self._input()
        if data is None:
            if self.compressed_size == 0:
                raise InvalidArchive("failed to decompress snapshot: EOF")
            return False
        try:
            out = self._z.decompress(data, _SLICE)
        except zlib.error as exc:
            raise self._error(exc) from None
        self.inflated += len(out)
        limit = self.limits.inflated_limit(self.compressed_size)
        if limit is not None and self.inflated > limit:
            raise InvalidArchive(
                f"failed to read snapshot file: the archive inflates to more than {self.limits.max_ratio} times "
                f"its compressed size ({self.inflated} bytes from {self.compressed_size}); refusing a gzip bomb"
            )
        self._buf += out
        return True

    def _error(self, exc: zlib.error) -> InvalidArchive:
        reason = str(exc).split(": ", 1)[-1]
        if any(h in reason for h in self._HEADER_ERRORS):
            return InvalidArchive(f"failed to decompress snapshot: gzip: invalid header ({reason})")
        if reason in ("incorrect data check", "incorrect length check"):
            reason = f"invalid checksum ({reason})"
        return InvalidArchive(f"failed to read snapshot file: failed reading snapshot: gzip: {reason}")

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes; fewer only at the end of the decompressed stream."""
        while len(self._buf) - self._pos < n and self._inflate():
            pass
        data = bytes(self._buf[self._pos : self._pos + n])
        self._pos += len(data)
        if self._pos >= _SLICE:
            del self._buf[: self._pos]
            self._pos = 0
        return data

    def conclude(self) -> None:
        """After the tar end: only zero padding may remain, then the gzip stream must end cleanly."""
        extra = 0
        while chunk := self.read(_SLICE):
            if chunk.count(0) != len(chunk) or extra + len(chunk) > _TAR_RECORD:
                # Counted for the message, but never inflated without end: a bomb may hide here.
                remaining = extra + len(chunk)
                while remaining <= MAX_TRAILING_COUNT and (more := self.read(_SLICE)):
                    remaining += len(more)
                if remaining > MAX_TRAILING_COUNT:
                    raise InvalidArchive(
                        f"failed to read snapshot file: more than {MAX_TRAILING_COUNT} unread uncompressed bytes remain"
                    )
                raise InvalidArchive(f"failed to read snapshot file: {remaining} unread uncompressed bytes remain")
            extra += len(chunk)
        if not self._z.eof:
            raise InvalidArchive("failed to read snapshot file: failed reading snapshot: unexpected EOF")
        self.trailing = len(self._z.unused_data)
        while (chunk := self._input()) is not None:
            self.trailing += len(chunk)
        if self.trailing:
            raise InvalidArchive(
                f"failed to decompress snapshot: {self.trailing} bytes of trailing data after the gzip stream"
            )


def _tar_error(reason: str) -> InvalidArchive:
    return InvalidArchive(f"failed to read snapshot file: failed reading snapshot: {reason}")


@dataclass
class _Members:
    order: list[str] = field(default_factory=list)
    meta: bytes = b""
    sums: bytes = b""
    state_size: int = 0
    hashes: dict[str, bytes] = field(default_factory=dict)


def _read_tar(src: _Inflater, state_out: BinaryIO, max_state: int, compressed_total: int | None = None) -> _Members:
    found = _Members()
    limits = {META: MAX_META_BYTES, SUMS: MAX_SUMS_BYTES, STATE: max_state}
    # Every member's declared size is checked before a byte of it is inflated: against its own cap,
    # and, when the whole archive's size is known (a Content-Length), against the ratio limit.
    declared_cap = src.limits.inflated_limit(compressed_total) if compressed_total else None
    while True:
        block = src.read(_BLOCK)
        if len(block) < _BLOCK:
            raise _tar_error("unexpected EOF")
        if block == _ZERO_BLOCK:
            second = src.read(_BLOCK)
            if len(second) < _BLOCK:
                raise _tar_error("unexpected EOF")
            if second != _ZERO_BLOCK:
                raise _tar_error("archive/tar: invalid tar header (data after an end-of-archive block)")
            return found
        try:
            info = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
        except tarfile.HeaderError as exc:
            raise _tar_error(f"archive/tar: invalid tar header ({exc})") from None
        name = info.name
        if name not in MEMBERS:
            raise InvalidArchive(f"failed to read snapshot file: unexpected file {json.dumps(name)} in snapshot")
        if name in found.order:
            raise InvalidArchive(f"failed to read snapshot file: duplicate file {json.dumps(name)} in snapshot")
        if info.type not in (tarfile.REGTYPE, tarfile.AREGTYPE):
            raise InvalidArchive(f"failed to read snapshot file: {json.dumps(name)} is not a regular file")
        if info.size > limits[name]:
            raise InvalidArchive(
                f"failed to read snapshot file: {json.dumps(name)} is {info.size} bytes, over the {limits[name]} limit"
            )
        if declared_cap is not None and info.size > declared_cap:
            raise InvalidArchive(
                f"failed to read snapshot file: {json.dumps(name)} declares {info.size} bytes, more than "
                f"{src.limits.max_ratio} times the {compressed_total}-byte archive; refusing a gzip bomb"
            )
        found.order.append(name)
        sha = hashlib.sha256()
        kept = bytearray()
        left = info.size
        while left:
            chunk = src.read(min(_SLICE, left))
            if not chunk:
                raise _tar_error("unexpected EOF")
            sha.update(chunk)
            if name == STATE:
                state_out.write(chunk)
            else:
                kept += chunk
            left -= len(chunk)
        pad = -info.size % _BLOCK
        padding = src.read(pad)
        if len(padding) < pad:
            raise _tar_error("unexpected EOF")
        if padding.count(0) != pad:
            raise _tar_error(f"archive/tar: invalid padding after {json.dumps(name)}")
        found.hashes[name] = sha.digest()
        if name == META:
            found.meta = bytes(kept)
        elif name == SUMS:
            found.sums = bytes(kept)
        else:
            found.state_size = info.size


def _check_members(found: _Members) -> None:
    for name in MEMBERS:
        if name not in found.order:
            raise InvalidArchive(f"failed to read snapshot file: missing file {json.dumps(name)} in snapshot")
    if tuple(found.order) != MEMBERS:
        raise InvalidArchive(
            f"failed to read snapshot file: members are in the order {', '.join(found.order)}; "
            f"a snapshot holds {', '.join(MEMBERS)} in that order"
        )


def _check_sums(found: _Members) -> None:
    """Nomad's hashList.DecodeAndVerify, strict about the line format."""
    prefix = "failed to read snapshot file: failed checking integrity of snapshot: "
    expected = {META: found.hashes[META], STATE: found.hashes[STATE]}
    text = found.sums
    if not text.endswith(b"\n"):
        raise InvalidArchive(prefix + "SHA256SUMS does not end with a newline")
    seen: set[str] = set()
    for number, line in enumerate(text[:-1].split(b"\n"), 1):
        match = _SUMS_LINE.fullmatch(line)
        if match is None:
            raise InvalidArchive(prefix + f"malformed SHA256SUMS line {number}: {line[:100]!r}")
        name = match.group(2).decode("ascii", "replace")
        if name not in expected:
            raise InvalidArchive(prefix + f"list missing hash for {json.dumps(name)}")
        if name in seen:
            raise InvalidArchive(prefix + f"SHA256SUMS lists {json.dumps(name)} twice")
        seen.add(name)
        if bytes.fromhex(match.group(1).decode()) != expected[name]:
            raise InvalidArchive(prefix + f"hash check failed for {json.dumps(name)}")
    for name in expected:
        if name not in seen:
            raise InvalidArchive(prefix + f"file missing for {json.dumps(name)}")


def _check_meta(raw: bytes, state_size: int) -> dict[str, Any]:
    try:
        meta = json.loads(raw)
    except ValueError as exc:
        raise InvalidArchive(f"failed to read snapshot file: failed to decode snapshot metadata: {exc}") from None
    if not isinstance(meta, dict):
        raise InvalidArchive("failed to read snapshot file: failed to decode snapshot metadata: not a JSON object")
    version = meta.get("Version")
    if version != RAFT_SNAPSHOT_VERSION:
        raise InvalidArchive(f"unsupported snapshot version {version!r} (this raftops reads {RAFT_SNAPSHOT_VERSION})")
    if meta.get("Size") != state_size:
        raise InvalidArchive(f"snapshot metadata says Size {meta.get('Size')!r} but state.bin has {state_size} bytes")
    raftops = meta.get("Raftops")
    if not isinstance(raftops, dict):
        raise InvalidArchive(
            "not a raftops snapshot: meta.json has no Raftops section (Nomad server snapshots cannot be restored here)"
        )
    schema = raftops.get("SchemaVersion")
    if schema != SCHEMA_VERSION:
        raise InvalidArchive(f"unsupported snapshot schema version {schema!r} (this raftops supports {SCHEMA_VERSION})")
    fmt, fmt_version = raftops.get("Format"), raftops.get("FormatVersion")
    if fmt != statebin.FORMAT_NAME or fmt_version != statebin.FORMAT_VERSION:
        raise InvalidArchive(
            f"unsupported state format {fmt!r} version {fmt_version!r} "
            f"(this raftops reads {statebin.FORMAT_NAME} {statebin.FORMAT_VERSION})"
        )
    items = raftops.get("Items")
    if not isinstance(items, int) or isinstance(items, bool) or items < 0:
        raise InvalidArchive(f"snapshot metadata has an invalid Raftops.Items {items!r}")
    return meta


class VerifiedArchive:
    """An archive that passed every check; its state records can now be read (more than once)."""

    def __init__(self, meta: dict[str, Any], state: IO[bytes], sha256: bytes, size: int):
        self.meta = meta
        self._state = state
        self.sha256 = sha256
        self.size = size

    @property
    def digest(self) -> str:
        return digest_header(self.sha256)

    @property
    def items(self) -> int:
        return int(self.meta["Raftops"]["Items"])

    def records(self) -> Iterator[StateRecord]:
        self._state.seek(0)
        yield from statebin.read_records(self._state)

    def close(self) -> None:
        self._state.close()

    def __enter__(self) -> VerifiedArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def verify(
    chunks: Iterable[bytes],
    *,
    tmp_dir: str | None = None,
    max_state_bytes: int | None = None,
    limits: Limits | None = None,
    compressed_size: int | None = None,
) -> VerifiedArchive:
    """Read a whole archive from ``chunks`` and check everything; raises :class:`InvalidArchive`.

    Order of checks: gzip stream, tar structure and member names (while reading), the member
    set and order, SHA256SUMS against every member, meta.json and its schema, then a full
    parse of state.bin whose record count must match the metadata. Inflation is bounded by
    ``limits`` (default :meth:`Limits.from_env`); ``compressed_size`` (the archive's size, when
    known before reading, e.g. from Content-Length) lets state.bin's declared size be refused
    before it is inflated. state.bin is spooled (memory up to SPOOL_MEMORY, then disk).
    """
    limits = limits or Limits.from_env()
    if max_state_bytes is not None:
        limits = Limits(max_state_bytes, limits.max_ratio, limits.floor)
    state = spool(tmp_dir)
    try:
        src = _Inflater(chunks, limits)
        found = _read_tar(src, state, limits.max_state_bytes, compressed_size)
        src.conclude()
        _check_members(found)
        _check_sums(found)
        meta = _check_meta(found.meta, found.state_size)
        count = 0
        state.seek(0)
        try:
            for _ in statebin.read_records(state):
                count += 1
        except StateFormatError as exc:
            raise InvalidArchive(f"invalid snapshot state: {exc}") from None
        declared = meta["Raftops"]["Items"]
        if count != declared:
            raise InvalidArchive(f"invalid snapshot state: meta.json says {declared} items, state.bin holds {count}")
        return VerifiedArchive(meta, state, src.sha.digest(), src.compressed_size)
    except BaseException:
        state.close()
        raise


def file_chunks(f: BinaryIO, size: int = 256 * 1024) -> Iterator[bytes]:
    while chunk := f.read(size):
        yield chunk


def verify_file(path: str, *, tmp_dir: str | None = None) -> VerifiedArchive:
    with open(path, "rb") as f:
        return verify(file_chunks(f), tmp_dir=tmp_dir, compressed_size=os.fstat(f.fileno()).st_size)


def summary(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """The fields ``snapshot inspect`` prints: Nomad's five, then the raftops ones."""
    raftops = meta.get("Raftops") or {}
    rows = [
        ("ID", str(meta.get("ID", ""))),
        ("Size", str(meta.get("Size", ""))),
        ("Index", str(meta.get("Index", ""))),
        ("Term", str(meta.get("Term", ""))),
        ("Version", str(meta.get("Version", ""))),
    ]
    members = raftops.get("Members") or []
    rows += [
        ("Revision", str(raftops.get("Revision", ""))),
        ("State Revision", str(raftops.get("StateRevision", ""))),
        ("Items", str(raftops.get("Items", ""))),
        ("Schema Version", str(raftops.get("SchemaVersion", ""))),
        ("State Format", f"{raftops.get('Format', '')} {raftops.get('FormatVersion', '')}"),
        ("Cluster ID", str(raftops.get("ClusterID", ""))),
        ("Members", ", ".join(f"{m.get('Name', '')}@{m.get('Address', '')}" for m in members)),
        ("Created", str(raftops.get("CreatedAt", ""))),
        ("raftops Version", str(raftops.get("RaftopsVersion", ""))),
        ("etcd Version", str(raftops.get("EtcdVersion", ""))),
    ]
    return rows


def new_meta(
    *,
    index: int,
    term: int,
    servers: list[dict[str, Any]],
    raftops: dict[str, Any],
    now: float | None = None,
) -> dict[str, Any]:
    """meta.json content before Size and Items are known (``create`` fills those).

    ``servers`` are Nomad's Configuration.Servers entries: ``{"Suffrage", "ID", "Address"}``.
    """
    now = time.time() if now is None else now
    return {
        "Version": RAFT_SNAPSHOT_VERSION,
        "ID": f"{term}-{index}-{int(now * 1000)}",
        "Index": index,
        "Term": term,
        "Peers": None,  # raft's pre-v3 peer list; Nomad's protocol-3 snapshots carry it only for old readers
        "Configuration": {"Servers": servers},
        "ConfigurationIndex": index,
        "Size": 0,
        "Raftops": {
            **raftops,
            "SchemaVersion": SCHEMA_VERSION,
            "Format": statebin.FORMAT_NAME,
            "FormatVersion": statebin.FORMAT_VERSION,
            "CreatedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        },
    }
