"""Backups kept in a repository (``raftops.repository``: a directory or an S3 bucket).

The repository writes every blob atomically (temporary name, fsync, rename; or one whole S3
object), so a listing shows whole backups only; a crash mid-write leaves a temporary file that
no listing shows. Names that do not end in ``etcd.backup`` or whose revision does not parse are
not backups: they are neither counted nor served nor purged, as in etcd-operator.
"""

from __future__ import annotations

import io
import json
import logging
import tarfile
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from ..repository import Repository, RepositoryError
from ..repository.base import BlobInfo, BlobNotFound, check_name
from ..snapshot import archive
from . import names

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
META_CACHE = 1024


@dataclass(frozen=True)
class Backup:
    name: str
    revision: int
    size: int
    modified: float  # unix seconds, from the repository

    @property
    def version(self) -> str:
        return names.version_from_name(self.name)


class BackupStore:
    def __init__(self, repository: Repository, *, tmp_dir: str | None = None):
        self.repository = repository
        self.tmp_dir = tmp_dir
        self._raftops_versions: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def describe(self) -> str:
        return self.repository.describe()

    # -- listing -------------------------------------------------------------------------------
    def list(self) -> list[Backup]:
        """Every whole backup, oldest (lowest revision) first; raises RepositoryError."""
        found = []
        for blob in self.repository.list():
            revision = names.revision_or_none(blob.name)
            if revision is not None:
                found.append(Backup(blob.name, revision, blob.size, blob.modified))
        found.sort(key=lambda b: b.revision)
        return found

    def latest(self) -> Backup | None:
        backups = self.list()
        return backups[-1] if backups else None

    def find(self, name: str) -> Backup | None:
        """The backup stored under exactly ``name``, or None (also for names no repository accepts)."""
        try:
            check_name(name)
        except RepositoryError:
            return None
        for blob in self.repository.list(name):
            if blob.name == name:
                revision = names.revision_or_none(name)
                return Backup(name, revision if revision is not None else 0, blob.size, blob.modified)
        return None

    # -- writing -------------------------------------------------------------------------------
    def put(self, name: str, chunks: Iterable[bytes]) -> BlobInfo:
        return self.repository.put(name, chunks)

    def verify(self, name: str) -> dict[str, Any]:
        """Re-read a stored backup and check it whole (gzip, tar, every hash, state.bin); its meta."""
        with self.repository.open(name) as stream, archive.verify(_chunks(stream), tmp_dir=self.tmp_dir) as checked:
            return checked.meta

    def delete(self, name: str) -> bool:
        with self._lock:
            self._raftops_versions.pop(name, None)
        return self.repository.delete(name)

    def purge(self, max_backups: int) -> list[str]:
        """Delete the oldest backups beyond ``max_backups`` (by revision); 0 keeps all."""
        if max_backups <= 0:
            return []
        backups = self.list()
        removed = []
        for backup in backups[: max(0, len(backups) - max_backups)]:
            try:
                self.delete(backup.name)
            except RepositoryError as exc:
                log.error("failed to remove backup %s: %s", backup.name, exc)
                continue
            log.info("removed backup %s (keeping the newest %d)", backup.name, max_backups)
            removed.append(backup.name)
        return removed

    # -- reading -------------------------------------------------------------------------------
    def open(self, name: str) -> BinaryIO:
        """Raises BlobNotFound when there is no such backup."""
        return self.repository.open(name)

    def open_with_meta(self, name: str) -> tuple[Iterator[bytes], str]:
        """The backup's bytes and the raftops version that wrote it (from meta.json, "" if unreadable).

        meta.json is the archive's first member, so it is read from the first few KiB of the same
        stream that is then served whole.
        """
        stream = self.open(name)
        try:
            meta, head = peek_meta(stream)
        except BaseException:
            stream.close()
            raise
        version = str((meta or {}).get("Raftops", {}).get("RaftopsVersion", ""))
        self._remember(name, version)
        return _served(head, stream), version

    def raftops_version(self, name: str) -> str:
        """The raftops version of a backup without streaming it (cached per name)."""
        with self._lock:
            if name in self._raftops_versions:
                return self._raftops_versions[name]
        try:
            with self.open(name) as stream:
                meta, _ = peek_meta(stream)
        except (BlobNotFound, RepositoryError, OSError):
            return ""
        version = str((meta or {}).get("Raftops", {}).get("RaftopsVersion", ""))
        self._remember(name, version)
        return version

    def _remember(self, name: str, version: str) -> None:
        with self._lock:
            self._raftops_versions[name] = version
            self._raftops_versions.move_to_end(name)
            while len(self._raftops_versions) > META_CACHE:
                self._raftops_versions.popitem(last=False)


class _Recorder(io.RawIOBase):
    """Reads through to ``stream`` and keeps every byte read, so they can be served again."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self.seen = bytearray()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        self.seen += data
        buffer[: len(data)] = data
        return len(data)


def peek_meta(stream: BinaryIO) -> tuple[dict[str, Any] | None, bytes]:
    """(meta.json of an archive or None, the bytes read from ``stream`` to find it)."""
    recorder = _Recorder(stream)
    meta = None
    try:
        with tarfile.open(fileobj=recorder, mode="r|gz") as tar:
            member = tar.next()
            if member is not None and member.name == archive.META and member.size <= archive.MAX_META_BYTES:
                extracted = tar.extractfile(member)
                if extracted is not None:
                    meta = json.loads(extracted.read())
    except (tarfile.TarError, EOFError, zlib.error, ValueError) as exc:
        log.warning("cannot read meta.json of a backup: %s", exc)
    return (meta if isinstance(meta, dict) else None), bytes(recorder.seen)


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


def _served(head: bytes, stream: BinaryIO) -> Iterator[bytes]:
    try:
        if head:
            yield head
        yield from _chunks(stream)
    finally:
        stream.close()
