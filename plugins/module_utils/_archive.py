# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Offline inspection of a raftops snapshot archive (docs/snapshot-format.md), with the Python standard library only.

An archive is gzip(tar(meta.json, state.bin, SHA256SUMS)). inspect_file() reads it once and checks what the server
checks before a restore: the gzip stream (CRC, length, nothing after it), the tar structure (header checksums, regular
files, the three members in order, zero padding, the end blocks), every SHA-256 in SHA256SUMS, meta.json (raft
snapshot version 1, Size, the Raftops section with the schema and state format this collection knows) and a full
parse of state.bin, whose record count must equal meta.json's Items. It returns what it found; any problem raises
ArchiveError with a message in the server's words, so a module can refuse a damaged archive before sending it.

Memory stays bounded: the archive is read in slices and state.bin is parsed as it streams out of the tar.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import json
import os
import re
import struct
import tarfile
import zlib

META = "meta.json"
STATE = "state.bin"
SUMS = "SHA256SUMS"
MEMBERS = (META, STATE, SUMS)
RAFT_SNAPSHOT_VERSION = 1
SCHEMA_VERSION = 1
STATE_FORMAT = "raftops-state"
STATE_FORMAT_VERSION = 1
STATE_HEADER = b"raftops-state 1\n"

MAX_META_BYTES = 1024 * 1024
MAX_SUMS_BYTES = 64 * 1024
MAX_STATE_BYTES = 4 * 1024**3  # the server's default limit on state.bin
# Gzip bombs, as the server refuses them: past RATIO_FLOOR inflated bytes, at most MAX_INFLATE_RATIO inflated bytes
# per compressed byte read so far; and a member whose declared size already exceeds what the whole file may inflate to.
MAX_INFLATE_RATIO = 300
RATIO_FLOOR = 16 * 1024 * 1024
MAX_TRAILING_COUNT = 1024 * 1024  # unread bytes after the tar end are counted up to this much
MAX_PATH_BYTES = 2 * 1024 * 1024  # any key etcd holds must round-trip
MAX_VALUE_BYTES = 2 * 1024 * 1024
READ_SIZE = 256 * 1024
_SLICE = 1024 * 1024
_BLOCK = 512
_ZERO_BLOCK = bytes(_BLOCK)
_TAR_RECORD = 20 * _BLOCK  # writers may pad the end to a whole 10 KiB record
_SUMS_LINE = re.compile(rb"^([0-9a-f]{64})  ([^\s/]+)$")
_READ_PREFIX = "failed to read snapshot file: "
_INTEGRITY_PREFIX = _READ_PREFIX + "failed checking integrity of snapshot: "


class ArchiveError(Exception):
    """The file is not a valid raftops snapshot archive; ``str()`` says why, in the server's words."""


# -- the Digest header -----------------------------------------------------------------------------------------


def digest_header(sha256_bytes):
    """The ``Digest`` header value for a body with this SHA-256: ``sha-256=<standard base64>``."""
    return "sha-256=" + base64.b64encode(sha256_bytes).decode("ascii")


def digest_mismatch(header, sha256_bytes):
    """Why a ``Digest`` header does not match a body's SHA-256, or None when it matches (Nomad's api client rule)."""
    if not header:
        return "the response has no Digest header"
    algorithm, sep, value = header.strip().partition("=")
    if not sep:
        return "invalid digest format %r" % (header,)
    if algorithm.strip().lower() != "sha-256":
        return "unsupported digest algorithm %r (only sha-256 is checked)" % (algorithm,)
    try:
        expected = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return "invalid digest value %r" % (value,)
    if expected != sha256_bytes:
        return "mismatch checksum"
    return None


# -- gzip ------------------------------------------------------------------------------------------------------


def inflated_limit(compressed):
    """The most bytes ``compressed`` bytes of gzip may inflate to before the server calls it a gzip bomb."""
    return max(RATIO_FLOOR, MAX_INFLATE_RATIO * compressed)


class _Inflater(object):
    """The decompressed bytes of one gzip stream read from ``source`` (a binary file), hashing the compressed bytes."""

    def __init__(self, source):
        self._source = source
        self._z = zlib.decompressobj(31)
        self._buf = bytearray()
        self._pos = 0
        self.sha256 = hashlib.sha256()
        self.compressed_size = 0
        self.inflated = 0

    def _input(self):
        chunk = self._source.read(READ_SIZE)
        if chunk:
            self.sha256.update(chunk)
            self.compressed_size += len(chunk)
        return chunk

    def _inflate(self):
        """Decompress a little more; False once the stream ended or the input ran out."""
        if self._z.eof:
            return False
        data = self._z.unconsumed_tail or self._input()
        if not data:
            if self.compressed_size == 0:
                raise ArchiveError("failed to decompress snapshot: EOF")
            return False
        try:
            out = self._z.decompress(data, _SLICE)
        except zlib.error as exc:
            reason = str(exc).split(": ", 1)[-1]
            if "header" in reason or "compression method" in reason:
                raise ArchiveError("failed to decompress snapshot: gzip: invalid header (%s)" % reason) from None
            if reason in ("incorrect data check", "incorrect length check"):
                reason = "invalid checksum (%s)" % reason
            raise ArchiveError(_READ_PREFIX + "failed reading snapshot: gzip: %s" % reason) from None
        self.inflated += len(out)
        if self.inflated > inflated_limit(self.compressed_size):
            raise ArchiveError(
                _READ_PREFIX + "the archive inflates to more than %d times its compressed size (%d bytes from %d); "
                "refusing a gzip bomb" % (MAX_INFLATE_RATIO, self.inflated, self.compressed_size)
            )
        self._buf += out
        return True

    def read(self, size):
        """Up to ``size`` bytes; fewer only at the end of the decompressed stream."""
        while len(self._buf) - self._pos < size and self._inflate():
            pass
        data = bytes(self._buf[self._pos : self._pos + size])
        self._pos += len(data)
        if self._pos >= _SLICE:
            del self._buf[: self._pos]
            self._pos = 0
        return data

    def conclude(self):
        """After the tar end: only zero padding (at most one tar record) may remain, then the gzip stream must end."""
        extra = 0
        while True:
            chunk = self.read(_SLICE)
            if not chunk:
                break
            if chunk.count(0) != len(chunk) or extra + len(chunk) > _TAR_RECORD:
                # Counted for the message, but never inflated without end: a bomb may hide here.
                remaining = extra + len(chunk)
                while remaining <= MAX_TRAILING_COUNT:
                    more = self.read(_SLICE)
                    if not more:
                        break
                    remaining += len(more)
                if remaining > MAX_TRAILING_COUNT:
                    raise ArchiveError(
                        _READ_PREFIX + "more than %d unread uncompressed bytes remain" % MAX_TRAILING_COUNT
                    )
                raise ArchiveError(_READ_PREFIX + "%d unread uncompressed bytes remain" % remaining)
            extra += len(chunk)
        if not self._z.eof:
            raise ArchiveError(_READ_PREFIX + "failed reading snapshot: unexpected EOF")
        trailing = len(self._z.unused_data)
        while True:
            chunk = self._input()
            if not chunk:
                break
            trailing += len(chunk)
        if trailing:
            raise ArchiveError(
                "failed to decompress snapshot: %d bytes of trailing data after the gzip stream" % trailing
            )


# -- state.bin -------------------------------------------------------------------------------------------------


class _Partial(Exception):
    """The buffer ends inside a field; ``what`` names it, in the server's words."""

    def __init__(self, what):
        Exception.__init__(self, what)
        self.what = what


class StateParser(object):
    """Parses state.bin as it is fed (format raftops-state 1), counting records per top-level path segment.

    ``feed(data)`` any number of times, then ``finish()``; raises ArchiveError at the first format error, with the
    server's message (raftops.snapshot.statebin.read_records): the same checks, in the same order.
    """

    def __init__(self):
        self._buf = bytearray()
        self._offset = 0  # bytes of state.bin consumed before _buf
        self._header_done = False
        self._ended = False
        self._last_path = None
        self._waiting_for = "a record tag"
        self.count = 0
        self.prefixes = {}

    def _error(self, message):
        return ArchiveError("invalid snapshot state: %s" % message)

    def feed(self, data):
        if self._ended:
            if data:
                raise self._error("data after the end record at byte %d" % self._offset)
            return
        self._buf += data
        self._parse()

    def _take(self, start, size, what):
        end = start + size
        if end > len(self._buf):
            raise _Partial(what)
        return bytes(self._buf[start:end]), end

    def _check_header(self, header):
        name, _sep, version = header.rstrip(b"\n").decode("ascii", "replace").partition(" ")
        if not header.endswith(b"\n") or name != STATE_FORMAT:
            raise self._error("not a %s file (header %r)" % (STATE_FORMAT, header[:32]))
        if version != str(STATE_FORMAT_VERSION):
            raise self._error(
                "unsupported %s version %r (this raftops reads %d)" % (STATE_FORMAT, version, STATE_FORMAT_VERSION)
            )

    def _parse(self):
        pos = 0
        if not self._header_done:
            newline = self._buf.find(b"\n", 0, 64)
            if newline < 0:
                if len(self._buf) >= 64:
                    self._check_header(bytes(self._buf[:64]))
                return
            self._check_header(bytes(self._buf[: newline + 1]))
            self._header_done = True
            pos = newline + 1
        while not self._ended:
            start = pos
            try:
                pos = self._item(pos, self._offset + start)
            except _Partial as partial:
                self._waiting_for = partial.what
                pos = start
                break
            self._waiting_for = "a record tag"
        del self._buf[:pos]
        self._offset += pos

    def _item(self, pos, where):
        """Parse the end record or one record at ``pos``; the position after it. Raises _Partial."""
        tag, pos = self._take(pos, 1, "a record tag")
        if tag == b"\x00":
            raw, pos = self._take(pos, 8, "the record count")
            declared = struct.unpack(">Q", raw)[0]
            if declared != self.count:
                raise self._error("end record declares %d records but %d were read" % (declared, self.count))
            self._ended = True
            if pos != len(self._buf):
                raise self._error("data after the end record at byte %d" % (self._offset + pos))
            return pos
        if tag != b"\x01":
            raise self._error("unknown record tag 0x%02x at byte %d" % (ord(tag), where))
        raw, pos = self._take(pos, 4, "a path length")
        path_length = struct.unpack(">I", raw)[0]
        if not 0 < path_length <= MAX_PATH_BYTES:
            raise self._error("invalid path length %d at byte %d" % (path_length, where))
        raw_path, pos = self._take(pos, path_length, "a path")
        try:
            path = raw_path.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self._error("path at byte %d is not UTF-8: %s" % (where, exc)) from None
        if path.startswith("/"):
            raise self._error("invalid path %r at byte %d" % (path, where))
        if self._last_path is not None and raw_path <= self._last_path:
            raise self._error("path %r at byte %d is not after %r" % (path, where, self._last_path.decode("utf-8")))
        raw, pos = self._take(pos, 4, "a value length")
        value_length = struct.unpack(">I", raw)[0]
        if value_length > MAX_VALUE_BYTES:
            raise self._error("value of %r is %d bytes, over the %d limit" % (path, value_length, MAX_VALUE_BYTES))
        if pos + value_length > len(self._buf):
            raise _Partial("a value")
        pos += value_length
        if pos + 16 > len(self._buf):
            raise _Partial("the indexes")
        pos += 16  # the create and modify indexes (u64 each)
        self._last_path = raw_path
        self.count += 1
        prefix = path.split("/", 1)[0]
        self.prefixes[prefix] = self.prefixes.get(prefix, 0) + 1
        return pos

    def finish(self):
        if not self._header_done:
            self._check_header(bytes(self._buf[:64]))
        if not self._ended:
            raise self._error(
                "truncated at byte %d while reading %s" % (self._offset + len(self._buf), self._waiting_for)
            )


# -- tar -------------------------------------------------------------------------------------------------------


def _tar_error(reason):
    return ArchiveError(_READ_PREFIX + "failed reading snapshot: " + reason)


def _has_raftops_section(raw):
    try:
        return isinstance(json.loads(raw.decode("utf-8")).get("Raftops"), dict)
    except (ValueError, AttributeError):
        return True  # not a JSON object: parse, the meta.json check reports the real problem


def _read_members(source, parser, compressed_total=None):
    """Read the tar members from the inflater; returns {name: (size, sha256 bytes, content or None)}, the order and
    the first state.bin format error (the server reports it only once the container and meta.json passed)."""
    limits = {META: MAX_META_BYTES, SUMS: MAX_SUMS_BYTES, STATE: MAX_STATE_BYTES}
    declared_cap = inflated_limit(compressed_total) if compressed_total else None
    state_error = None
    found = {}
    order = []
    while True:
        block = source.read(_BLOCK)
        if len(block) < _BLOCK:
            raise _tar_error("unexpected EOF")
        if block == _ZERO_BLOCK:
            second = source.read(_BLOCK)
            if len(second) < _BLOCK:
                raise _tar_error("unexpected EOF")
            if second != _ZERO_BLOCK:
                raise _tar_error("archive/tar: invalid tar header (data after an end-of-archive block)")
            return found, order, state_error
        try:
            info = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
        except tarfile.HeaderError as exc:
            raise _tar_error("archive/tar: invalid tar header (%s)" % exc) from None
        name = info.name
        if name not in MEMBERS:
            raise ArchiveError(_READ_PREFIX + "unexpected file %s in snapshot" % json.dumps(name))
        if name in found:
            raise ArchiveError(_READ_PREFIX + "duplicate file %s in snapshot" % json.dumps(name))
        if info.type not in (tarfile.REGTYPE, tarfile.AREGTYPE):
            raise ArchiveError(_READ_PREFIX + "%s is not a regular file" % json.dumps(name))
        if info.size > limits[name]:
            raise ArchiveError(
                _READ_PREFIX + "%s is %d bytes, over the %d limit" % (json.dumps(name), info.size, limits[name])
            )
        if declared_cap is not None and info.size > declared_cap:
            raise ArchiveError(
                _READ_PREFIX
                + "%s declares %d bytes, more than %d times the %d-byte archive; refusing a gzip bomb"
                % (json.dumps(name), info.size, MAX_INFLATE_RATIO, compressed_total)
            )
        order.append(name)
        # state.bin is parsed as a raftops state only when meta.json (which precedes it) says it is one.
        parse_state = name == STATE and (META not in found or _has_raftops_section(found[META][2]))
        sha = hashlib.sha256()
        kept = bytearray()
        left = info.size
        while left:
            chunk = source.read(min(_SLICE, left))
            if not chunk:
                raise _tar_error("unexpected EOF")
            sha.update(chunk)
            if name == STATE:
                if parse_state and state_error is None:
                    try:
                        parser.feed(chunk)
                    except ArchiveError as exc:
                        state_error = exc
            else:
                kept += chunk
            left -= len(chunk)
        pad = -info.size % _BLOCK
        padding = source.read(pad)
        if len(padding) < pad:
            raise _tar_error("unexpected EOF")
        if padding.count(0) != pad:
            raise _tar_error("archive/tar: invalid padding after %s" % json.dumps(name))
        found[name] = (info.size, sha.digest(), bytes(kept) if name != STATE else None)


def _check_members(found, order):
    for name in MEMBERS:
        if name not in found:
            raise ArchiveError(_READ_PREFIX + "missing file %s in snapshot" % json.dumps(name))
    if tuple(order) != MEMBERS:
        raise ArchiveError(
            _READ_PREFIX
            + "members are in the order %s; a snapshot holds %s in that order" % (", ".join(order), ", ".join(MEMBERS))
        )


def _check_sums(found):
    """Every line well formed, every listed file expected and its hash equal, every expected file listed."""
    expected = {META: found[META][1], STATE: found[STATE][1]}
    text = found[SUMS][2]
    if not text.endswith(b"\n"):
        raise ArchiveError(_INTEGRITY_PREFIX + "SHA256SUMS does not end with a newline")
    seen = set()
    for number, line in enumerate(text[:-1].split(b"\n"), 1):
        match = _SUMS_LINE.match(line)
        if match is None:
            raise ArchiveError(_INTEGRITY_PREFIX + "malformed SHA256SUMS line %d: %r" % (number, line[:100]))
        name = match.group(2).decode("ascii", "replace")
        if name not in expected:
            raise ArchiveError(_INTEGRITY_PREFIX + "list missing hash for %s" % json.dumps(name))
        if name in seen:
            raise ArchiveError(_INTEGRITY_PREFIX + "SHA256SUMS lists %s twice" % json.dumps(name))
        seen.add(name)
        if binascii.unhexlify(match.group(1)) != expected[name]:
            raise ArchiveError(_INTEGRITY_PREFIX + "hash check failed for %s" % json.dumps(name))
    for name in MEMBERS[:2]:
        if name not in seen:
            raise ArchiveError(_INTEGRITY_PREFIX + "file missing for %s" % json.dumps(name))


def _check_meta(raw, state_size, allow_nomad=False):
    try:
        meta = json.loads(raw)
    except ValueError as exc:
        raise ArchiveError(_READ_PREFIX + "failed to decode snapshot metadata: %s" % exc) from None
    if not isinstance(meta, dict):
        raise ArchiveError(_READ_PREFIX + "failed to decode snapshot metadata: not a JSON object")
    if meta.get("Version") != RAFT_SNAPSHOT_VERSION:
        raise ArchiveError(
            "unsupported snapshot version %r (this raftops reads %d)" % (meta.get("Version"), RAFT_SNAPSHOT_VERSION)
        )
    if meta.get("Size") != state_size:
        raise ArchiveError("snapshot metadata says Size %r but state.bin has %d bytes" % (meta.get("Size"), state_size))
    raftops = meta.get("Raftops")
    if not isinstance(raftops, dict) and allow_nomad:
        return meta  # a Nomad server's archive: the container and its hashes are all that can be checked here
    if not isinstance(raftops, dict):
        raise ArchiveError(
            "not a raftops snapshot: meta.json has no Raftops section (Nomad server snapshots cannot be restored here)"
        )
    if raftops.get("SchemaVersion") != SCHEMA_VERSION:
        raise ArchiveError(
            "unsupported snapshot schema version %r (this raftops supports %d)"
            % (raftops.get("SchemaVersion"), SCHEMA_VERSION)
        )
    if raftops.get("Format") != STATE_FORMAT or raftops.get("FormatVersion") != STATE_FORMAT_VERSION:
        raise ArchiveError(
            "unsupported state format %r version %r (this raftops reads %s %d)"
            % (raftops.get("Format"), raftops.get("FormatVersion"), STATE_FORMAT, STATE_FORMAT_VERSION)
        )
    items = raftops.get("Items")
    if isinstance(items, bool) or not isinstance(items, int) or items < 0:
        raise ArchiveError("snapshot metadata has an invalid Raftops.Items %r" % (items,))
    return meta


def inspect_stream(source, allow_nomad=False, size=None):
    """Verify the archive read from the binary file ``source`` (``size`` bytes long, when known); returns a dict
    describing it (see inspect_file())."""
    parser = StateParser()
    inflater = _Inflater(source)
    found, order, state_error = _read_members(inflater, parser, size)
    inflater.conclude()
    _check_members(found, order)
    _check_sums(found)
    meta = _check_meta(found[META][2], found[STATE][0], allow_nomad)
    raftops = isinstance(meta.get("Raftops"), dict)
    if raftops:
        if state_error is not None:
            raise state_error
        parser.finish()
        declared = meta["Raftops"]["Items"]
        if parser.count != declared:
            raise ArchiveError(
                "invalid snapshot state: meta.json says %d items, state.bin holds %d" % (declared, parser.count)
            )
    sha256 = inflater.sha256.digest()
    return {
        "format": "raftops" if raftops else "nomad",
        "size": inflater.compressed_size,
        "sha256": binascii.hexlify(sha256).decode("ascii"),
        "digest": digest_header(sha256),
        "meta": meta,
        "members": [
            {"name": name, "size": found[name][0], "sha256": binascii.hexlify(found[name][1]).decode("ascii")}
            for name in MEMBERS
        ],
        "items": parser.count if raftops else None,
        "item_counts": dict(sorted(parser.prefixes.items())) if raftops else {},
    }


def inspect_file(path, allow_nomad=False):
    """Verify the archive at ``path`` offline; raises ArchiveError (bad archive) or OSError (cannot read).

    Returns ``format`` (``raftops``, or ``nomad`` for a Nomad server's archive when ``allow_nomad``: only its
    container, hashes and metadata version can be checked), ``size`` (bytes of the file), ``sha256`` (hex, of the
    file), ``digest`` (the Digest header value a server sends with it), ``meta`` (meta.json), ``members`` (name, size
    and SHA-256 of each tar member), ``items`` (state records; None for Nomad) and ``item_counts`` (records per
    top-level path segment, e.g. ``vars``, ``acl``).
    """
    with open(path, "rb") as source:
        return inspect_stream(source, allow_nomad, os.fstat(source.fileno()).st_size)


def summary(info):
    """The fields ``raftops operator snapshot inspect`` prints, as a flat dict (Nomad's five, then raftops')."""
    meta = info["meta"]
    raftops = meta.get("Raftops") or {}
    return {
        "id": meta.get("ID"),
        "index": meta.get("Index"),
        "term": meta.get("Term"),
        "version": meta.get("Version"),
        "state_size": meta.get("Size"),
        "revision": raftops.get("Revision"),
        "state_revision": raftops.get("StateRevision"),
        "generation": raftops.get("Generation"),
        "cluster_id": raftops.get("ClusterID"),
        "created_at": raftops.get("CreatedAt"),
        "raftops_version": raftops.get("RaftopsVersion"),
        "etcd_version": raftops.get("EtcdVersion"),
        "schema_version": raftops.get("SchemaVersion"),
        "stale": raftops.get("Stale"),
        "members": ["%s@%s" % (m.get("Name", ""), m.get("Address", "")) for m in raftops.get("Members") or []],
    }
