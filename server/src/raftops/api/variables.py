"""Nomad's Variables API: GET|PUT|DELETE /v1/var/:path (?cas=, ?namespace=) and GET /v1/vars.

Semantics from command/agent/variable_endpoint.go and nomad/variables_endpoint.go: a CAS conflict is
409 with the conflicting variable as the body (its ``Items`` only if the caller may read it; a
"zero value" when the expected variable does not exist), ``cas=0`` means "must not exist", DELETE
answers 204. Each write is one etcd txn guarded by the key's mod_revision. Variable locks
(``?lock-acquire`` ...) are not supported. ACL: variables read/write/destroy per namespace and path;
the list shows only the paths the caller may list.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from .. import acl, gotime
from .. import variables as var
from ..store.state import Item
from . import blocking, gobody
from .gobody import ANY, STRING, STRING_MAP, UINT64, BodyError, Struct
from .http import App
from .nomad import NomadError, empty, json_response, nomad_handler, query_meta, set_index, set_meta, text

WRITE_ATTEMPTS = 5
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
    state = agent.state

    def conflict(identity: Any, namespace: str, path: str, current: Item | None) -> Response:
        if current is None:
            body, index = var.zero_value(namespace, path), 0
        else:
            readable = acl.permits(identity, acl.VARIABLE_READ, namespace=namespace, path=path)
            body, index = var.decrypted(current, with_items=readable), current.modify_index
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
        rev, (found,) = state.read_many([(key, False)])
        item = found[0] if found else None
        if item is not None:
            # A variable's index is its ModifyIndex: wait until it is rewritten (or deleted).
            blocking.wait_for_change(request, agent, query, key, prefix=False, changed=item.modify_index > query.index)
            return set_meta(json_response(var.decrypted(item)), query_meta(item.modify_index))
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
        key = var.state_path(namespace, path)
        for _ in range(WRITE_ATTEMPTS):
            current = state.get(key)
            expected = current.modify_index if current is not None else 0
            if cas is not None and cas != expected:
                return conflict(identity, namespace, path, current)
            now = gotime.now_ns()
            created = var.decrypted(current)["CreateTime"] if current is not None else now
            res = state.put(key, var.encode(namespace, path, items, created, now), cas=expected)
            if res.succeeded:
                out = {
                    "Namespace": namespace,
                    "Path": path,
                    "CreateIndex": current.create_index if current is not None else res.index,
                    "CreateTime": created,
                    "ModifyIndex": res.index,
                    "ModifyTime": now,
                    "Items": items,
                }
                return set_index(json_response(out), res.index)
            if cas is not None:
                return conflict(identity, namespace, path, res.current)
            # A plain write lost a race with another writer: read again and write over it.
        raise NomadError(500, "the variable kept changing while it was being written; try again")

    def delete(request: Request, path: str) -> Response:
        namespace = request_namespace(request)
        cas = parse_cas(request)
        identity = acl.authorize(agent, request, acl.VARIABLE_DESTROY, namespace=namespace, path=path)
        if namespace == var.ALL_NAMESPACES:
            raise NomadError(400, 'can not target wildcard ("*")namespace')
        key = var.state_path(namespace, path)
        for _ in range(WRITE_ATTEMPTS):
            rev, (found,) = state.read_many([(key, False)])
            current = found[0] if found else None
            if current is None:
                if cas is not None and cas != 0:
                    return conflict(identity, namespace, path, None)
                return set_index(empty(204), rev)  # nothing to delete: no write
            if cas is not None and cas != current.modify_index:
                return conflict(identity, namespace, path, current)
            res = state.delete(key, cas=current.modify_index)
            if res.succeeded:
                return set_index(empty(204), res.index)
            if cas is not None:
                return conflict(identity, namespace, path, res.current)
        raise NomadError(500, "the variable kept changing while it was being deleted; try again")

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
        rev, items = state.list(watched)
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
                    any(i.modify_index > query.index for i in items)
                    or agent.watch.changed_since(watched, prefix=True, index=query.index)
                )
            ),
        )
        out = []
        for item in items:
            meta = var.metadata(item)
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
