"""ACL tokens and policies in the replicated state (so snapshots carry them, as Nomad's do).

State paths::

    acl/policy/<name>         {"Name", "Description", "Rules", "JobACL", "Hash"}
    acl/token/<accessor>      the token without its secret: {"AccessorID", "Name", "Type", ..., "SecretHash"}
    acl/secret/<sha256 hex>   the accessor of the token whose SecretID hashes to it
    acl/bootstrap             {"AccessorID"}: its modify index is Nomad's bootstrap reset index

Secrets are kept only as SHA-256 hashes: neither etcd nor a snapshot holds a usable token.
``CreateIndex``/``ModifyIndex`` come from the key revisions. Every write is one txn.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from .records import Record, records
from .state import Condition, Item, StateStore, Write, WriteResult

POLICY_PREFIX = "acl/policy/"
TOKEN_PREFIX = "acl/token/"
SECRET_PREFIX = "acl/secret/"
BOOTSTRAP_PATH = "acl/bootstrap"

CLIENT = "client"
MANAGEMENT = "management"

ANONYMOUS_TOKEN: dict[str, Any] = {
    "AccessorID": "anonymous",
    "Name": "Anonymous Token",
    "Type": CLIENT,
    "Policies": ["anonymous"],
    "Roles": None,
    "Global": False,
}
ACLS_DISABLED_TOKEN: dict[str, Any] = {
    "AccessorID": "acls-disabled",
    "Name": "ACLs disabled token",
    "Type": CLIENT,
    "Policies": None,
    "Roles": None,
    "Global": False,
}


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def policy_hash(name: str, description: str, rules: str, job_acl: dict[str, str] | None) -> str:
    """Nomad's ACLPolicy.SetHash: blake2b-256 over the user-set fields."""
    h = hashlib.blake2b(digest_size=32)
    for part in (name, description, rules):
        h.update(part.encode())
    if job_acl:
        for key in ("Namespace", "JobID", "Group", "Task"):
            h.update(str(job_acl.get(key, "")).encode())
    return _b64(h.digest())


def token_hash(doc: dict[str, Any]) -> str:
    """Nomad's ACLToken.SetHash: blake2b-256 over the fields a token update may change."""
    h = hashlib.blake2b(digest_size=32)
    h.update(doc.get("Name", "").encode())
    h.update(doc.get("Type", "").encode())
    for name in doc.get("Policies") or []:
        h.update(name.encode())
    h.update(b"global" if doc.get("Global") else b"local")
    for link in doc.get("Roles") or []:
        h.update(str(link.get("ID", "")).encode())
    return _b64(h.digest())


@dataclass(frozen=True)
class Stored:
    """A stored document and its indexes."""

    doc: dict[str, Any]
    create_index: int
    modify_index: int

    @classmethod
    def from_item(cls, item: Item) -> Stored:
        return cls(json.loads(item.value), item.create_index, item.modify_index)

    def with_indexes(self) -> dict[str, Any]:
        return {**self.doc, "CreateIndex": self.create_index, "ModifyIndex": self.modify_index}


def token_view(stored: Stored, secret: str = "") -> dict[str, Any]:
    """The token as Nomad's API shows it; the secret only when the caller has it (creation, self)."""
    doc = {k: v for k, v in stored.doc.items() if k != "SecretHash"}
    return {
        "AccessorID": doc["AccessorID"],
        "SecretID": secret,
        "Name": doc.get("Name", ""),
        "Type": doc.get("Type", ""),
        "Policies": doc.get("Policies"),
        "Roles": doc.get("Roles"),
        "Global": doc.get("Global", False),
        "Hash": doc.get("Hash", ""),
        "CreateTime": doc.get("CreateTime"),
        "ExpirationTime": doc.get("ExpirationTime"),
        "ExpirationTTL": doc.get("ExpirationTTL", ""),
        "CreateIndex": stored.create_index,
        "ModifyIndex": stored.modify_index,
    }


def token_stub(stored: Stored) -> dict[str, Any]:
    """Nomad's ACLTokenListStub: no secret."""
    view = token_view(stored)
    return {k: view[k] for k in view if k not in ("SecretID", "ExpirationTTL")}


def policy_stub(stored: Stored) -> dict[str, Any]:
    doc = stored.doc
    return {
        "Name": doc["Name"],
        "Description": doc.get("Description", ""),
        "JobACL": doc.get("JobACL"),
        "Hash": doc.get("Hash", ""),
        "CreateIndex": stored.create_index,
        "ModifyIndex": stored.modify_index,
    }


def _policy_conditions(policies: dict[str, int] | None) -> list[Condition]:
    return [Condition(POLICY_PREFIX + name, index) for name, index in (policies or {}).items()]


def _encode(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


class ACLStore:
    def __init__(self, state: StateStore):
        self.state = state

    # -- policies ---------------------------------------------------------------------------------
    def policy(self, name: str) -> Stored | None:
        item = self.state.get(POLICY_PREFIX + name)
        return None if item is None else Stored.from_item(item)

    def policies(self, prefix: str = "") -> tuple[int, list[Stored]]:
        rev, items = self.state.list(POLICY_PREFIX + prefix)
        return rev, [Stored.from_item(i) for i in items]

    def put_policy(self, doc: dict[str, Any]) -> int:
        return self.state.put(POLICY_PREFIX + doc["Name"], _encode(doc)).index

    def delete_policy(self, name: str) -> int:
        return self.state.delete(POLICY_PREFIX + name).index

    # -- tokens -----------------------------------------------------------------------------------
    def token(self, accessor: str) -> Stored | None:
        item = self.state.get(TOKEN_PREFIX + accessor)
        return None if item is None else Stored.from_item(item)

    def tokens(self, prefix: str = "") -> tuple[int, list[Stored]]:
        rev, items = self.state.list(TOKEN_PREFIX + prefix)
        return rev, [Stored.from_item(i) for i in items]

    def accessor_for(self, secret: str) -> str | None:
        item = self.state.get(SECRET_PREFIX + secret_hash(secret))
        return None if item is None else item.value.decode()

    def require_policies(self, names: list[str]) -> dict[str, int] | str:
        """{policy name: modify index} of every named policy, read in one txn; the first missing name
        instead (a str) when one does not exist."""
        unique = list(dict.fromkeys(names))
        if not unique:
            return {}
        _, found = self.state.read_many([(POLICY_PREFIX + name, False) for name in unique])
        held: dict[str, int] = {}
        for name, items in zip(unique, found, strict=True):
            if not items:
                return name
            held[name] = items[0].modify_index
        return held

    def create_token(self, doc: dict[str, Any], secret: str, *, policies: dict[str, int] | None = None) -> WriteResult:
        """Insert a new token and its secret index; fails if either already exists, or if one of
        ``policies`` (name -> modify index, from :meth:`require_policies`) changed or was deleted."""
        digest = secret_hash(secret)
        doc = {**doc, "SecretHash": digest}
        token_path = TOKEN_PREFIX + doc["AccessorID"]
        return self.state.commit(
            [Condition(token_path, 0), Condition(SECRET_PREFIX + digest, 0), *_policy_conditions(policies)],
            [Write(token_path, _encode(doc)), Write(SECRET_PREFIX + digest, doc["AccessorID"].encode())],
            read_back=token_path,
        )

    def update_token(
        self, current: Stored, doc: dict[str, Any], *, policies: dict[str, int] | None = None
    ) -> WriteResult:
        """Replace a token if it has not changed since ``current`` was read (its secret stays) and its
        ``policies`` are still as read."""
        doc = {**doc, "SecretHash": current.doc["SecretHash"]}
        path = TOKEN_PREFIX + doc["AccessorID"]
        return self.state.commit(
            [Condition(path, current.modify_index), *_policy_conditions(policies)],
            [Write(path, _encode(doc))],
            read_back=path,
        )

    def delete_tokens(self, tokens: list[Stored]) -> WriteResult:
        """Delete tokens and their secret indexes together, if none changed since they were read."""
        conditions = [Condition(TOKEN_PREFIX + t.doc["AccessorID"], t.modify_index) for t in tokens]
        writes = []
        for t in tokens:
            writes.append(Write(TOKEN_PREFIX + t.doc["AccessorID"], None))
            writes.append(Write(SECRET_PREFIX + t.doc["SecretHash"], None))
        return self.state.commit(conditions, writes)

    # -- bootstrap --------------------------------------------------------------------------------
    def bootstrap_index(self) -> int:
        """The reset index of the last bootstrap (0: never bootstrapped)."""
        item = self.state.get(BOOTSTRAP_PATH)
        return 0 if item is None else item.modify_index

    def bootstrap(self, doc: dict[str, Any], secret: str, reset_index: int) -> WriteResult:
        """Write the bootstrap token, only if the bootstrap marker is still at ``reset_index`` (0: absent)."""
        digest = secret_hash(secret)
        doc = {**doc, "SecretHash": digest}
        token_path = TOKEN_PREFIX + doc["AccessorID"]
        return self.state.commit(
            [Condition(BOOTSTRAP_PATH, reset_index), Condition(token_path, 0), Condition(SECRET_PREFIX + digest, 0)],
            [
                Write(BOOTSTRAP_PATH, _encode({"AccessorID": doc["AccessorID"]})),
                Write(token_path, _encode(doc)),
                Write(SECRET_PREFIX + digest, doc["AccessorID"].encode()),
            ],
            read_back=BOOTSTRAP_PATH,
        )

    # -- the token resolver's reads (raftops.acl.service) -------------------------------------------
    def all_policies(self) -> list[Record]:
        """Every policy as a record (name, value, revisions), in one read."""
        _, (policies,) = self.state.read_many([(POLICY_PREFIX, True)])
        return records(policies, POLICY_PREFIX)

    def secret_mapping(self, digest: str) -> Record | None:
        """The mapping of a secret's hash: its value is the accessor of the token the secret belongs to."""
        item = self.state.get(SECRET_PREFIX + digest)
        return Record(digest, item.value, item.create_index, item.modify_index) if item is not None else None

    def token_with_policies(self, accessor: str) -> tuple[Stored | None, list[Record]]:
        """A token and every policy, read at one revision (one request)."""
        _, (tokens, policies) = self.state.read_many([(TOKEN_PREFIX + accessor, False), (POLICY_PREFIX, True)])
        return (Stored.from_item(tokens[0]) if tokens else None), records(policies, POLICY_PREFIX)

    def read_if_changed(
        self, policy_revisions: dict[str, int], token: tuple[str, int, str, int] | None = None
    ) -> tuple[bool, Record | None, Stored | None, list[Record]]:
        """One txn: whether the named policies (name -> mod revision) and, with ``token`` = (secret hash,
        mapping revision, accessor, token revision), the secret mapping and the token are unchanged; when
        not, (False, mapping, token, every policy) as they are now (the token's two are None without it)."""
        conditions = [Condition(POLICY_PREFIX + name, rev) for name, rev in policy_revisions.items()]
        reads: list[tuple[str, bool]] = [(POLICY_PREFIX, True)]
        if token is not None:
            digest, secret_index, accessor, token_index = token
            conditions[:0] = [
                Condition(SECRET_PREFIX + digest, secret_index),
                Condition(TOKEN_PREFIX + accessor, token_index),
            ]
            reads[:0] = [(SECRET_PREFIX + digest, False), (TOKEN_PREFIX + accessor, False)]
        unchanged, _, fresh = self.state.read_if_changed(conditions, reads)
        if unchanged:
            return True, None, None, []
        if token is None:
            return False, None, None, records(fresh[0], POLICY_PREFIX)
        mappings, tokens, policies = fresh
        mapping = (
            Record(token[0], mappings[0].value, mappings[0].create_index, mappings[0].modify_index)
            if mappings
            else None
        )
        return False, mapping, (Stored.from_item(tokens[0]) if tokens else None), records(policies, POLICY_PREFIX)
