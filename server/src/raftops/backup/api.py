"""The sidecar's HTTP API, byte for byte etcd-operator's (v0.5.2 pkg/backup/http.go).

Go's DefaultServeMux: exact paths, any method, ``404 page not found`` elsewhere. Errors come from
``http.Error``: text/plain, ``X-Content-Type-Options: nosniff``, the message and a newline. JSON
bodies come from ``json.NewEncoder(w).Encode`` with no Content-Type set, so Go sniffs them as
``text/plain; charset=utf-8``; raftops keeps that, since etcd-operator's clients never look at it.

Additions: ``/v1/backup`` also takes ``version``/``revision`` (raftops names for ``etcdVersion``/
``etcdRevision``; the etcd-operator name wins when both are set), answers ``X-Raftops-Version``
(the raftops that wrote the backup), and ``/v1/status`` has ``lastError``/``lastErrorTime`` while
the last attempt failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ..acl.service import token_from
from ..errors import DomainError, Unauthenticated
from ..httpfront import PEER_CERT
from ..repository import RepositoryError
from ..repository.base import BlobNotFound
from . import names
from .auth import MANAGEMENT, OPERATOR_READ, SidecarAuth
from .metrics import CONTENT_TYPE
from .service import BackupService
from .storage import Backup, BackupStore

log = logging.getLogger(__name__)

TEXT = "text/plain; charset=utf-8"
GZIP = "application/x-gzip"  # what Go sniffs for a gzip body
HEADER_ETCD_VERSION = "X-etcd-Version"
HEADER_REVISION = "X-Revision"
HEADER_RAFTOPS_VERSION = "X-Raftops-Version"
VERSION_KEYS = ("etcdVersion", "version")
REVISION_KEYS = ("etcdRevision", "revision")
_FORM_METHODS = ("POST", "PUT", "PATCH")  # Go's ParseForm reads a body only for these


def status_line(code: int) -> str:
    """``404 Not Found``, as Go writes it (werkzeug would send ``404 NOT FOUND``)."""
    return f"{code} {HTTPStatus(code).phrase}"


def http_error(message: str, status: int) -> Response:
    """Go's http.Error."""
    return Response(
        message + "\n", status=status_line(status), content_type=TEXT, headers={"X-Content-Type-Options": "nosniff"}
    )


def not_found() -> Response:
    """Go's http.NotFound."""
    return http_error("404 page not found", 404)


def encoded(document: dict[str, Any]) -> Response:
    """json.NewEncoder(w).Encode(document) with Go's sniffed Content-Type."""
    return Response(names.go_json(document), status=status_line(200), content_type=TEXT)


def form_value(request: Request, keys: tuple[str, ...]) -> str:
    """r.FormValue for the first of ``keys`` that is set: a urlencoded body first, then the query."""
    for key in keys:
        values = request.form.getlist(key) if request.method in _FORM_METHODS else []
        values = values + request.args.getlist(key)
        if values and values[0]:
            return values[0]
    return ""


class SidecarAPI:
    """A WSGI application: /v1/backup, /v1/backupnow, /v1/status, /metrics."""

    def __init__(self, service: BackupService, store: BackupStore, auth: SidecarAuth):
        self.service = service
        self.store = store
        self.auth = auth
        handlers: dict[str, Callable[[Request], Response]] = {
            "/v1/backup": self.serve_backup,
            "/v1/backupnow": self.serve_backup_now,
            "/v1/status": self.serve_status,
            "/metrics": self.serve_metrics,
        }
        self._handlers = handlers
        # What a caller must hold per path (raftops.backup.auth); /metrics is open, like the agents'.
        self._needs = {"/v1/backup": MANAGEMENT, "/v1/backupnow": MANAGEMENT, "/v1/status": OPERATOR_READ}
        self.url_map = Map([Rule(path, endpoint=path) for path in handlers], merge_slashes=False)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            endpoint, _ = self.url_map.bind("sidecar", path_info=request.path).match(method=request.method)
            denied = self._denied(request, endpoint)
            response = denied if denied is not None else self._handlers[endpoint](request)
        except NotFound:
            response = not_found()
        except Exception:  # a bug; the handlers map every expected error themselves
            log.exception("unhandled error serving %s %s", request.method, request.path)
            response = http_error("internal error", 500)
        log.debug("%s %s -> %s", request.method, request.full_path.rstrip("?"), response.status_code)
        return response(environ, start_response)

    def _denied(self, request: Request, endpoint: str) -> Response | None:
        """None when the caller may call ``endpoint``; else the auth's refusal (raftops.errors) as Go's http.Error."""
        need = self._needs.get(endpoint)
        if need is None:
            return None
        try:
            self.auth.check(token_from(request), need, certified=bool(request.environ.get(PEER_CERT)))
        except DomainError as exc:  # Unauthenticated (401), PermissionDenied (403), Unavailable (503)
            response = http_error(exc.message, exc.status)
            if exc.status == Unauthenticated.status:
                response.headers["WWW-Authenticate"] = 'Bearer realm="raftops backup sidecar"'
            return response
        return None

    # -- /v1/backupnow ---------------------------------------------------------------------------
    def serve_backup_now(self, request: Request) -> Response:
        outcome = self.service.backup_now()
        if outcome is None:
            return http_error("timeout", 408)
        if outcome.error:
            return http_error(outcome.error, 500)
        if outcome.status is None:  # cannot happen: a skip implies an earlier backup
            return encoded({"creationTime": "", "size": 0.0, "revision": 0, "version": "", "timeTookInSecond": 0})
        return encoded(outcome.status.as_json())

    # -- /v1/status ------------------------------------------------------------------------------
    def serve_status(self, request: Request) -> Response:
        try:
            backups = self.store.list()
        except RepositoryError as exc:
            log.error("cannot list backups: %s", exc)
            return http_error("failed to get total number of backups", 500)
        document: dict[str, Any] = {}
        recent = self.service.recent_backup()
        if recent is not None:
            document["recentBackup"] = recent.as_json()
        document["backups"] = len(backups)
        document["backupSize"] = names.to_mb(sum(b.size for b in backups))
        error = self.service.last_error()
        if error is not None:
            document["lastError"], document["lastErrorTime"] = error
        return encoded(document)

    # -- /metrics --------------------------------------------------------------------------------
    def serve_metrics(self, request: Request) -> Response:
        return Response(self.service.metrics.text(), status=status_line(200), content_type=CONTENT_TYPE)

    # -- /v1/backup ------------------------------------------------------------------------------
    def serve_backup(self, request: Request) -> Response:
        revision = form_value(request, REVISION_KEYS)
        version = form_value(request, VERSION_KEYS)
        try:
            if revision and version:
                try:
                    wanted = names.parse_int(revision, 10)
                except ValueError:
                    return http_error("revision is not a vaild integer", 400)  # sic, upstream's text
                backup = self.store.find(names.make_name(version, wanted))
                if backup is None:
                    return http_error("backup not found", 404)
            elif not revision:
                backup = self.store.latest()
                if backup is None:
                    return not_found()
            else:
                return http_error("version must be provided when revision is provided.", 400)
        except RepositoryError as exc:
            log.error("fail to serve backup: %s", exc)
            return http_error(str(exc), 500)
        problem = self._check_versions(backup, version)
        if problem is not None:
            return problem
        return self._send(request, backup)

    @staticmethod
    def _check_versions(backup: Backup, version: str) -> Response | None:
        try:
            served = names.major_minor(backup.version)
        except ValueError as exc:
            return http_error(f"fail to parse etcd version from file ({backup.name}): {exc}", 500)
        if not version:  # no version asked: serve the backup without a compatibility check, as upstream
            return None
        try:
            requested = names.major_minor(version)
        except ValueError as exc:
            return http_error(f"invalid param 'version' ({version}): {exc}", 400)
        if not names.is_compatible(requested, served):
            return http_error(f"requested version ({requested}) is not compatible with the backup ({served})", 400)
        return None

    def _send(self, request: Request, backup: Backup) -> Response:
        revision = names.revision_or_none(backup.name)
        if revision is None:
            return http_error(f"fail to parse revision from file ({backup.name})", 500)
        headers = {HEADER_ETCD_VERSION: backup.version, HEADER_REVISION: str(revision)}
        try:
            if request.method == "HEAD":
                raftops_version = self.store.raftops_version(backup.name)
                body: Any = b""
            else:
                body, raftops_version = self.store.open_with_meta(backup.name)
        except BlobNotFound:
            return http_error("backup not found", 404)
        except (RepositoryError, OSError) as exc:
            log.error("fail to open backup (%s): %s", backup.name, exc)
            return http_error(str(exc), 500)
        if raftops_version:
            headers[HEADER_RAFTOPS_VERSION] = raftops_version
        response = Response(body, status=status_line(200), content_type=GZIP, headers=headers, direct_passthrough=True)
        response.headers["Content-Length"] = str(backup.size)  # for HEAD too: the size a GET would send
        return response
