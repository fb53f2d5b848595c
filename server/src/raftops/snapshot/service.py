"""Save and restore a running cluster's state: what the API, the SM executor and the sidecar call.

``save`` reads the whole state at one pinned etcd revision (pages prefetched by a thread, so
etcd encodes the next page while this process packs the previous one) and packs it with
:func:`archive.create`. ``restore`` hands the records of an already verified archive to
:meth:`StateStore.restore` (new generation + one pointer flip).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any, Protocol, TypeVar

from .. import __version__
from ..cluster import view
from ..errors import RestoreFailed
from ..store.etcd import Etcd, EtcdError
from ..store.generations import RestoreError, RestoreResult
from ..store.registrations import Registrations
from ..store.state import TOUCHED, StateError, StateStore
from . import archive

log = logging.getLogger(__name__)

PAGE_ITEMS = 1000  # keys per range request: ~1 MB of values (~5 MB in Python objects) per page at 1 KB each
PREFETCH_PAGES = 2

T = TypeVar("T")


def _prefetch(pages: Iterator[T], depth: int = PREFETCH_PAGES) -> Iterator[T]:
    """Iterate ``pages`` in a thread, at most ``depth`` ahead; errors surface in the consumer."""
    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        q.put(("page", page), timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(("end", None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            q.put(("error", exc))

    thread = threading.Thread(target=produce, name="snapshot-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join(timeout=5)


def _members(etcd: Etcd, revision: int, stale: bool) -> list[view.Server]:
    _, members = etcd.members()  # served locally by etcd 3.4: works without a leader
    regs: dict[int, dict] = {}
    for reg in Registrations(etcd).list(revision=revision, serializable=stale):
        if reg.member_id is not None and reg.doc is not None:
            regs[reg.member_id] = reg.doc
    out = []
    for m in sorted(members, key=lambda m: m.peer_address):
        reg = regs.get(m.id, {})
        out.append(view.Server(m, reg.get("ID", ""), reg.get("Name") or m.name, reg.get("HTTPAddress", ""), ""))
    return out


def snapshot_meta(state: StateStore, generation: str, revision: int, *, stale: bool = False) -> dict[str, Any]:
    """meta.json for the state read at ``revision``: raft index/term, members, versions."""
    etcd = state.etcd
    status = etcd.status()
    servers = _members(etcd, revision, stale)
    touched = etcd.range(TOUCHED, revision=revision, serializable=stale).kvs
    return archive.new_meta(
        index=status.raft_index,
        term=status.raft_term,
        servers=[
            {
                "Suffrage": archive.SUFFRAGE_VOTER if s.voter else archive.SUFFRAGE_NONVOTER,
                "ID": s.id,
                "Address": s.address,
            }
            for s in servers
        ],
        raftops={
            "Revision": revision,
            "StateRevision": touched[0].mod_revision if touched else 0,
            "Generation": generation,
            "ClusterID": view.fmt_member_id(status.cluster_id),
            "RaftopsVersion": __version__,
            "EtcdVersion": status.version,
            "Stale": stale,
            "Members": [
                {
                    "ID": s.id,
                    "Name": s.node,
                    "EtcdMemberID": view.fmt_member_id(s.member.id),
                    "Address": s.address,
                    "Voter": s.voter,
                    "Leader": s.member.id == status.leader,
                }
                for s in servers
            ],
        },
    )


def save(
    state: StateStore,
    *,
    stale: bool = False,
    tmp_dir: str | None = None,
    level: int = archive.DEFAULT_COMPRESSION_LEVEL,
    page: int = PAGE_ITEMS,
) -> archive.Archive:
    """A consistent archive of the whole state, in a spooled temp file; the caller closes it."""
    started = time.monotonic()
    gen, revision, pages = state.iter_pages(page=page, serializable=stale)
    meta = snapshot_meta(state, gen.name, revision, stale=stale)
    records = (item for items in _prefetch(pages) for item in items)
    result = archive.create(records, meta, tmp_dir=tmp_dir, level=level)
    log.info(
        "snapshot of generation %s at revision %d: %d items, state.bin %d bytes, archive %d bytes in %.2fs",
        gen.name,
        revision,
        result.meta["Raftops"]["Items"],
        result.meta["Size"],
        result.size,
        time.monotonic() - started,
    )
    return result


def restore(state: StateStore, verified: archive.VerifiedArchive) -> RestoreResult:
    """Replace the state by a verified archive's. With the state unchanged, raises raftops.errors.RestoreFailed
    (the reason why), or the store's EtcdError when etcd could not be reached (the API families map it)."""
    started = time.monotonic()
    try:
        result = state.restore(verified.records())
    except (RestoreError, StateError) as exc:
        raise RestoreFailed(str(exc)) from exc
    log.info(
        "restored snapshot %s: %d items in %d txns into generation %s (was %s) at index %d in %.2fs",
        verified.meta.get("ID"),
        result.items,
        result.txns,
        result.generation,
        result.previous,
        result.index,
        time.monotonic() - started,
    )
    return result


class HasState(Protocol):
    state: StateStore


class GenerationCollector:
    """Cluster duty: delete generations that crashed restores left behind, every ``interval`` s."""

    __name__ = "collect_state_generations"

    def __init__(self, interval: float = 10.0):
        self.interval = interval
        self._last = 0.0

    def __call__(self, agent: HasState) -> None:
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        try:
            agent.state.collect_garbage()
        except EtcdError as exc:
            log.info("state generation clean-up skipped: %s", exc)


__all__ = ["GenerationCollector", "restore", "save", "snapshot_meta"]
