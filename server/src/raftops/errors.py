"""Domain errors: what the packages below HTTP raise, and all that the API families map to a wire format.

The domain (``acl/``, ``sm/``, ``cluster/``, ``snapshot/``, ``variables/``, the backup sidecar's ``backup/``
below its ``api.py``) knows nothing of HTTP. It raises one of the errors below; each API family turns them
into its upstream's wire format and nothing else:

- ``api/nomad.py`` answers a :class:`DomainError` as Nomad's ``CodedError``: its :attr:`~DomainError.status`
  and the :attr:`~DomainError.reason` as ``text/plain``;
- ``api/opensearch.py`` answers an :class:`UpstreamError` as OpenSearch's ``BytesRestResponse`` JSON, and any
  other :class:`DomainError` as a ``security_exception`` (403) or a ``status_exception``;
- ``api/variables.py`` answers a :class:`CASConflict` as Nomad's 409 with the current variable as the body;
- ``api/snapshot.py`` answers an :class:`InvalidArchive` and a :class:`RestoreFailed` as Nomad's restore
  does (500 ``failed to restore from snapshot: <reason>``, or 400 for a bad ``Digest``); the SM API
  (``sm/snapshots.py``) raises its own ``snapshot_restore_exception`` for them;
- ``backup/api.py`` answers the sidecar's :class:`Unauthenticated`, :class:`PermissionDenied` and
  :class:`Unavailable` as Go's ``http.Error`` (plus ``WWW-Authenticate`` on a 401).

The categories (:class:`Invalid`, :class:`Unauthenticated`, :class:`PermissionDenied`, :class:`NotFound`,
:class:`Conflict`, :class:`Unavailable`) carry their status; :class:`CASConflict`, :class:`InvalidArchive`
and :class:`RestoreFailed` are the ones an API needs to tell apart. :class:`UpstreamError` is for the
domains that reproduce an upstream's own exception names (the OpenSearch snapshot-management plugin's
``illegal_argument_exception``, ``version_conflict_engine_exception``, ...): the name, the status and the
reason are part of the behaviour that the domain reproduces, so the domain picks them and the API only
renders them.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """The base of every domain error: a status (the category, as an HTTP status number) and a reason."""

    status: int = 500

    def __init__(self, reason: str | None, *, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        if status is not None:
            self.status = status

    @property
    def message(self) -> str:
        return "" if self.reason is None else str(self.reason)

    @property
    def code(self) -> int:
        return self.status


class Invalid(DomainError):
    """The request is not valid (a 400 in every family)."""

    status = 400


class Unauthenticated(DomainError):
    """No credentials where some are required (the backup sidecar): a 401."""

    status = 401


class PermissionDenied(DomainError):
    """The caller may not do this (ACL): a 403."""

    status = 403


class NotFound(DomainError):
    """The thing named does not exist: a 404."""

    status = 404


class Conflict(DomainError):
    """A compare-and-set lost or the thing already exists: a 409."""

    status = 409


class CASConflict(Conflict):
    """A check-and-set lost: ``current`` is the thing as it is now (None: it does not exist).

    Some upstreams answer a lost CAS with the current object rather than a text (Nomad's variables):
    the API renders ``current``, the domain only says what it found.
    """

    def __init__(self, reason: str, current: Any = None):
        super().__init__(reason)
        self.current = current


class InvalidArchive(Invalid):
    """A snapshot archive is not a valid raftops snapshot (raftops.snapshot.archive). The reason reads as
    Nomad's (``failed to read snapshot file: ...``); each caller says what it was doing and picks the status
    its upstream answers (Nomad's restore: 500 ``failed to restore from snapshot: <reason>``)."""


class RestoreFailed(DomainError):
    """A restore of the state failed and left the state as it was (raftops.snapshot.service.restore): a 500."""

    status = 500


class Unavailable(DomainError):
    """The cluster cannot answer now (no leader, no lease yet): a 503."""

    status = 503


class UpstreamError(DomainError):
    """An error named as the upstream names its exception: status, ``type``, ``reason`` and extra fields."""

    def __init__(self, status: int, type: str, reason: str | None, **extra: Any):  # noqa: A002 - upstream's name
        super().__init__(reason, status=status)
        self.type = type
        self.extra = extra

    @classmethod
    def illegal(cls, reason: str) -> UpstreamError:
        return cls(400, "illegal_argument_exception", reason)

    @classmethod
    def parsing(cls, reason: str) -> UpstreamError:
        return cls(400, "parsing_exception", reason)


def illegal_argument(reason: str) -> UpstreamError:
    """IllegalArgumentException: 400 ``illegal_argument_exception``."""
    return UpstreamError.illegal(reason)


def parse_exception(reason: str) -> UpstreamError:
    """OpenSearchParseException: 400 ``parse_exception``."""
    return UpstreamError(400, "parse_exception", reason)


def status_exception(status: int, reason: str) -> UpstreamError:
    """OpenSearchStatusException: ``status_exception`` with the given status."""
    return UpstreamError(status, "status_exception", reason)


def version_conflict(reason: str, index: str) -> UpstreamError:
    """VersionConflictEngineException: 409, with the index metadata OpenSearch adds."""
    return UpstreamError(409, "version_conflict_engine_exception", reason, index_uuid="_na_", shard="0", index=index)


def validation_failed(*messages: str) -> UpstreamError:
    """ActionRequestValidationException: 400 ``Validation Failed: 1: ...;``."""
    text = "".join(f"{i}: {m};" for i, m in enumerate(messages, 1))
    return UpstreamError(400, "action_request_validation_exception", f"Validation Failed: {text}")


__all__ = [
    "CASConflict",
    "Conflict",
    "DomainError",
    "Invalid",
    "InvalidArchive",
    "NotFound",
    "PermissionDenied",
    "RestoreFailed",
    "Unauthenticated",
    "Unavailable",
    "UpstreamError",
    "illegal_argument",
    "parse_exception",
    "status_exception",
    "validation_failed",
    "version_conflict",
]
