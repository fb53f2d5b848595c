"""Snapshots kept in a repository: create (in a background thread), list, delete, restore.

A snapshot named ``n`` is two blobs: ``<b>.tar.gz``, the archive ``GET /v1/operator/snapshot``
returns (raftops.snapshot.service.save), and ``<b>.json``, its SnapshotInfo record, written *after*
the archive, so a listed snapshot is always whole (``<b>`` = names.blob_base(n)). A failed creation
leaves only a ``FAILED`` record (best effort) and no archive.

While it is being created a snapshot is ``IN_PROGRESS``: the creating agent keeps it in memory and
announces it with a marker (raftops.store.sm.RunningSnapshots) on its liveness lease, so every
agent lists it, and it vanishes with the agent if that dies. Readers check that key *before* the
repository, and the creator writes the record before removing the key, so a snapshot is never
missed in between.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .. import __version__
from ..errors import RestoreFailed, UpstreamError
from ..repository import Repository, RepositoryError
from ..repository.base import BlobNotFound
from ..snapshot import archive, service
from ..store.etcd import EtcdError
from ..store.generations import RestoreResult
from ..store.sm import RunningSnapshots
from . import names
from .clock import Clock
from .host import SMHost
from .repositories import Repositories, RepositoryDef
from .statemachine import simple_match

log = logging.getLogger(__name__)

TASK_RETENTION_S = 3600.0  # finished tasks stay in memory this long, for status checks
DELAY_POLL_S = 0.5


def _is_file(f: Any) -> bool:
    try:
        f.fileno()
    except (OSError, ValueError, AttributeError):
        return False
    return True


def snapshot_uuid() -> str:
    """OpenSearch's UUIDs.randomBase64UUID shape: 22 URL-safe base64 characters."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def iso_millis(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def version_id(version: str) -> int:
    parts = [int(p) if p.isdigit() else 0 for p in (version.split(".") + ["0", "0"])[:3]]
    return parts[0] * 1_000_000 + parts[1] * 10_000 + parts[2] * 100 + 99


@dataclass
class Record:
    """A snapshot as the repository (or a running creation) describes it."""

    snapshot: str
    uuid: str
    state: str
    start_time: int
    end_time: int = 0
    metadata: dict[str, Any] | None = None
    reason: str | None = None
    raftops: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot,
            "uuid": self.uuid,
            "state": self.state,
            "start_time_in_millis": self.start_time,
            "end_time_in_millis": self.end_time,
            "metadata": self.metadata,
            "reason": self.reason,
            "raftops": self.raftops,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Record:
        return cls(
            doc["snapshot"],
            doc.get("uuid", ""),
            doc.get("state", "SUCCESS"),
            int(doc.get("start_time_in_millis", 0)),
            int(doc.get("end_time_in_millis", 0)),
            doc.get("metadata"),
            doc.get("reason"),
            doc.get("raftops") or {},
        )

    def info(self, *, verbose: bool = True) -> dict[str, Any]:
        """SnapshotInfo.toXContent as ``GET /_snapshot`` prints it (plus a ``raftops`` object)."""
        out: dict[str, Any] = {"snapshot": self.snapshot, "uuid": self.uuid}
        if not verbose:
            return out | {"indices": [], "data_streams": [], "state": self.state}
        out |= {
            "version_id": version_id(__version__),
            "version": __version__,
            "indices": [],
            "data_streams": [],
            "include_global_state": True,
        }
        if self.metadata is not None:
            out["metadata"] = self.metadata
        out["state"] = self.state
        if self.reason is not None:
            out["reason"] = self.reason
        out |= {
            "start_time": iso_millis(self.start_time),
            "start_time_in_millis": self.start_time,
            "end_time": iso_millis(self.end_time),
            "end_time_in_millis": self.end_time,
            "duration_in_millis": max(0, self.end_time - self.start_time) if self.end_time else 0,
            "failures": [],
            "shards": {"total": 0, "failed": 0, "successful": 0},
        }
        if self.raftops:
            out["raftops"] = self.raftops
        return out


def missing(repository: str, snapshot: str) -> UpstreamError:
    return UpstreamError(404, "snapshot_missing_exception", f"[{repository}:{snapshot}] is missing")


@dataclass
class Task:
    repository: str
    record: Record
    done: threading.Event = field(default_factory=threading.Event)
    finished_at: float = 0.0
    recorded: bool = False  # the record blob was written


class Snapshots:
    """The snapshot operations of one agent (API handlers and the SM executor share it)."""

    def __init__(self, agent: SMHost, repositories: Repositories, clock: Clock):
        self.agent = agent
        self.repositories = repositories
        self.clock = clock
        self.running = RunningSnapshots(agent.state)
        self._tasks: dict[tuple[str, str], Task] = {}
        self._lock = threading.Lock()
        self._info_cache: dict[tuple[str, str, int, float], Record] = {}

    # -- paths -----------------------------------------------------------------------------------
    def _tmp_dir(self) -> str | None:
        data_dir = getattr(self.agent.config, "data_dir", "")
        if not data_dir:
            return None
        path = os.path.join(data_dir, "tmp")
        os.makedirs(path, mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)  # spool files hold the whole state, whatever the umask
        return path

    def _open(self, repository: str) -> tuple[RepositoryDef, Repository]:
        defn = self.repositories.require(repository)
        return defn, self.repositories.open(defn)

    # -- listing ---------------------------------------------------------------------------------
    def _running(self, repository: str) -> dict[str, Record]:
        out: dict[str, Record] = {}
        for value in self.running.list(repository):
            try:
                rec = Record.from_json(json.loads(value))
            except (ValueError, KeyError):
                continue
            out[rec.snapshot] = rec
        with self._lock:
            for (repo, name), task in self._tasks.items():
                if repo == repository and not task.done.is_set():
                    out[name] = task.record
        return out

    def _read_record(self, repo: Repository, blob_name: str, size: int, modified: float) -> Record | None:
        key = (repo.describe(), blob_name, size, modified)
        with self._lock:
            cached = self._info_cache.get(key)
        if cached is not None:
            return cached
        try:
            rec = Record.from_json(json.loads(repo.read(blob_name)))
        except BlobNotFound:
            return None  # deleted between the listing and the read
        except (ValueError, KeyError) as exc:
            log.warning("ignoring unreadable snapshot record %s in %s: %s", blob_name, repo.describe(), exc)
            return None
        with self._lock:
            if len(self._info_cache) > 4096:
                self._info_cache.clear()
            self._info_cache[key] = rec
        return rec

    def records(self, repository: str) -> list[Record]:
        """Every snapshot in the repository, running ones included, oldest first. Raises UpstreamError."""
        _, repo = self._open(repository)
        running = self._running(repository)  # before the repository: see the module docstring
        try:
            blobs = repo.list()
        except RepositoryError as exc:
            raise UpstreamError(
                500, "repository_exception", f"[{repository}] could not list snapshots: {exc}"
            ) from None
        found: dict[str, Record] = {}
        for blob in blobs:
            if not blob.name.endswith(names.INFO_SUFFIX) or blob.name.startswith("raftops-verify-"):
                continue
            try:
                rec = self._read_record(repo, blob.name, blob.size, blob.modified)
            except RepositoryError as exc:
                raise UpstreamError(500, "repository_exception", f"[{repository}] {exc}") from None
            if rec is not None:
                found[rec.snapshot] = rec
        for name, rec in running.items():
            found.setdefault(name, rec)
        with self._lock:  # creations this agent finished whose record could not be written (repository down)
            for (repo_name, name), task in self._tasks.items():
                if repo_name == repository and task.done.is_set() and not task.recorded:
                    found.setdefault(name, task.record)
        return sorted(found.values(), key=lambda r: (r.start_time, r.snapshot))

    def select(self, repository: str, patterns: list[str], *, ignore_unavailable: bool = False) -> list[Record]:
        """``GET /_snapshot/<repo>/<names>``: ``_all``/``*``/wildcards/``_current``; a missing exact name is a 404."""
        all_records = self.records(repository)
        if not patterns or patterns == ["_all"]:
            return all_records
        chosen: dict[str, Record] = {}
        for pattern in patterns:
            if pattern == "_current":
                matches = [r for r in all_records if r.state == "IN_PROGRESS"]
            elif "*" in pattern:
                matches = [r for r in all_records if simple_match(pattern, r.snapshot)]
            else:
                matches = [r for r in all_records if r.snapshot == pattern]
                if not matches and not ignore_unavailable:
                    raise missing(repository, pattern)
            for r in matches:
                chosen.setdefault(r.snapshot, r)
        return sorted(chosen.values(), key=lambda r: (r.start_time, r.snapshot))

    # -- creation ------------------------------------------------------------------------------------
    def start(self, repository: str, snapshot: str, metadata: dict[str, Any] | None) -> Task:
        """Check the request, announce the snapshot, and create it in a background thread."""
        names.check_snapshot_name(repository, snapshot)
        _, repo = self._open(repository)
        existing = {r.snapshot for r in self.records(repository)}
        if snapshot in existing:
            raise names.invalid_snapshot_name(repository, snapshot, "snapshot with the same name already exists")
        record = Record(snapshot, snapshot_uuid(), "IN_PROGRESS", self.clock.now_ms(), metadata=metadata)
        task = Task(repository, record)
        with self._lock:
            self._prune()
            if (repository, snapshot) in self._tasks and not self._tasks[(repository, snapshot)].done.is_set():
                raise names.invalid_snapshot_name(repository, snapshot, "snapshot with the same name is in progress")
            self._tasks[(repository, snapshot)] = task
        lease = getattr(self.agent, "lease", None)
        try:
            if lease is None or not lease.healthy.is_set():
                raise UpstreamError(503, "status_exception", "this agent has no liveness lease yet; try again")
            # On the agent's lease: if the agent dies, the marker goes and the snapshot is no longer listed.
            self.running.put(
                repository, names.blob_base(snapshot), json.dumps(record.to_json()).encode(), lease.lease_id
            )
        except (EtcdError, UpstreamError):
            with self._lock:
                self._tasks.pop((repository, snapshot), None)
            raise
        thread = threading.Thread(target=self._create, args=(task, repo), name=f"snapshot-{snapshot}"[:60], daemon=True)
        thread.start()
        return task

    def _test_delay(self, started: float) -> None:
        """Test-only (sm.test_clock): wait while the shared creation delay says so, re-read every 0.5 s."""
        while True:
            delay = self.clock.creation_delay_ms() / 1000.0
            if time.monotonic() - started >= delay:
                return
            time.sleep(DELAY_POLL_S)
            try:
                self.clock.refresh()
            except EtcdError:
                return

    def _create(self, task: Task, repo: Repository) -> None:
        rec = task.record
        started = time.monotonic()
        try:
            if self.clock.test_clock:
                self._test_delay(started)
            with service.save(self.agent.state, tmp_dir=self._tmp_dir()) as snap:
                info = repo.put(names.archive_blob(rec.snapshot), snap.chunks())
                meta = snap.meta
                rec.raftops = {
                    "archive": info.name,
                    "size_in_bytes": snap.size,
                    "sha256": snap.sha256.hex(),
                    "id": meta.get("ID"),
                    "index": meta.get("Index"),
                    "term": meta.get("Term"),
                    "revision": meta.get("Raftops", {}).get("Revision"),
                    "items": meta.get("Raftops", {}).get("Items"),
                }
            rec.end_time = self.clock.now_ms()
            rec.state = "SUCCESS"
            repo.put(names.info_blob(rec.snapshot), [json.dumps(rec.to_json()).encode()])
            task.recorded = True
            log.info(
                "snapshot %s created in %s (%d bytes)", rec.snapshot, repo.describe(), rec.raftops["size_in_bytes"]
            )
        except Exception as exc:  # the snapshot fails; the agent goes on
            log.warning("snapshot %s in %s failed: %s", rec.snapshot, task.repository, exc)
            rec.state, rec.reason, rec.end_time = "FAILED", str(exc) or type(exc).__name__, self.clock.now_ms()
            try:
                repo.put(names.info_blob(rec.snapshot), [json.dumps(rec.to_json()).encode()])
                task.recorded = True
            except Exception as again:  # the repository is the likely culprit; memory still has the outcome
                log.info("could not record the failure of snapshot %s: %s", rec.snapshot, again)
        finally:
            task.finished_at = time.monotonic()
            task.done.set()
            try:
                self.running.delete(task.repository, names.blob_base(rec.snapshot))
            except EtcdError as exc:
                log.info("could not remove the running marker of %s (its lease removes it): %s", rec.snapshot, exc)

    def _prune(self) -> None:
        now = time.monotonic()
        for key, task in list(self._tasks.items()):
            if task.done.is_set() and now - task.finished_at > TASK_RETENTION_S:
                del self._tasks[key]

    def local_task(self, repository: str, snapshot: str) -> Task | None:
        with self._lock:
            return self._tasks.get((repository, snapshot))

    # -- deletion --------------------------------------------------------------------------------------
    def delete(self, repository: str, patterns: Iterable[str]) -> list[str]:
        """Delete snapshots (record first, so they leave listings at once; then the archive)."""
        _, repo = self._open(repository)
        chosen = self.select(repository, list(patterns))
        for rec in chosen:
            if rec.state == "IN_PROGRESS":
                raise UpstreamError(
                    503,
                    "concurrent_snapshot_execution_exception",
                    f"[{repository}:{rec.snapshot}] cannot delete a snapshot while it is being created",
                )
        deleted = []
        for rec in chosen:
            try:
                repo.delete(names.info_blob(rec.snapshot))
                repo.delete(names.archive_blob(rec.snapshot))
            except RepositoryError as exc:
                raise UpstreamError(
                    500, "repository_exception", f"[{repository}] failed to delete snapshot [{rec.snapshot}]: {exc}"
                ) from None
            with self._lock:
                self._tasks.pop((repository, rec.snapshot), None)
            deleted.append(rec.snapshot)
        return deleted

    # -- restore -----------------------------------------------------------------------------------------
    def restore(self, repository: str, snapshot: str) -> RestoreResult:
        """Verify the archive completely, then replace the state with it (one generation flip)."""
        _, repo = self._open(repository)
        recs = [r for r in self.records(repository) if r.snapshot == snapshot]
        if not recs:
            raise missing(repository, snapshot)
        if recs[0].state != "SUCCESS":
            raise UpstreamError(
                400,
                "snapshot_restore_exception",
                f"[{repository}:{snapshot}] cannot restore a snapshot in state [{recs[0].state}]",
            )
        reason = f"[{repository}:{snapshot}] failed to restore snapshot: "
        try:
            with repo.open(names.archive_blob(snapshot)) as f:
                size = os.fstat(f.fileno()).st_size if hasattr(f, "fileno") and _is_file(f) else None
                verified = archive.verify(archive.file_chunks(f), tmp_dir=self._tmp_dir(), compressed_size=size)
        except BlobNotFound:  # deleted since it was listed: the snapshot is gone, not broken
            raise UpstreamError(404, "snapshot_missing_exception", f"[{repository}:{snapshot}] is missing") from None
        except (RepositoryError, archive.ArchiveError) as exc:
            raise UpstreamError(500, "snapshot_restore_exception", reason + str(exc)) from None
        with verified:
            try:
                return service.restore(self.agent.state, verified)
            except RestoreFailed as exc:
                raise UpstreamError(500, "snapshot_restore_exception", reason + str(exc)) from None
