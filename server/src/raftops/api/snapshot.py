"""Nomad's /v1/operator/snapshot: GET saves the state, PUT or POST restores it.

Semantics of command/agent/operator_endpoint.go and nomad/operator_endpoint.go (see
docs/api/snapshot.md):

* GET answers ``application/x-gzip`` with ``Digest: sha-256=<base64>`` of the body and no
  X-Nomad-Index. The digest covers the whole body, so the archive is built into a spooled temp
  file first (Nomad does the same in helper/snapshot.New) and then streamed with its length.
* PUT/POST verify the whole archive before touching anything; any failure is 500
  ``failed to restore from snapshot: <reason>``, a broken request stream 400
  ``failed to read stream: <reason>``; success is 200 with an empty body. The snapshot domain
  (raftops.snapshot) raises raftops.errors.InvalidArchive for a bad archive or Digest and
  RestoreFailed for a failed restore; this module alone picks their statuses and texts.
* Both need a management token. Nomad 2.0 also lets operator:write (or the ``snapshot-save``
  capability) save; raftops does not, because a snapshot holds every ACL token secret and would
  turn operator:write into management (docs/api/snapshot.md).
* Other methods: 405 ``Invalid method``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from werkzeug.exceptions import ClientDisconnected
from werkzeug.wrappers import Request, Response

from .. import acl
from ..errors import InvalidArchive, RestoreFailed
from ..snapshot import archive, service
from ..store.etcd import EtcdError
from .context import WithState, bind
from .http import App
from .nomad import NomadError, nomad_handler, text
from .operator_raft import parse_stale

PATH = "/v1/operator/snapshot"
INVALID_METHOD = "Invalid method"
RESTORE_FAILED = "failed to restore from snapshot: "
READ_CHUNK = 256 * 1024
GZIP_LEVEL_ENV = "RAFTOPS_SNAPSHOT_GZIP_LEVEL"


class _StreamError(Exception):
    pass


def _body(request: Request) -> Iterator[bytes]:
    stream = request.stream
    while True:
        try:
            chunk = stream.read(READ_CHUNK)
        except (OSError, ClientDisconnected) as exc:
            raise _StreamError(str(exc) or type(exc).__name__) from None
        if not chunk:
            return
        yield chunk


def tmp_dir(ctx: WithState) -> str | None:
    """Spool files go to <data_dir>/tmp: on the data disk, never a tmpfs that would cost memory."""
    data_dir = getattr(ctx.config, "data_dir", "")
    if not data_dir:
        return None
    path = os.path.join(data_dir, "tmp")
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)  # whatever the umask was when it was made: spool files hold the whole state
    return path


def gzip_level() -> int:
    """``RAFTOPS_SNAPSHOT_GZIP_LEVEL`` (0-9): CPU against archive size; see docs/snapshot-format.md."""
    raw = os.environ.get(GZIP_LEVEL_ENV, "")
    if not raw:
        return archive.DEFAULT_COMPRESSION_LEVEL
    if not raw.isdigit() or int(raw) > 9:
        raise ValueError(f"{GZIP_LEVEL_ENV} must be a gzip level from 0 to 9, not {raw!r}")
    return int(raw)


def save(request: Request, ctx: WithState) -> Response:
    acl.authorize(ctx, request, acl.MANAGEMENT)
    stale = parse_stale(request)
    snap = service.save(ctx.state, stale=stale, tmp_dir=tmp_dir(ctx), level=gzip_level())
    response = Response(
        snap.chunks(),
        status=200,
        content_type="application/x-gzip",
        headers={"Digest": snap.digest, "Content-Length": str(snap.size)},
        direct_passthrough=True,
    )
    response.call_on_close(snap.close)
    return response


def restore(request: Request, ctx: WithState) -> Response:
    acl.authorize(ctx, request, acl.MANAGEMENT)
    try:
        # The Content-Length (when sent) lets a gzip bomb's declared state.bin size be refused before
        # a byte of it is inflated; without one, the inflation ratio limit stops it as it grows.
        verified = archive.verify(_body(request), tmp_dir=tmp_dir(ctx), compressed_size=request.content_length)
    except _StreamError as exc:
        raise NomadError(400, f"failed to read stream: {exc}") from None
    except InvalidArchive as exc:
        raise NomadError(500, RESTORE_FAILED + str(exc)) from None
    with verified:
        digest = request.headers.get("Digest")
        if digest:  # optional: clients that send one get the transfer checked too
            try:
                archive.check_digest(digest, verified.sha256)
            except InvalidArchive as exc:
                raise NomadError(400, f"failed to read stream: Digest header: {exc}") from None
        try:
            service.restore(ctx.state, verified)
        except EtcdError as exc:
            raise NomadError(500, "No cluster leader" if exc.unavailable else RESTORE_FAILED + str(exc)) from None
        except RestoreFailed as exc:
            raise NomadError(500, RESTORE_FAILED + exc.message) from None
    return text("", 200)


@nomad_handler
def snapshot_request(request: Request, ctx: WithState) -> Any:
    if request.method == "GET":
        return save(request, ctx)
    if request.method in ("PUT", "POST"):
        return restore(request, ctx)
    raise NomadError(405, INVALID_METHOD)


def register(app: App, ctx: WithState) -> None:
    gzip_level()  # a bad RAFTOPS_SNAPSHOT_GZIP_LEVEL stops the agent at start, not at the first save
    # A restore streams its archive (checked as it arrives) up to limits.snapshot_max_bytes.
    app.route(
        PATH,
        bind(snapshot_request, ctx),
        name="nomad:/v1/operator/snapshot:*",
        stream_body_cap=ctx.config.limits.snapshot_max_bytes,
    )
