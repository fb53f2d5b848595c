"""The plain records the store's repositories return: bytes and revisions, no domain types.

The domain packages parse a record's value; the revisions are what they compare in a later write.
"""

from __future__ import annotations

from dataclasses import dataclass

from .state import Item


@dataclass(frozen=True)
class Record:
    """One stored document: its name (the last part of its path), value and revisions."""

    name: str
    value: bytes
    create_index: int
    modify_index: int


@dataclass(frozen=True)
class Outcome:
    """What a conditional write did: ``index`` is the revision after it; ``current`` the record as it is
    when the condition failed (where the caller asked for it)."""

    succeeded: bool
    index: int
    current: Record | None = None


def record(item: Item, prefix: str) -> Record:
    return Record(item.path[len(prefix) :], item.value, item.create_index, item.modify_index)


def records(items: list[Item], prefix: str) -> list[Record]:
    return [record(i, prefix) for i in items]
