"""Nomad variables as a service: what api/variables.py calls, raising raftops.errors (no HTTP here).

Reads give what the store read with the read's revision (a blocking query's index); a write or a
delete gives its index, or raises :class:`~raftops.errors.CASConflict` carrying the variable as it
is (None: absent) when its check-and-set lost; the rules of model.py are raised as
:class:`~raftops.errors.Invalid` with Nomad's texts. Who may see what is the API's to decide (ACL
is a sibling package, not a lower one): the service has no notion of a caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import gotime
from ..errors import CASConflict, Invalid, NotFound
from ..store.state import StateStore
from ..store.variables import Stored, VariableStore
from . import model
from .model import ALL_NAMESPACES, DEFAULT_NAMESPACE, PREFIX, state_path

WILDCARD_WRITE = 'can not target wildcard ("*")namespace'
NOT_FOUND = "variable not found"
CONFLICT = "variable check-and-set conflict"


def namespace_of(*candidates: str) -> str:
    """The first namespace given (the body's, then the query's), else ``default``; Invalid when bad."""
    namespace = next((c for c in candidates if c), DEFAULT_NAMESPACE)
    error = model.namespace_error(namespace)
    if error:
        raise Invalid(error)
    return namespace


@dataclass(frozen=True)
class Listing:
    watched: str  # the state path (a prefix) the list covers: what a blocking list waits on
    revision: int  # the read's revision: the list's index
    items: list[Stored]


def paginate(metas: list[dict[str, Any]], next_token: str, per_page: int) -> tuple[list[dict[str, Any]], str]:
    """Nomad's paginator over sorted metadata: from ``next_token`` on, ``per_page`` of them (0: all),
    and the token of the first one left out ("" when none is)."""
    if next_token:
        metas = [m for m in metas if model.page_token(m) >= next_token]
    if per_page > 0 and len(metas) > per_page:
        return metas[:per_page], model.page_token(metas[per_page])
    return metas, ""


class VariableService:
    """Reads and one-round-trip writes of variables (store/variables.py) under Nomad's rules."""

    def __init__(self, state: StateStore):
        self.store = VariableStore(state, model.legacy_create_time)

    def read(self, namespace: str, path: str) -> tuple[int, Stored | None]:
        """The read's revision and the variable (None: absent); NotFound for the wildcard namespace."""
        if namespace == ALL_NAMESPACES:
            raise NotFound(NOT_FOUND)
        return self.store.read(state_path(namespace, path))

    def list(self, namespace: str, prefix: str) -> Listing:
        """Every variable under ``prefix`` in ``namespace`` (in every namespace for ``*``, filtered by the caller)."""
        watched = PREFIX if namespace == ALL_NAMESPACES else state_path(namespace, prefix)
        revision, items = self.store.list(watched)
        return Listing(watched, revision, items)

    def write(self, namespace: str, path: str, items: dict[str, str], *, cas: int | None) -> tuple[dict[str, Any], int]:
        """Validate and write; the variable as written (Nomad's VariableDecrypted) and the write's index."""
        error = model.validate(namespace, path, items)
        if error:
            raise Invalid(error)
        now = gotime.now_ns()
        res = self.store.write(state_path(namespace, path), model.encode(namespace, path, items, now), now, cas=cas)
        if not res.succeeded:
            raise CASConflict(CONFLICT, res.current)
        written = {
            "Namespace": namespace,
            "Path": path,
            "CreateIndex": res.create_index,
            "CreateTime": res.create_time,
            "ModifyIndex": res.index,
            "ModifyTime": now,
            "Items": items,
        }
        return written, res.index

    def delete(self, namespace: str, path: str, *, cas: int | None) -> int:
        """Delete (nothing to delete is no write); the delete's index."""
        if namespace == ALL_NAMESPACES:
            raise Invalid(WILDCARD_WRITE)
        res = self.store.delete(state_path(namespace, path), cas=cas)
        if not res.succeeded:
            raise CASConflict(CONFLICT, res.current)
        return res.index


__all__ = ["CONFLICT", "NOT_FOUND", "WILDCARD_WRITE", "Listing", "VariableService", "namespace_of", "paginate"]
