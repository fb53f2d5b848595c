"""The backup loop: etcd-operator's Backup.Run/saveSnap for a raftops cluster.

One thread takes every backup, so there is never more than one at a time: each tick of the
interval and each ``/v1/backupnow`` request is one attempt. An attempt reads the state revision
(``GET /v1/raftops/state``) and skips when it equals the latest backup's, otherwise it downloads
a snapshot from an agent (``GET /v1/operator/snapshot``), checks the Digest header and the whole
archive, names it from the archive's own meta.json (etcd version, state revision), stores it
atomically, re-reads and checks the stored copy, then applies retention. As upstream, the next
tick comes one interval after the previous attempt, and a request restarts that interval.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import queue
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from ..errors import InvalidArchive
from ..repository import RepositoryError
from ..repository.base import check_name
from ..snapshot import archive
from . import names
from .agents import AgentError, AgentPool
from .metrics import BackupMetrics
from .storage import BackupStore

log = logging.getLogger(__name__)

MAX_RECENT = 10  # etcd-operator's maxRecentBackupStatusCount
ACCEPT_TIMEOUT = 60.0  # /v1/backupnow: 408 "timeout" if the loop does not take the request in a minute
FINISH_TIMEOUT = 600.0  # ... or does not finish it in ten
CHUNK = 256 * 1024
# Test-only (docs/backup-sidecar.md): seconds to sleep after each 4 KiB written to storage, so a
# test can kill the sidecar while a backup is half-written. Never set it in production.
TEST_WRITE_DELAY_ENV = "RAFTOPS_BACKUP_TEST_WRITE_DELAY"
_TEST_CHUNK = 4096


class BackupError(Exception):
    """An attempt failed for a reason the message explains."""


@dataclass(frozen=True)
class BackupStatus:
    """etcd-operator's backupapi.BackupStatus."""

    creation_time: str
    size: float  # MB, three decimals
    revision: int
    version: str
    time_took_in_second: int

    def as_json(self) -> dict[str, Any]:
        # Field order of the Go struct, which is the order json.Encoder writes.
        return {
            "creationTime": self.creation_time,
            "size": self.size,
            "revision": self.revision,
            "version": self.version,
            "timeTookInSecond": self.time_took_in_second,
        }


@dataclass
class Outcome:
    status: BackupStatus | None = None
    error: str = ""
    skipped: bool = False


class _Request:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.accepted = False
        self.cancelled = False
        self.done = threading.Event()
        self.outcome: Outcome | None = None


class BackupService:
    def __init__(
        self,
        agents: AgentPool,
        store: BackupStore,
        *,
        interval: float,
        max_backups: int,
        metrics: BackupMetrics | None = None,
        tmp_dir: str | None = None,
        test_write_delay: float = 0.0,
    ):
        self.agents = agents
        self.store = store
        self.interval = interval
        self.max_backups = max_backups
        self.metrics = metrics or BackupMetrics()
        self.tmp_dir = tmp_dir
        self.test_write_delay = test_write_delay
        self.last_revision: int | None = None  # None: storage holds no backup yet
        self._recent: deque[BackupStatus] = deque(maxlen=MAX_RECENT)
        self._last_error: tuple[str, str] | None = None  # (message, RFC 3339 time)
        self._lock = threading.Lock()
        self._requests: queue.Queue[_Request] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def prepare(self) -> None:
        """Rebuild from storage: the latest backup's revision is the last one (RepositoryError is fatal)."""
        latest = self.store.latest()
        self.last_revision = latest.revision if latest else None
        if latest is not None:
            self.metrics.revision.set(latest.revision)
        log.info(
            "storage %s: latest backup %s",
            self.store.describe(),
            latest.name if latest else "none (the first attempt takes one)",
        )
        self.purge()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="backup-loop", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        next_tick = time.monotonic() + self.interval
        while not self._stop.is_set():
            request = None
            wait = next_tick - time.monotonic()
            if wait > 0:
                try:
                    request = self._requests.get(timeout=min(wait, 0.5))
                except queue.Empty:
                    continue
                with request.lock:
                    if request.cancelled:
                        continue
                    request.accepted = True
                log.info("received a backup request")
            outcome = self.attempt()
            self.purge()
            next_tick = time.monotonic() + self.interval
            if request is not None:
                request.outcome = outcome
                request.done.set()

    def backup_now(
        self, accept_timeout: float = ACCEPT_TIMEOUT, finish_timeout: float = FINISH_TIMEOUT
    ) -> Outcome | None:
        """Hand an attempt to the loop and wait for it; None when it timed out (upstream's 408)."""
        request = _Request()
        self._requests.put(request)
        deadline = time.monotonic() + accept_timeout
        while True:
            with request.lock:
                if request.accepted:
                    break
                if time.monotonic() > deadline:
                    request.cancelled = True
                    return None
            request.done.wait(0.05)
        if not request.done.wait(finish_timeout):
            return None
        return request.outcome

    # -- one attempt ----------------------------------------------------------------------------
    def attempt(self) -> Outcome:
        started = time.monotonic()
        self.metrics.last_attempt.set(time.time())
        try:
            if self._unchanged(self.agents.state().revision):
                return self._skipped()
            status = self._take(started)
        except (AgentError, BackupError, RepositoryError, InvalidArchive, OSError) as exc:
            return self._failed(str(exc))
        except Exception as exc:  # the loop must outlive any bug; the error is still reported
            log.exception("unexpected error while taking a backup")
            return self._failed(f"{type(exc).__name__}: {exc}")
        if status is None:
            return self._skipped()
        self._set_error(None)
        return Outcome(status=status)

    def _unchanged(self, revision: int) -> bool:
        """The skip rule: True when ``revision`` is the latest backup's; an error when it went back."""
        last = self.last_revision
        if last is None or revision > last:
            return False
        if revision == last:
            return True
        raise BackupError(
            f"the cluster's state revision {revision} is below the latest backup's ({last}) in "
            f"{self.store.describe()}: those backups come from another cluster, or from this one before "
            "it was rebuilt; give this cluster its own storage location"
        )

    def _skipped(self) -> Outcome:
        log.info("skipped creating new backup: no change since last time (state revision %s)", self.last_revision)
        self.metrics.skipped.inc()
        self._set_error(None)
        return Outcome(status=self.last_status(), skipped=True)

    def _failed(self, message: str) -> Outcome:
        log.error("failed to save snapshot: %s", message)
        self.metrics.failures.inc()
        self._set_error(message)
        return Outcome(error=message)

    def _take(self, started: float) -> BackupStatus | None:
        """Download, check, name, store and re-check one backup; None when the snapshot shows no change."""
        download = self.agents.snapshot()
        # tempfile creates it 0600 whatever the umask (and unlinked on Linux): it holds the whole state.
        with tempfile.TemporaryFile(dir=self.tmp_dir, prefix="raftops-backup-") as spool:
            try:
                self._receive(download.chunks(), download.digest, spool)
            finally:
                download.close()
            size = spool.tell()
            spool.seek(0)
            with archive.verify(_chunks(spool), tmp_dir=self.tmp_dir, compressed_size=size) as checked:
                meta = checked.meta
            raftops = meta.get("Raftops") or {}
            revision, version = int(raftops.get("StateRevision", 0)), str(raftops.get("EtcdVersion", ""))
            if self._unchanged(revision):  # cannot happen after the check above; never overwrite a backup
                return None
            name = names.make_name(version, revision)
            try:
                check_name(name)
            except RepositoryError as exc:
                raise BackupError(f"the snapshot's etcd version {version!r} cannot name a backup: {exc}") from None
            spool.seek(0)
            stored = self.store.put(name, self._paced(_chunks(spool)))
        try:
            self.store.verify(name)
        except (InvalidArchive, RepositoryError, OSError) as exc:
            with contextlib.suppress(RepositoryError):
                self.store.delete(name)
            raise BackupError(f"backup {name} failed its check after writing and was removed: {exc}") from None
        took = time.monotonic() - started
        status = BackupStatus(names.rfc3339(), names.to_mb(stored.size), revision, version, int(took + 1))
        with self._lock:
            self._recent.append(status)
            self.last_revision = revision
        log.info(
            "saved backup %s (%d bytes, state revision %d, from %s) in %.2fs",
            name,
            stored.size,
            revision,
            download.agent,
            took,
        )
        self.metrics.successes.inc()
        self.metrics.last_success.set(time.time())
        self.metrics.duration.set(took)
        self.metrics.size.set(stored.size)
        self.metrics.revision.set(revision)
        return status

    @staticmethod
    def _receive(chunks: Iterable[bytes], digest: str, out: IO[bytes]) -> None:
        sha = hashlib.sha256()
        for chunk in chunks:
            sha.update(chunk)
            out.write(chunk)
        if not digest:
            raise BackupError("the agent sent a snapshot without a Digest header")
        try:
            archive.check_digest(digest, sha.digest())
        except InvalidArchive as exc:
            raise BackupError(f"the snapshot download is damaged: {exc}") from None

    def _paced(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        if self.test_write_delay <= 0:
            yield from chunks
            return
        for chunk in chunks:
            for offset in range(0, len(chunk), _TEST_CHUNK):
                yield chunk[offset : offset + _TEST_CHUNK]
                time.sleep(self.test_write_delay)

    # -- retention and views --------------------------------------------------------------------
    def purge(self) -> None:
        try:
            removed = self.store.purge(self.max_backups)
            backups = self.store.list()
        except RepositoryError as exc:
            log.error("fail to purge backups: %s", exc)
            return
        self.metrics.purged.inc(len(removed))
        self.metrics.stored.set(len(backups))
        self.metrics.stored_bytes.set(sum(b.size for b in backups))

    def last_status(self) -> BackupStatus | None:
        """The most recent backup made by this process; before the first, the latest in storage."""
        with self._lock:
            if self._recent:
                return self._recent[-1]
        latest = self.store.latest()
        if latest is None:
            return None
        return BackupStatus(
            names.rfc3339(latest.modified), names.to_mb(latest.size), latest.revision, latest.version, 0
        )

    def recent_backup(self) -> BackupStatus | None:
        """etcd-operator's ServiceStatus.RecentBackup: only backups this process made."""
        with self._lock:
            return self._recent[-1] if self._recent else None

    def last_error(self) -> tuple[str, str] | None:
        with self._lock:
            return self._last_error

    def _set_error(self, message: str | None) -> None:
        with self._lock:
            self._last_error = None if message is None else (message, names.rfc3339())


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk
