"""The repository interface."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

# Blob names are flat, portable file names: no separators, no hidden or temporary names.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]{0,254}")


class RepositoryError(Exception):
    """A repository operation failed; the message says which and why."""


class BlobNotFound(RepositoryError):
    pass


@dataclass(frozen=True)
class BlobInfo:
    name: str
    size: int
    modified: float  # unix seconds


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name) or name.endswith(".tmp"):
        raise RepositoryError(f"invalid blob name [{name}]")
    return name


class Repository(ABC):
    """A flat namespace of immutable blobs, written atomically."""

    @abstractmethod
    def put(self, name: str, chunks: Iterable[bytes]) -> BlobInfo:
        """Store ``chunks`` under ``name`` atomically (replacing an existing blob)."""

    @abstractmethod
    def open(self, name: str) -> BinaryIO:
        """A readable binary stream of the blob; raises BlobNotFound."""

    @abstractmethod
    def list(self, prefix: str = "") -> list[BlobInfo]:
        """Every complete blob whose name starts with ``prefix``, sorted by name."""

    @abstractmethod
    def delete(self, name: str) -> bool:
        """Remove the blob; False when it did not exist."""

    def read(self, name: str) -> bytes:
        with self.open(name) as f:
            return f.read()

    def exists(self, name: str) -> bool:
        return any(b.name == name for b in self.list(name))

    def describe(self) -> str:
        return type(self).__name__
