"""Nomad's Variables API: GET|PUT|DELETE /v1/var/:path (?cas=, ?namespace=) and GET /v1/vars.

Semantics from command/agent/variable_endpoint.go and nomad/variables_endpoint.go: a CAS conflict is
409 with the conflicting variable as the body (its ``Items`` only if the caller may read it; a
"zero value" when the expected variable does not exist), ``cas=0`` means "must not exist", DELETE
answers 204. Each read and each write is one etcd request (store/variables.py); GETs are Nomad
blocking queries (``?index=&wait=``, api/blocking.py). Variable locks
(``?lock-acquire`` ...) are not supported. ACL: variables read/write/destroy per namespace and path;
the list shows only the paths the caller may list.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from .. import acl, gotime
from .. import variables as var
from ..store.variables import Stored, VariableStore
from . import blocking, gobody
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
    namespace = body_namespace or request.args.get("namespace", "") or var.DEFAULT_NAMESPACE
    error = var.namespace_error(namespace)
    if error:
        raise NomadError(400, error)
    return namespace


def register(app: App, agent: Any) -> None:
    store = VariableStore(agent.state, var.legacy_create_time)

    def conflict(identity: Any, namespace: str, path: str, current: Stored | None) -> Response:
        if current is None:
            body, index = var.zero_value(namespace, path), 0
        else:
            readable = acl.permits(identity, acl.VARIABLE_READ, namespace=namespace, path=path)
            body = var.decrypted(current.item, with_items=readable, create_time=current.create_time)
            index = current.item.modify_index
        return set_index(json_response(body, status=409), index)

    @nomad_handler
    def variable(request: Request, path: str = "") -> Any:
        if path == "":
            raise NomadError(400, "missing variable path")
        if request.method == "GET":
            return read(request, path)
        if request.method in ("PUT", "POST"):
            return upsert(request, path)
        if request.method == "DELETE":
            return delete(request, path)
        raise NomadError(400, "Invalid method")

    def read(request: Request, path: str) -> Response:
        query = blocking.parse(request)
        namespace = request_namespace(request)
        acl.authorize(agent, request, acl.VARIABLE_READ, namespace=namespace, path=path)
        if namespace == var.ALL_NAMESPACES:
            raise NomadError(404, "variable not found")
        key = var.state_path(namespace, path)
        rev, stored = store.read(key)
        if stored is not None:
            item = stored.item
            # A variable's index is its ModifyIndex: wait until it is rewritten (or deleted).
            blocking.wait_for_change(request, agent, query, key, prefix=False, changed=item.modify_index > query.index)
            body = var.decrypted(item, create_time=stored.create_time)
            return set_meta(json_response(body), query_meta(item.modify_index))
        # Absent: the index is the read's revision (Nomad: the variables table's); wait for its creation.
        blocking.wait_for_change(
            request,
            agent,
            query,
            key,
            prefix=False,
            changed=lambda: rev > query.index and agent.watch.changed_since(key, prefix=False, index=query.index),
        )
        return set_meta(text("variable not found", 404), query_meta(rev))

    def upsert(request: Request, path: str) -> Response:
        locks = [p for p in LOCK_PARAMS if p in request.args]
        if len(locks) > 1:
            raise NomadError(400, "multiple lock operations")
        if locks and request.args.get("cas", ""):
            raise NomadError(400, "CAS can't be used with lock operations")
        if locks:
            raise NomadError(400, "variable locks are not supported by this server")
        # Before the body is read: the caller must be able to write some variable. The namespace may come
        # from the body, so the exact check (namespace and path) follows once it is decoded.
        acl.authorize(agent, request, acl.VARIABLE_WRITE_SOMEWHERE)
        try:
            body = gobody.decode(gobody.read_json(request), VARIABLE, "structs.VariableDecrypted")
        except BodyError as exc:
            raise NomadError(400, str(exc)) from exc
        items: dict[str, str] = body["Items"] or {}
        if not items:
            raise NomadError(400, "variable missing required Items object")
        cas = parse_cas(request)
        namespace = request_namespace(request, body["Namespace"])
        identity = acl.authorize(agent, request, acl.VARIABLE_WRITE, namespace=namespace, path=path)
        lock = body["Lock"]
        if isinstance(lock, dict) and (lock.get("TTL") or lock.get("LockDelay")):
            raise NomadError(400, "variable should not contain lock definition")
        error = var.validate(namespace, path, items)
        if error:
            raise NomadError(400, error)
        now = gotime.now_ns()
        res = store.write(var.state_path(namespace, path), var.encode(namespace, path, items, now), now, cas=cas)
        if not res.succeeded:
            return conflict(identity, namespace, path, res.current)
        out = {
            "Namespace": namespace,
            "Path": path,
            "CreateIndex": res.create_index,
            "CreateTime": res.create_time,
            "ModifyIndex": res.index,
            "ModifyTime": now,
            "Items": items,
        }
        return set_index(json_response(out), res.index)

    def delete(request: Request, path: str) -> Response:
        namespace = request_namespace(request)
        cas = parse_cas(request)
        identity = acl.authorize(agent, request, acl.VARIABLE_DESTROY, namespace=namespace, path=path)
        if namespace == var.ALL_NAMESPACES:
            raise NomadError(400, 'can not target wildcard ("*")namespace')
        res = store.delete(var.state_path(namespace, path), cas=cas)
        if not res.succeeded:
            return conflict(identity, namespace, path, res.current)
        return set_index(empty(204), res.index)

    @nomad_handler
    def variables(request: Request) -> Any:
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
        identity = acl.authorize(agent, request, acl.AUTHENTICATED)
        watched = var.PREFIX if namespace == var.ALL_NAMESPACES else var.state_path(namespace, prefix)
        rev, found = store.list(watched)
        # The list's index is the read's revision; it changed for the caller when an item under the
        # prefix was written (its ModifyIndex shows it) or deleted (only the watch saw that) after it.
        blocking.wait_for_change(
            request,
            agent,
            query,
            watched,
            prefix=True,
            changed=lambda: (
                rev > query.index
                and (
                    any(s.item.modify_index > query.index for s in found)
                    or agent.watch.changed_since(watched, prefix=True, index=query.index)
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
        if next_token:
            out = [m for m in out if var.page_token(m) >= next_token]
        token = ""
        if per_page > 0 and len(out) > per_page:
            token = var.page_token(out[per_page])
            out = out[:per_page]
        return set_meta(json_response(out), query_meta(rev, next_token=token))

    app.route("/v1/var/<path:path>", variable)
    app.route("/v1/var/", variable, name="nomad:var-empty")
    app.route("/v1/vars", variables)
