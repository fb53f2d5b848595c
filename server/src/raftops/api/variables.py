"""Nomad's Variables API: GET|PUT|DELETE /v1/var/:path (?cas=, ?namespace=) and GET /v1/vars.

Semantics from command/agent/variable_endpoint.go and nomad/variables_endpoint.go: a CAS conflict is
409 with the conflicting variable as the body (its ``Items`` only if the caller may read it; a
"zero value" when the expected variable does not exist), ``cas=0`` means "must not exist", DELETE
answers 204. The handlers are module-level functions of the variables service (raftops.variables,
which raises raftops.errors: Invalid and NotFound are answered as text, a CASConflict as the 409
above); each read and each write is one etcd request (store/variables.py); GETs are Nomad
blocking queries (``?index=&wait=``, api/blocking.py). Variable locks
(``?lock-acquire`` ...) are not supported. ACL: variables read/write/destroy per namespace and path;
the list shows only the paths the caller may list.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from .. import acl
from .. import variables as var
from ..errors import CASConflict
from ..store.variables import Stored
from . import blocking, gobody
from .context import WithVariables, bind
from .gobody import ANY, STRING, STRING_MAP, UINT64, BodyError, Struct
from .http import App
from .nomad import NomadError, empty, json_response, nomad_handler, query_meta, set_index, set_meta, text

LOCK_PARAMS = ("lock-acquire", "lock-release", "lock-renew")
VARIABLE = Struct(
    "VariableDecrypted",
    {
        "Namespace": STRING,
        "Path": STRING,
        "Lock": ANY,
        "CreateIndex": UINT64,
        "CreateTime": gobody.INT64,
        "ModifyIndex": UINT64,
        "ModifyTime": gobody.INT64,
        "Items": STRING_MAP,
    },
)


def parse_cas(request: Request) -> int | None:
    """Nomad's parseCAS: an empty ``cas`` is no CAS; anything else must be a uint."""
    raw = request.args.get("cas", "")
    if raw == "":
        return None
    try:
        return gobody.parse_uint_param("cas", raw)
    except BodyError as exc:
        raise NomadError(400, f"can not parse cas: {exc}") from exc


def request_namespace(request: Request, body_namespace: str = "") -> str:
    """The body's namespace, else ``?namespace=``, else ``default`` (raftops.errors.Invalid when bad)."""
    return var.namespace_of(body_namespace, request.args.get("namespace", ""))


def conflict(identity: acl.Identity | None, namespace: str, path: str, lost: CASConflict) -> Response:
    """Nomad's answer to a lost check-and-set: 409 with the variable as it is (a zero value when absent)."""
    current: Stored | None = lost.current
    if current is None:
        body, index = var.zero_value(namespace, path), 0
    else:
        readable = acl.permits(identity, acl.VARIABLE_READ, namespace=namespace, path=path)
        body = var.decrypted(current.item, with_items=readable, create_time=current.create_time)
        index = current.item.modify_index
    return set_index(json_response(body, status=409), index)


@nomad_handler
def variable(request: Request, ctx: WithVariables, path: str = "") -> Any:
    if path == "":
        raise NomadError(400, "missing variable path")
    if request.method == "GET":
        return read(request, ctx, path)
    if request.method in ("PUT", "POST"):
        return upsert(request, ctx, path)
    if request.method == "DELETE":
        return delete(request, ctx, path)
    raise NomadError(400, "Invalid method")


def read(request: Request, ctx: WithVariables, path: str) -> Response:
    query = blocking.parse(request)
    namespace = request_namespace(request)
    acl.authorize(ctx, request, acl.VARIABLE_READ, namespace=namespace, path=path)
    rev, stored = ctx.variables.read(namespace, path)  # NotFound (404) for the wildcard namespace
    key = var.state_path(namespace, path)
    if stored is not None:
        item = stored.item
        # A variable's index is its ModifyIndex: wait until it is rewritten (or deleted).
        blocking.wait_for_change(request, ctx, query, key, prefix=False, changed=item.modify_index > query.index)
        body = var.decrypted(item, create_time=stored.create_time)
        return set_meta(json_response(body), query_meta(item.modify_index))
    # Absent: the index is the read's revision (Nomad: the variables table's); wait for its creation.
    blocking.wait_for_change(
        request,
        ctx,
        query,
        key,
        prefix=False,
        changed=lambda: rev > query.index and ctx.watch.changed_since(key, prefix=False, index=query.index),
    )
    return set_meta(text(var.NOT_FOUND, 404), query_meta(rev))


def upsert(request: Request, ctx: WithVariables, path: str) -> Response:
    locks = [p for p in LOCK_PARAMS if p in request.args]
    if len(locks) > 1:
        raise NomadError(400, "multiple lock operations")
    if locks and request.args.get("cas", ""):
        raise NomadError(400, "CAS can't be used with lock operations")
    if locks:
        raise NomadError(400, "variable locks are not supported by this server")
    # Before the body is read: the caller must be able to write some variable. The namespace may come
    # from the body, so the exact check (namespace and path) follows once it is decoded.
    acl.authorize(ctx, request, acl.VARIABLE_WRITE_SOMEWHERE)
    try:
        body = gobody.decode(gobody.read_json(request), VARIABLE, "structs.VariableDecrypted")
    except BodyError as exc:
        raise NomadError(400, str(exc)) from exc
    items: dict[str, str] = body["Items"] or {}
    if not items:
        raise NomadError(400, "variable missing required Items object")
    cas = parse_cas(request)
    namespace = request_namespace(request, body["Namespace"])
    identity = acl.authorize(ctx, request, acl.VARIABLE_WRITE, namespace=namespace, path=path)
    lock = body["Lock"]
    if isinstance(lock, dict) and (lock.get("TTL") or lock.get("LockDelay")):
        raise NomadError(400, "variable should not contain lock definition")
    try:
        written, index = ctx.variables.write(namespace, path, items, cas=cas)  # Invalid: Nomad's rule texts
    except CASConflict as lost:
        return conflict(identity, namespace, path, lost)
    return set_index(json_response(written), index)


def delete(request: Request, ctx: WithVariables, path: str) -> Response:
    namespace = request_namespace(request)
    cas = parse_cas(request)
    identity = acl.authorize(ctx, request, acl.VARIABLE_DESTROY, namespace=namespace, path=path)
    try:
        index = ctx.variables.delete(namespace, path, cas=cas)  # Invalid for the wildcard namespace
    except CASConflict as lost:
        return conflict(identity, namespace, path, lost)
    return set_index(empty(204), index)


@nomad_handler
def variables(request: Request, ctx: WithVariables) -> Any:
    if request.method != "GET":
        raise NomadError(405, "Invalid method")
    namespace = request_namespace(request)
    prefix = request.args.get("prefix", "")
    per_page_raw = request.args.get("per_page", "")
    try:
        per_page = gobody.parse_int_param(per_page_raw, 32) if per_page_raw else 0  # strconv.ParseInt(_, 10, 32)
    except ValueError as exc:
        raise NomadError(400, "Expect a number for `per_page` query string parameter") from exc
    next_token = request.args.get("next_token", "")
    query = blocking.parse(request)
    identity = acl.authorize(ctx, request, acl.AUTHENTICATED)
    listing = ctx.variables.list(namespace, prefix)
    rev, found, watched = listing.revision, listing.items, listing.watched
    # The list's index is the read's revision; it changed for the caller when an item under the
    # prefix was written (its ModifyIndex shows it) or deleted (only the watch saw that) after it.
    blocking.wait_for_change(
        request,
        ctx,
        query,
        watched,
        prefix=True,
        changed=lambda: (
            rev > query.index
            and (
                any(s.item.modify_index > query.index for s in found)
                or ctx.watch.changed_since(watched, prefix=True, index=query.index)
            )
        ),
    )
    out = []
    for stored in found:
        meta = var.metadata(stored.item, stored.create_time)
        if not meta["Path"].startswith(prefix):
            continue
        if acl.permits(identity, acl.VARIABLE_LIST, namespace=meta["Namespace"], path=meta["Path"]):
            out.append(meta)
    out.sort(key=lambda m: (m["Namespace"], m["Path"]))
    out, token = var.paginate(out, next_token, per_page)
    return set_meta(json_response(out), query_meta(rev, next_token=token))


def register(app: App, ctx: WithVariables) -> None:
    app.route("/v1/var/<path:path>", bind(variable, ctx))
    app.route("/v1/var/", bind(variable, ctx), name="nomad:var-empty")
    app.route("/v1/vars", bind(variables, ctx))
