"""``state.bin``: the serialisation of the raftops state inside a snapshot archive.

Format ``raftops-state``, version 1 (docs/snapshot-format.md). All integers are big-endian::

    header   b"raftops-state 1\\n"
    record*  0x01 | u32 path length | path (UTF-8) | u32 value length | value | u64 create index | u64 modify index
    end      0x00 | u64 record count

Records are in strictly ascending byte order of their path (etcd's range order), so a
duplicate path is a format error. Nothing is pickled: every field is plain bytes or integers.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple, Protocol

FORMAT_NAME = "raftops-state"
FORMAT_VERSION = 1
HEADER = f"{FORMAT_NAME} {FORMAT_VERSION}\n".encode()
TAG_RECORD = 0x01
TAG_END = 0x00
MAX_PATH_BYTES = 2 * 1024 * 1024  # any key etcd holds (its requests stop at 1.5 MiB) must round-trip
MAX_VALUE_BYTES = 2 * 1024 * 1024  # etcd refuses requests over 1.5 MiB, so no stored value is larger

_LEN = struct.Struct(">I")
_TAG_LEN = struct.Struct(">BI")
_INDEXES = struct.Struct(">QQ")
_END = struct.Struct(">Q")
_FLUSH_BYTES = 1 << 20


class StateFormatError(ValueError):
    """state.bin does not follow the format; the message says where."""


class StateRecord(NamedTuple):
    path: str
    value: bytes
    create_index: int
    modify_index: int


class RecordLike(Protocol):
    path: str
    value: bytes
    create_index: int
    modify_index: int


class StateBinWriter:
    """Writes state.bin to ``out`` in 1 MiB slices while hashing it (bounded memory)."""

    def __init__(self, out: BinaryIO):
        self._out = out
        self._buf = bytearray(HEADER)
        self._sha = hashlib.sha256()
        self.size = 0
        self.count = 0
        self._last: bytes | None = None

    def add(self, record: RecordLike) -> None:
        path = record.path.encode()
        if self._last is not None and path <= self._last:
            raise StateFormatError(f"records out of order: {record.path!r} after {self._last.decode()!r}")
        self._last = path
        value = record.value
        self._buf += b"".join(
            (
                _TAG_LEN.pack(TAG_RECORD, len(path)),
                path,
                _LEN.pack(len(value)),
                value,
                _INDEXES.pack(record.create_index, record.modify_index),
            )
        )
        self.count += 1
        if len(self._buf) >= _FLUSH_BYTES:
            self._flush()

    def finish(self) -> tuple[int, bytes]:
        """Write the end record; returns (size in bytes, sha256 digest)."""
        self._buf.append(TAG_END)
        self._buf += _END.pack(self.count)
        self._flush()
        return self.size, self._sha.digest()

    def _flush(self) -> None:
        data = bytes(self._buf)
        self._sha.update(data)
        self._out.write(data)
        self.size += len(data)
        self._buf.clear()


class _Reader:
    """Reads ``src`` in 1 MiB blocks: one file read per block, not several per record."""

    def __init__(self, src: BinaryIO, offset: int):
        self._src = src
        self._buf = b""
        self._pos = 0
        self.offset = offset  # bytes of the stream consumed so far

    def take(self, n: int, what: str) -> bytes:
        end = self._pos + n
        if end > len(self._buf):
            self._buf = self._buf[self._pos :] + self._src.read(max(n, _FLUSH_BYTES))
            self._pos, end = 0, n
            if end > len(self._buf):
                raise StateFormatError(f"truncated at byte {self.offset + len(self._buf)} while reading {what}")
        data = self._buf[self._pos : end]
        self._pos = end
        self.offset += n
        return data

    def at_end(self) -> bool:
        return self._pos == len(self._buf) and not self._src.read(1)


def read_records(src: BinaryIO) -> Iterator[StateRecord]:
    """Yield every record of a state.bin stream, checking the format as it goes.

    The end record must be present, its count must match, and nothing may follow it.
    """
    header = src.readline(64)
    r = _Reader(src, len(header))
    name, _, version = header.rstrip(b"\n").decode("ascii", "replace").partition(" ")
    if not header.endswith(b"\n") or name != FORMAT_NAME:
        raise StateFormatError(f"not a {FORMAT_NAME} file (header {header[:32]!r})")
    if version != str(FORMAT_VERSION):
        raise StateFormatError(f"unsupported {FORMAT_NAME} version {version!r} (this raftops reads {FORMAT_VERSION})")
    count = 0
    last: bytes | None = None
    while True:
        start = r.offset
        tag = r.take(1, "a record tag")[0]
        if tag == TAG_END:
            (declared,) = _END.unpack(r.take(_END.size, "the record count"))
            if declared != count:
                raise StateFormatError(f"end record declares {declared} records but {count} were read")
            if not r.at_end():
                raise StateFormatError(f"data after the end record at byte {r.offset}")
            return
        if tag != TAG_RECORD:
            raise StateFormatError(f"unknown record tag 0x{tag:02x} at byte {start}")
        (plen,) = _LEN.unpack(r.take(_LEN.size, "a path length"))
        if not 0 < plen <= MAX_PATH_BYTES:
            raise StateFormatError(f"invalid path length {plen} at byte {start}")
        raw_path = r.take(plen, "a path")
        try:
            path = raw_path.decode()
        except UnicodeDecodeError as exc:
            raise StateFormatError(f"path at byte {start} is not UTF-8: {exc}") from None
        if path.startswith("/"):
            raise StateFormatError(f"invalid path {path!r} at byte {start}")
        if last is not None and raw_path <= last:
            raise StateFormatError(f"path {path!r} at byte {start} is not after {last.decode()!r}")
        last = raw_path
        (vlen,) = _LEN.unpack(r.take(_LEN.size, "a value length"))
        if vlen > MAX_VALUE_BYTES:
            raise StateFormatError(f"value of {path!r} is {vlen} bytes, over the {MAX_VALUE_BYTES} limit")
        value = r.take(vlen, "a value")
        create_index, modify_index = _INDEXES.unpack(r.take(_INDEXES.size, "the indexes"))
        count += 1
        yield StateRecord(path, value, create_index, modify_index)
