"""Snapshot repository definitions (OpenSearch's ``PUT /_snapshot/<repo>``), stored by raftops.store.sm.

A definition is ``{"type": "fs"|"s3", "settings": {...}}`` with settings as strings, the way
OpenSearch stores them. Credentials never go into a definition (they would be in every snapshot
and in ``GET /_snapshot``): S3 keys come from the agent's ``sm.s3`` config, else boto3's usual
chain (environment, instance profile). ``fs`` locations must be absolute; when the agent config
sets ``sm.path_repo``, they must also lie under one of those directories (OpenSearch's ``path.repo``).
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from ..errors import UpstreamError, validation_failed
from ..repository import Repository, RepositoryError, open_repository
from ..store.sm import RepositoryDefinitions
from ..store.state import StateStore
from . import schema
from .names import check_repository_name, has_control_character, repository_error

CREDENTIAL_SETTINGS = ("access_key", "secret_key", "session_token")


@dataclass(frozen=True)
class RepositoryDef:
    name: str
    type: str
    settings: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "settings": self.settings}


def missing(name: str) -> UpstreamError:
    return UpstreamError(404, "repository_missing_exception", f"[{name}] missing")


def _setting_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Repositories:
    def __init__(self, state: StateStore, *, path_repo: list[str] | None = None, s3_defaults: dict | None = None):
        self.definitions = RepositoryDefinitions(state)
        configured = [os.path.normpath(p) for p in (path_repo or [])]
        self.path_repo = [os.path.realpath(p) for p in configured]
        # A location is matched against path.repo as configured and as resolved; below it, no link is
        # followed (raftops.repository.fs), so a directory swapped for a link cannot lead outside.
        self._roots = list(dict.fromkeys(configured + self.path_repo))
        self.s3_defaults = dict(s3_defaults or {})
        self._open: dict[tuple[str, str], Repository] = {}
        self._lock = threading.Lock()

    # -- definitions ------------------------------------------------------------------------------
    def get(self, name: str) -> RepositoryDef | None:
        record = self.definitions.get(name)
        if record is None:
            return None
        doc = json.loads(record.value)
        return RepositoryDef(name, doc["type"], doc.get("settings", {}))

    def require(self, name: str) -> RepositoryDef:
        defn = self.get(name)
        if defn is None:
            raise missing(name)
        return defn

    def list(self) -> list[RepositoryDef]:
        out = []
        for record in self.definitions.list():
            doc = json.loads(record.value)
            out.append(RepositoryDef(record.name, doc["type"], doc.get("settings", {})))
        return out

    def define(self, name: str, body: dict[str, Any], *, verify: bool = True) -> RepositoryDef:
        """Validate, open, verify (write and remove a probe blob), then store the definition."""
        check_repository_name(name)
        schema.check(schema.REPOSITORY, body)
        kind = body.get("type")
        if not kind:
            raise validation_failed("type is missing")
        settings = {k: _setting_text(v) for k, v in (body.get("settings") or {}).items()}
        defn = RepositoryDef(name, str(kind), settings)
        try:
            repo = self.open(defn, cache=False)
        except UpstreamError as exc:
            # Upstream answers a bad definition with a 500 RepositoryException; here it is the client's 400.
            if exc.type == "repository_exception" and exc.status == 500:
                exc.status = 400
            raise
        if verify:
            self.verify(defn, repo)
        self.definitions.put(name, json.dumps(defn.to_json()).encode())
        with self._lock:
            self._open = {k: v for k, v in self._open.items() if k[0] != name}
        return defn

    def delete(self, name: str) -> None:
        if self.get(name) is None:
            raise missing(name)
        self.definitions.delete(name)

    # -- opening ---------------------------------------------------------------------------------
    def open(self, defn: RepositoryDef, *, cache: bool = True) -> Repository:
        key = (defn.name, json.dumps(defn.to_json(), sort_keys=True))
        if cache:
            with self._lock:
                repo = self._open.get(key)
            if repo is not None:
                return repo
        repo = self._open_new(defn)
        if cache:
            with self._lock:
                self._open[key] = repo
        return repo

    def _open_new(self, defn: RepositoryDef) -> Repository:
        if defn.type not in ("fs", "s3"):
            raise repository_error(defn.name, f"repository type [{defn.type}] does not exist")
        settings: dict[str, Any] = dict(defn.settings)
        if defn.type == "fs":
            location = settings.get("location", "")
            if not location:
                raise repository_error(defn.name, "missing location")
            if has_control_character(location):
                raise repository_error(defn.name, f"location [{location!r}] must not contain control characters")
            if not os.path.isabs(location):
                raise repository_error(defn.name, f"location [{location}] must be an absolute path")
            if self.path_repo and not any(_under(location, root) for root in self.path_repo):
                raise repository_error(
                    defn.name,
                    f"location [{location}] doesn't match any of the locations specified by path.repo: "
                    f"[{', '.join(self.path_repo)}]",
                )
            settings = {"location": location}
        else:
            given = [k for k in CREDENTIAL_SETTINGS if k in settings]
            if given:
                raise repository_error(
                    defn.name,
                    f"setting [{given[0]}] is not allowed in a repository definition: S3 credentials come from "
                    "the agent configuration (sm.s3) or the environment",
                )
            if not settings.get("bucket") and not self.s3_defaults.get("bucket"):
                raise repository_error(defn.name, "No bucket defined for s3 repository")
        try:
            return open_repository(
                defn.type,
                settings,
                defaults=self.s3_defaults,
                confine_to=self._roots if defn.type == "fs" and self.path_repo else None,
            )
        except RepositoryError as exc:
            raise repository_error(defn.name, str(exc)) from None

    def verify(self, defn: RepositoryDef, repo: Repository) -> None:
        """OpenSearch's verify: write a probe blob, read it back and remove it."""
        probe = f"raftops-verify-{uuid.uuid4().hex}"
        data = f'{{"repository": "{defn.name}"}}'.encode()
        try:
            repo.put(probe, [data])
            if repo.read(probe) != data:
                raise RepositoryError("the probe blob read back differs from what was written")
            repo.delete(probe)
        except (RepositoryError, OSError) as exc:
            raise UpstreamError(
                500,
                "repository_verification_exception",
                f"[{defn.name}] path is not accessible on this agent: {exc}",
            ) from None


def _under(path: str, root: str) -> bool:
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip("/") + "/")
