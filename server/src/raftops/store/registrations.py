"""Server registrations and liveness: the one place that knows their keys and parses their values.

- ``/raftops/v1/cluster/servers/<uuid>``: a raftops server's registration, JSON with ``ID``, ``Name``,
  ``RaftAddress``, ``HTTPAddress``, ``EtcdMemberID`` (hex) and ``Version``; written by the agent, read by
  the operator API, autopilot, health, membership changes and snapshots;
- ``/raftops-ephemeral/v1/alive/<uuid>``: present while that server's liveness lease lives.

A malformed registration never hides the etcd member itself: readers get it with ``doc``/``member_id``
set to ``None`` and skip it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from .etcd import Etcd, KeyValue
from .keys import ALIVE, SERVERS
from .txn import cmp_mod, op_delete

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Registration:
    """One stored registration: its key's server ID and revisions, and the parsed document."""

    server_id: str
    doc: dict[str, Any] | None  # None when the value is not a JSON object
    mod_revision: int
    key: bytes

    @property
    def member_id(self) -> int | None:
        """The etcd member ID it names (``EtcdMemberID`` in hex), or None when absent or malformed."""
        if self.doc is None:
            return None
        try:
            return int(self.doc["EtcdMemberID"], 16)
        except (ValueError, KeyError, TypeError):
            return None


def parse(kv: KeyValue) -> Registration:
    try:
        doc = json.loads(kv.value)
    except ValueError:
        doc = None
    return Registration(
        kv.key[len(SERVERS) :].decode(errors="replace"),
        doc if isinstance(doc, dict) else None,
        kv.mod_revision,
        kv.key,
    )


class Registrations:
    """The registrations repository over one etcd client."""

    def __init__(self, etcd: Etcd):
        self.etcd = etcd

    def list(self, *, serializable: bool = False, revision: int = 0) -> list[Registration]:
        """Every registration in key order (``revision``: as of that revision; ``serializable``: local view)."""
        kvs = self.etcd.range(SERVERS, prefix=True, revision=revision, serializable=serializable).kvs
        return [parse(kv) for kv in kvs]

    def by_member(self, *, serializable: bool = False) -> dict[int, dict[str, Any]]:
        """Registrations keyed by etcd member ID; of two naming one member, the newest wins."""
        out: dict[int, dict[str, Any]] = {}
        for reg in sorted(self.list(serializable=serializable), key=lambda r: r.mod_revision):
            member_id = reg.member_id
            if member_id is not None and reg.doc is not None:
                out[member_id] = reg.doc
        return out

    def put(self, server_id: str, record: dict[str, Any]) -> None:
        """Write this server's registration unless the stored one is already ``record``."""
        key = SERVERS + server_id.encode()
        current = self.etcd.get(key)
        if current is None or json.loads(current.value) != record:
            self.etcd.put(key, json.dumps(record, sort_keys=True).encode())

    def delete_of_member(self, member_id: int) -> int | None:
        """Delete the registrations naming ``member_id`` in one txn guarded by their revisions.

        Returns how many were deleted, or None when one changed meanwhile (then none is deleted).
        """
        doomed = [reg for reg in self.list() if reg.member_id == member_id]
        if not doomed:
            return 0
        res = self.etcd.txn(
            [cmp_mod(reg.key, reg.mod_revision) for reg in doomed], [op_delete(reg.key) for reg in doomed]
        )
        return len(doomed) if res.succeeded else None

    # -- liveness -------------------------------------------------------------------------------
    def alive(self) -> frozenset[str]:
        """The IDs of the servers whose liveness key exists (their lease lives)."""
        kvs = self.etcd.range(ALIVE, prefix=True, keys_only=True).kvs
        return frozenset(kv.key[len(ALIVE) :].decode() for kv in kvs)

    def put_alive(self, server_id: str, value: bytes, lease_id: int) -> None:
        self.etcd.put(ALIVE + server_id.encode(), value, lease=lease_id)


__all__ = ["Registration", "Registrations", "parse"]
