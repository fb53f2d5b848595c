"""SM policies and their executor metadata in the replicated state.

A policy's document (raftops.store.sm.SMPolicies) is ``{"sm_policy": {...}, "version": N, "primary_term": T}``:
``_seq_no`` is the key's mod revision, ``_primary_term`` the etcd raft term read just before the
write and stored with it, ``_version`` counts the writes. An update compares the mod revision in
its txn; a mod revision names exactly one stored value, so the stored term it is checked against
cannot change in between. Its metadata document holds the executor state (metadata.py); it is
written with a CAS on its own mod revision *and* the policy's, so a run never writes state for a
policy that changed or was deleted meanwhile.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from ..errors import UpstreamError, status_exception, version_conflict
from ..store.sm import Record, SMPolicies
from .metadata import Metadata
from .names import policy_doc_id
from .policy import Policy, parse

log = logging.getLogger(__name__)

CONFIG_INDEX = ".opendistro-ism-config"
NOT_FOUND = "Snapshot management policy not found"


@dataclass(frozen=True)
class StoredPolicy:
    policy: Policy
    seq_no: int
    primary_term: int
    version: int

    @property
    def name(self) -> str:
        return self.policy.name

    @property
    def doc_id(self) -> str:
        return policy_doc_id(self.name)


def _policy_from(record: Record, now_ms: int) -> StoredPolicy:
    raw = json.loads(record.value)
    return StoredPolicy(
        parse(raw["sm_policy"], record.name, now_ms), record.modify_index, int(raw["primary_term"]), raw["version"]
    )


def _encode(policy: Policy, version: int, term: int) -> bytes:
    return json.dumps({"sm_policy": policy.render(exact=True), "version": version, "primary_term": term}).encode()


class PolicyStore:
    def __init__(self, records: SMPolicies):
        self.records = records

    def raft_term(self) -> int:
        return self.records.raft_term()

    # -- reads ------------------------------------------------------------------------------------
    def get(self, name: str, now_ms: int) -> StoredPolicy | None:
        record = self.records.get(name)
        return _policy_from(record, now_ms) if record is not None else None

    def require(self, name: str, now_ms: int) -> StoredPolicy:
        stored = self.get(name, now_ms)
        if stored is None:
            raise status_exception(404, NOT_FOUND)
        return stored

    def list(self, now_ms: int) -> list[StoredPolicy]:
        return [_policy_from(r, now_ms) for r in self.records.list()]

    def load_all(self, now_ms: int) -> tuple[dict[str, tuple[StoredPolicy, Record]], dict[str, Record]]:
        """Every policy and metadata record, read at one revision (one request)."""
        policies, metadata = self.records.load_all()
        out = {}
        for record in policies:
            try:
                stored = _policy_from(record, now_ms)
            except (UpstreamError, ValueError, KeyError) as exc:  # one bad document must not stop the others
                log.error("ignoring unreadable SM policy %s: %s", record.name, exc)
                continue
            out[stored.name] = (stored, record)
        return out, {r.name: r for r in metadata}

    def metadata(self, names: list[str]) -> dict[str, Metadata]:
        wanted = set(names)
        return {r.name: Metadata.from_json(json.loads(r.value)) for r in self.records.metadata() if r.name in wanted}

    # -- policy writes ------------------------------------------------------------------------------
    def create(self, policy: Policy) -> StoredPolicy:
        term = self.raft_term()
        res = self.records.put(policy.name, _encode(policy, 1, term), 0, read_back=True)
        if not res.succeeded:
            version = json.loads(res.current.value)["version"] if res.current else 1
            doc_id = policy_doc_id(policy.name)
            reason = f"[{doc_id}]: version conflict, document already exists (current version [{version}])"
            raise version_conflict(reason, CONFIG_INDEX)
        return StoredPolicy(policy, res.index, term, 1)

    def update(self, policy: Policy, if_seq_no: int, if_primary_term: int) -> StoredPolicy:
        doc_id = policy_doc_id(policy.name)
        required = f"[{doc_id}]: version conflict, required seqNo [{if_seq_no}], primary term [{if_primary_term}]."
        item = self.records.get(policy.name)
        if item is None:
            raise version_conflict(f"{required} but no document was found", CONFIG_INDEX)
        current = json.loads(item.value)
        if item.modify_index != if_seq_no or current["primary_term"] != if_primary_term:
            raise version_conflict(
                f"{required} current document has seqNo [{item.modify_index}] "
                f"and primary term [{current['primary_term']}]",
                CONFIG_INDEX,
            )
        term = self.raft_term()
        version = current["version"] + 1
        res = self.records.put(policy.name, _encode(policy, version, term), if_seq_no, read_back=True)
        if not res.succeeded:
            if res.current is None:
                raise version_conflict(f"{required} but no document was found", CONFIG_INDEX)
            now = json.loads(res.current.value)
            raise version_conflict(
                f"{required} current document has seqNo [{res.current.modify_index}] "
                f"and primary term [{now['primary_term']}]",
                CONFIG_INDEX,
            )
        return StoredPolicy(policy, res.index, term, version)

    def set_enabled(self, name: str, enabled: bool, now_ms: int) -> bool:
        """_start/_stop: a no-op when already so (upstream acknowledges without writing)."""
        stored = self.require(name, now_ms)
        if stored.policy.enabled == enabled:
            return True
        term = self.raft_term()
        updated = stored.policy.with_enabled(enabled, now_ms)
        res = self.records.put(name, _encode(updated, stored.version + 1, term), stored.seq_no)
        if not res.succeeded:
            verb = "enable" if enabled else "disable"
            raise status_exception(
                500, f"Failed while trying to {verb} SM Policy due to a concurrent update, please try again"
            )
        return True

    def delete(self, name: str, now_ms: int, *, forced_refresh: bool = True) -> dict[str, Any]:
        """The policy and its executor metadata in one txn; its snapshots stay in the repository."""
        stored = self.require(name, now_ms)
        term = self.raft_term()
        res = self.records.delete(name, stored.seq_no)
        if not res.succeeded:
            raise status_exception(
                500, "Failed while trying to delete SM Policy due to a concurrent update, please try again"
            )
        out: dict[str, Any] = {
            "_index": CONFIG_INDEX,
            "_id": stored.doc_id,
            "_version": stored.version + 1,
            "result": "deleted",
        }
        if forced_refresh:
            out["forced_refresh"] = True
        out |= {"_shards": {"total": 1, "successful": 1, "failed": 0}, "_seq_no": res.index, "_primary_term": term}
        return out

    # -- executor metadata ----------------------------------------------------------------------------
    def write_metadata(self, md: Metadata, metadata_index: int, policy_index: int) -> bool:
        return self.records.put_metadata(md.name, json.dumps(md.to_json()).encode(), metadata_index, policy_index)
