"""Singleton configuration documents with Nomad's CAS semantics (autopilot, scheduler).

A document is one JSON value, stored by name (raftops.store.configdocs). ``CreateIndex``/``ModifyIndex`` are the key's
create/mod revisions. Writes replace the whole document; ``cas`` makes the write conditional
on ``ModifyIndex`` (Nomad's FSM: a CAS against a document that does not exist yet fails).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..store.configdocs import ConfigDocuments


@dataclass(frozen=True)
class Document:
    value: dict[str, Any]
    create_index: int
    modify_index: int


class ConfigDocument:
    def __init__(self, documents: ConfigDocuments, name: str, defaults: dict[str, Any]):
        self.documents = documents
        self.name = name
        self.defaults = defaults

    def get(self) -> Document | None:
        item = self.documents.get(self.name)
        if item is None:
            return None
        return Document(json.loads(item.value), item.create_index, item.modify_index)

    def initialize(self) -> Document:
        """Write the defaults unless a document exists (what Nomad's leader does when first needed)."""
        res = self.documents.put(self.name, _encode(self.defaults), cas=0)
        if res.succeeded:
            return Document(dict(self.defaults), res.index, res.index)
        current = res.current
        assert current is not None
        return Document(json.loads(current.value), current.create_index, current.modify_index)

    def set(self, value: dict[str, Any], cas: int | None = None) -> tuple[bool, int]:
        """(updated, index). A CAS write fails when the document is absent or was modified."""
        if cas is not None and cas == 0:
            # Nomad compares against an existing entry only: cas=0 never matches.
            return False, self.documents.etcd_revision()
        res = self.documents.put(self.name, _encode(value), cas=cas)
        return res.succeeded, res.index


def _encode(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
