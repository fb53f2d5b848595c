"""Snapshot repositories: where archives are kept (a directory, or an S3 bucket).

One interface, :class:`Repository`, serves the SM policies (``_snapshot`` API and executor) and
the backup sidecar. Every write is atomic: a reader sees the whole object or nothing.
"""

from __future__ import annotations

from typing import Any

from .base import BlobInfo, Repository, RepositoryError
from .fs import FsRepository

REPOSITORY_TYPES = ("fs", "s3")


def open_repository(
    kind: str,
    settings: dict[str, Any],
    *,
    defaults: dict[str, Any] | None = None,
    confine_to: list[str] | None = None,
) -> Repository:
    """A repository from OpenSearch-style ``type`` + ``settings`` (``defaults``: agent-level S3 settings;
    ``confine_to``: the ``path.repo`` directories an fs location must stay under, links not followed)."""
    if kind == "fs":
        location = settings.get("location")
        if not location or not isinstance(location, str):
            raise RepositoryError("[location] is required for a repository of type [fs]")
        return FsRepository(location, confine_to=confine_to)
    if kind == "s3":
        from .s3 import S3Repository

        return S3Repository.from_settings(settings, defaults or {})
    raise RepositoryError(f"repository type [{kind}] does not exist")


__all__ = ["REPOSITORY_TYPES", "BlobInfo", "FsRepository", "Repository", "RepositoryError", "open_repository"]
