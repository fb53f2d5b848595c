"""Nomad's ACL API: /v1/acl/bootstrap, /v1/acl/policy/:name, /v1/acl/policies, /v1/acl/token(s).

Semantics from command/agent/acl_endpoint.go and nomad/acl_endpoint.go: ACLs off -> 400
``ACL support disabled``; the body is decoded before the caller is checked; writes and token reads
need a management token, except that a token may read itself and a client token may read the
policies it holds. One deliberate difference: secrets are stored only as SHA-256 hashes, so
``SecretID`` is shown on creation, on bootstrap and to the token's own holder, and is "" elsewhere.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from .. import acl, godur, gotime, jsonlimits
from ..acl import policy as aclpolicy
from ..store.acl import (
    ACLS_DISABLED_TOKEN,
    ANONYMOUS_TOKEN,
    CLIENT,
    MANAGEMENT,
    POLICY_PREFIX,
    TOKEN_PREFIX,
    Stored,
    policy_hash,
    policy_stub,
    secret_hash,
    token_hash,
    token_stub,
    token_view,
)
from . import blocking, gobody
from .context import WithACL, bind
from .gobody import ANY, BOOL, STRING, STRINGS, BodyError, Struct
from .http import App
from .nomad import NomadError, empty, json_response, nomad_handler, query_meta, set_index, set_meta

VALID_POLICY_NAME = re.compile(r"[a-zA-Z0-9-]{1,128}")  # used with fullmatch: Go's $ never matches before a "\n"
MAX_POLICY_DESCRIPTION = 256
MAX_TOKEN_NAME = 256
MIN_TOKEN_TTL_NS = 60 * godur.SECOND
MAX_TOKEN_TTL_NS = 24 * godur.HOUR
BOOTSTRAP_RESET_FILE = "acl-bootstrap-reset"
ITEM_METHODS = ["GET", "PUT", "POST", "DELETE"]  # /v1/acl/policy/:name and /v1/acl/token/:accessor

JOB_ACL = Struct("JobACL", {"Namespace": STRING, "JobID": STRING, "Group": STRING, "Task": STRING})
POLICY = Struct("ACLPolicy", {"Name": STRING, "Description": STRING, "Rules": STRING, "JobACL": ANY})
ROLE_LINK = Struct("ACLTokenRoleLink", {"ID": STRING, "Name": STRING})
TOKEN = Struct(
    "ACLToken",
    {
        "AccessorID": STRING,
        "SecretID": STRING,
        "Name": STRING,
        "Type": STRING,
        "Policies": STRINGS,
        "Roles": ANY,
        "Global": BOOL,
        "ExpirationTime": ANY,
        "ExpirationTTL": ANY,
    },
)
BOOTSTRAP = Struct("ACLTokenBootstrapRequest", {"BootstrapSecret": STRING})


def is_uuid(value: str) -> bool:
    """Nomad's helper.IsUUID: 36 characters in the 8-4-4-4-12 hex form."""
    return bool(re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", value))


def multierror(errors: list[str]) -> str:
    """hashicorp/go-multierror's text."""
    head = "1 error occurred:" if len(errors) == 1 else f"{len(errors)} errors occurred:"
    return head + "".join(f"\n\t* {e}" for e in errors) + "\n\n"


def validate_policy(doc: dict[str, Any]) -> list[str]:
    errors = []
    if not VALID_POLICY_NAME.fullmatch(doc["Name"]):
        errors.append(f"invalid name '{doc['Name']}'")
    try:
        aclpolicy.parse(doc["Rules"], strict=True)
    except aclpolicy.PolicyError as exc:
        errors.append(f"failed to parse rules: {exc}")
    if len(doc["Description"]) > MAX_POLICY_DESCRIPTION:
        errors.append(f"description longer than {MAX_POLICY_DESCRIPTION}")
    job = doc.get("JobACL")
    if job:
        if job.get("JobID") and not job.get("Namespace"):
            errors.append("namespace must be set to set job ID")
        if job.get("Group") and not job.get("JobID"):
            errors.append("job ID must be set to set group")
        if job.get("Task") and not job.get("Group"):
            errors.append("group must be set to set task")
    return errors


def _ttl_ns(value: Any) -> int:
    """ExpirationTTL as Nomad's UnmarshalJSON reads it: a Go duration string or nanoseconds.

    Nanoseconds outside Go's int64 ``time.Duration`` (1e30, say) are refused: Go's float-to-int
    conversion would silently wrap them.
    """
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise BodyError("json: cannot unmarshal bool into Go struct field ACLToken.ExpirationTTL")
    if isinstance(value, (int, float)):
        if not (isinstance(value, int) or math.isfinite(value)) or not godur.MIN_NS <= value <= godur.MAX_NS:
            raise BodyError(
                f"json: cannot unmarshal number {jsonlimits.literal(value)} into Go struct field "
                "ACLToken.ExpirationTTL of type time.Duration"
            )
        return int(value)
    if isinstance(value, str):
        try:
            return godur.parse_ns(value)
        except ValueError as exc:
            raise BodyError(str(exc)) from exc
    raise BodyError(f"json: cannot unmarshal {gobody.json_type(value)} into Go struct field ACLToken.ExpirationTTL")


def _time_ns(value: Any) -> int | None:
    if value is None or gotime.is_zero(value):
        return None
    if not isinstance(value, str):
        raise BodyError(
            f"json: cannot unmarshal {gobody.json_type(value)} into Go struct field ACLToken.ExpirationTime "
            "of type time.Time"
        )
    try:
        return gotime.parse_ns(value)
    except ValueError as exc:
        raise BodyError(str(exc)) from exc


def validate_token(token: dict[str, Any], ttl_ns: int, expires_ns: int | None, existing: Stored | None) -> list[str]:
    """Nomad's ACLToken.Validate with the default TTL bounds (1m..24h)."""
    errors = []
    if len(token["Name"]) > MAX_TOKEN_NAME:
        errors.append("token name too long")
    if token["Type"] == CLIENT:
        if not token["Policies"] and not token["Roles"]:
            errors.append("client token missing policies or roles")
    elif token["Type"] == MANAGEMENT:
        if token["Policies"] or token["Roles"]:
            errors.append("management token cannot be associated with policies or roles")
    else:
        errors.append("token type must be client or management")
    if existing is None:
        if ttl_ns < 0:
            errors.append(f"token expiration TTL '{godur.format_ns(ttl_ns)}' should not be negative")
        if expires_ns is not None:
            created = gotime.parse_ns(token["CreateTime"])
            if created > expires_ns:
                errors.append("expiration time cannot be before create time")
            expires_in = expires_ns - created
            if expires_in > MAX_TOKEN_TTL_NS:
                errors.append(
                    f"expiration time cannot be more than {godur.format_ns(MAX_TOKEN_TTL_NS)} in the future "
                    f"(was {godur.format_ns(expires_in)})"
                )
            elif expires_in < MIN_TOKEN_TTL_NS:
                errors.append(
                    f"expiration time cannot be less than {godur.format_ns(MIN_TOKEN_TTL_NS)} in the future "
                    f"(was {godur.format_ns(expires_in)})"
                )
    else:
        old = existing.doc
        if bool(old.get("Global")) != bool(token["Global"]):
            errors.append("cannot toggle global mode")
        if (old.get("ExpirationTTL") or "") != (godur.format_ns(ttl_ns) if ttl_ns else ""):
            errors.append("cannot update expiration TTL")
        if expires_ns is not None and _time_ns(old.get("ExpirationTime")) != expires_ns:
            errors.append("cannot update expiration time")
    return errors


def require_enabled(ctx: WithACL) -> None:
    if not ctx.config.acl_enabled:
        raise NomadError(400, acl.ACL_DISABLED)


def body(request: Request, struct: Struct, go_type: str) -> dict[str, Any]:
    try:
        return gobody.decode(gobody.read_json(request), struct, go_type)
    except BodyError as exc:
        raise NomadError(400, str(exc)) from exc


def caller(request: Request, ctx: WithACL, capability: str) -> acl.Identity:
    # Through acl.authorize, so that a handler run twice by the HTTP front resolves its token once.
    identity = acl.authorize(ctx, request, capability)
    assert identity is not None, "callers check require_enabled() first"
    return identity


# -- bootstrap --------------------------------------------------------------------------------
@nomad_handler
def bootstrap(request: Request, ctx: WithACL) -> Any:
    require_enabled(ctx)
    provided = ""
    if request.get_data(cache=True):
        try:
            provided = gobody.decode(gobody.read_json(request), BOOTSTRAP, "structs.ACLTokenBootstrapRequest")[
                "BootstrapSecret"
            ]
        except BodyError as exc:
            raise NomadError(400, f"failed to decode request body: {exc}") from exc
    reset = ctx.acl.store.bootstrap_index()
    if reset:
        specified = _reset_file_index(ctx.config.data_dir)
        if specified == 0:
            raise NomadError(400, f"ACL bootstrap already done (reset index: {reset})")
        if specified != reset:
            raise NomadError(400, f"Invalid bootstrap reset index (specified {specified}, reset index: {reset})")
    if provided and not is_uuid(provided):
        raise NomadError(400, "invalid acl token")
    secret = provided or str(uuid.uuid4())
    doc = {
        "AccessorID": str(uuid.uuid4()),
        "Name": "Bootstrap Token",
        "Type": MANAGEMENT,
        "Policies": None,
        "Roles": None,
        "Global": True,
        "CreateTime": gotime.format_ns(gotime.now_ns()),
        "ExpirationTime": None,
        "ExpirationTTL": "",
    }
    doc["Hash"] = token_hash(doc)
    res = ctx.acl.store.bootstrap(doc, secret, reset)
    if not res.succeeded:
        current = res.current.modify_index if res.current is not None else reset
        raise NomadError(400, f"ACL bootstrap already done (reset index: {current})")
    view = token_view(Stored(doc, res.index, res.index), secret)
    return set_index(json_response(view), res.index)


def wait_for_list(
    request: Request, ctx: WithACL, query: blocking.Query, path: str, rev: int, items: list[Stored]
) -> None:
    """Nomad blocks ACL lists on the table's index: answer once an item under ``path`` changed."""
    blocking.wait_for_change(
        request,
        ctx,
        query,
        path,
        prefix=True,
        changed=lambda: (
            max(rev, 1) > query.index
            and (
                any(i.modify_index > query.index for i in items)
                or ctx.watch.changed_since(path, prefix=True, index=query.index)
            )
        ),
    )


# -- policies ---------------------------------------------------------------------------------
@nomad_handler
def policies(request: Request, ctx: WithACL) -> Any:
    query = blocking.parse(request)
    require_enabled(ctx)
    identity = caller(request, ctx, acl.AUTHENTICATED)
    prefix = request.args.get("prefix", "")
    rev, items = ctx.acl.store.policies(prefix)
    wait_for_list(request, ctx, query, POLICY_PREFIX + prefix, rev, items)
    allowed = _policy_filter(identity)
    out = [policy_stub(p) for p in items if allowed(p.doc["Name"])]
    index = max(rev, 1)
    return set_meta(json_response(out), query_meta(index))


@nomad_handler
def policy(request: Request, ctx: WithACL, name: str = "") -> Any:
    if name == "self":
        return self_policies(request, ctx)
    if name == "":
        raise NomadError(400, "Missing Policy Name")
    if request.method == "GET":
        query = blocking.parse(request)
        require_enabled(ctx)
        identity = caller(request, ctx, acl.AUTHENTICATED)
        if name != "anonymous" and not _policy_filter(identity)(name):
            raise NomadError(403, acl.PERMISSION_DENIED)
        stored = ctx.acl.store.policy(name)
        if stored is None:
            raise NomadError(404, "ACL policy not found")
        changed = stored.modify_index > query.index
        blocking.wait_for_change(request, ctx, query, POLICY_PREFIX + name, prefix=False, changed=changed)
        out = stored.with_indexes()
        out["RulesJSON"] = aclpolicy.parse(out["Rules"], strict=False).rules_json()
        return set_meta(json_response(_policy_view(out)), query_meta(stored.modify_index))
    if request.method in ("PUT", "POST"):
        # The caller is checked before the body is read (Nomad decodes first; raftops never reads a
        # body for a caller who may not write).
        require_enabled(ctx)
        caller(request, ctx, acl.MANAGEMENT)
        doc = body(request, POLICY, "structs.ACLPolicy")
        if doc["Name"] != name:
            raise NomadError(400, "ACL policy name does not match request path")
        job = doc.get("JobACL")
        if job is not None:  # *structs.JobACL: null stays nil, anything but an object is Go's type error
            if not isinstance(job, dict):
                shown = gobody.json_type(job)
                where = "Go struct field ACLPolicy.JobACL of type structs.JobACL"
                raise NomadError(400, f"json: cannot unmarshal {shown} into {where}")
            try:
                job = gobody.decode_struct(job, JOB_ACL, "ACLPolicy.JobACL")
            except BodyError as exc:
                raise NomadError(400, str(exc)) from exc
        doc["JobACL"] = job
        errors = validate_policy(doc)
        if errors:
            raise NomadError(400, f"policy 0 invalid: {multierror(errors)}")
        doc["Hash"] = policy_hash(doc["Name"], doc["Description"], doc["Rules"], job)
        index = ctx.acl.store.put_policy(doc)
        return set_index(empty(200), index)
    require_enabled(ctx)
    caller(request, ctx, acl.MANAGEMENT)
    index = ctx.acl.store.delete_policy(name)
    return set_index(empty(200), index)


def self_policies(request: Request, ctx: WithACL) -> Response:
    if request.method != "GET":
        raise NomadError(405, "Invalid method")
    require_enabled(ctx)
    identity = caller(request, ctx, acl.AUTHENTICATED)
    rev, items = ctx.acl.store.policies()
    allowed = _policy_filter(identity)
    out = [policy_stub(p) for p in items if allowed(p.doc["Name"])]
    return set_meta(json_response(out), query_meta(max(rev, 1)))


# -- tokens -----------------------------------------------------------------------------------
@nomad_handler
def tokens(request: Request, ctx: WithACL) -> Any:
    query = blocking.parse(request)
    require_enabled(ctx)
    caller(request, ctx, acl.MANAGEMENT)
    prefix = request.args.get("prefix", "")
    rev, items = ctx.acl.store.tokens(prefix)
    wait_for_list(request, ctx, query, TOKEN_PREFIX + prefix, rev, items)
    global_only = request.args.get("global", "").lower() == "true"
    items.sort(key=lambda t: (t.create_index, t.doc["AccessorID"]))
    if request.args.get("reverse", "").lower() == "true":
        items.reverse()
    out = [token_stub(t) for t in items if not global_only or t.doc.get("Global")]
    return set_meta(json_response(out), query_meta(max(rev, 1)))


@nomad_handler
def token_create(request: Request, ctx: WithACL) -> Any:
    return upsert_token(request, ctx, "")


@nomad_handler
def token(request: Request, ctx: WithACL, accessor: str = "") -> Any:
    if accessor == "self":
        if request.method != "GET":
            raise NomadError(405, "Invalid method")
        return token_self(request, ctx)
    if accessor == "":
        raise NomadError(400, "Missing Token Accessor")
    if request.method == "GET":
        query = blocking.parse(request)
        require_enabled(ctx)
        identity = caller(request, ctx, acl.AUTHENTICATED)
        stored = ctx.acl.store.token(accessor)
        own = stored is not None and secret_hash(identity.secret) == stored.doc.get("SecretHash")
        if not identity.acl.is_management() and not own:
            raise NomadError(403, acl.PERMISSION_DENIED)
        if stored is None:
            raise NomadError(404, "ACL token not found")
        changed = stored.modify_index > query.index
        blocking.wait_for_change(request, ctx, query, TOKEN_PREFIX + accessor, prefix=False, changed=changed)
        view = token_view(stored, identity.secret if own else "")
        return set_meta(json_response(view), query_meta(stored.modify_index))
    if request.method in ("PUT", "POST"):
        return upsert_token(request, ctx, accessor)
    require_enabled(ctx)
    caller(request, ctx, acl.MANAGEMENT)
    stored = ctx.acl.store.token(accessor)
    if stored is None:
        raise NomadError(400, f"Cannot delete nonexistent tokens: {accessor}")
    res = ctx.acl.store.delete_tokens([stored])
    if not res.succeeded:
        raise NomadError(409, "the token changed while it was being deleted; retry")
    return set_index(empty(200), res.index)


def token_self(request: Request, ctx: WithACL) -> Response:
    if not ctx.config.acl_enabled:
        view = {**ACLS_DISABLED_TOKEN, "SecretID": "", "Hash": None, "CreateTime": gotime.ZERO}
        view.update({"ExpirationTime": None, "ExpirationTTL": "", "CreateIndex": 0, "ModifyIndex": 0})
        return set_meta(json_response(view), query_meta(0))
    identity = caller(request, ctx, acl.AUTHENTICATED)
    if identity.anonymous:
        view = {**ANONYMOUS_TOKEN, "SecretID": "", "Hash": None, "CreateTime": gotime.ZERO}
        view.update({"ExpirationTime": None, "ExpirationTTL": "", "CreateIndex": 0, "ModifyIndex": 0})
        return set_meta(json_response(view), query_meta(0))
    stored = Stored(identity.token, identity.create_index, identity.token_index)
    return set_meta(json_response(token_view(stored, identity.secret)), query_meta(identity.token_index))


def upsert_token(request: Request, ctx: WithACL, path_accessor: str) -> Response:
    require_enabled(ctx)
    identity = caller(request, ctx, acl.MANAGEMENT)  # before the body is read, as for policies
    raw = body(request, TOKEN, "structs.ACLToken")
    if path_accessor and raw["AccessorID"] != path_accessor:
        raise NomadError(400, "ACL token accessor does not match request path")
    try:
        ttl_ns = _ttl_ns(raw["ExpirationTTL"])
        expires_ns = _time_ns(raw["ExpirationTime"])
    except BodyError as exc:
        raise NomadError(400, str(exc)) from exc
    existing = None
    secret = ""
    now = gotime.format_ns(gotime.now_ns())
    accessor = raw["AccessorID"]
    if accessor:
        existing = ctx.acl.store.token(accessor)
        if existing is None and (not is_uuid(accessor) or not is_uuid(raw["SecretID"]) or raw["Type"] == MANAGEMENT):
            raise NomadError(400, f"cannot find token {accessor}")
    if existing is None:
        accessor = accessor or str(uuid.uuid4())
        secret = raw["SecretID"] if raw["AccessorID"] else str(uuid.uuid4())
        created = now
    else:
        created = existing.doc.get("CreateTime") or now
    if expires_ns is None and ttl_ns and existing is None:
        expires_ns = gotime.parse_ns(created) + ttl_ns
    roles = raw["Roles"] or []
    doc = {
        "AccessorID": accessor,
        "Name": raw["Name"],
        "Type": raw["Type"],
        "Policies": raw["Policies"] or None,
        "Roles": roles or None,
        "Global": raw["Global"],
        "CreateTime": created,
        "ExpirationTime": gotime.format_ns(expires_ns) if expires_ns is not None else None,
        "ExpirationTTL": godur.format_ns(ttl_ns) if ttl_ns else "",
    }
    if existing is not None:
        # Expiry cannot change on update; keep what is stored when the body leaves it out.
        doc["ExpirationTime"] = existing.doc.get("ExpirationTime")
    errors = validate_token(doc, ttl_ns, expires_ns, existing)
    if errors:
        raise NomadError(400, f"token 0 invalid: {multierror(errors)}")
    for link in roles if isinstance(roles, list) else [roles]:
        ident = link.get("ID") or link.get("Name") if isinstance(link, dict) else link
        raise NomadError(400, f"cannot find role {ident}")  # raftops has no ACL roles
    doc["Hash"] = token_hash(doc)
    # Every named policy must exist, and must still exist when the token is written: the txn
    # compares each policy's modify index with the one read here (Nomad's text for a role that
    # names a missing policy; Nomad's own token endpoint accepts dangling names, see docs/api/acl.md).
    held = ctx.acl.store.require_policies(doc["Policies"] or [])
    if isinstance(held, str):
        raise NomadError(400, f"cannot find policy {held}")
    if existing is None:
        res = ctx.acl.store.create_token(doc, secret, policies=held)
        if not res.succeeded:
            if ctx.acl.store.require_policies(doc["Policies"] or []) != held:
                raise NomadError(409, "a policy of the token changed while it was being created; retry")
            raise NomadError(400, f"token {accessor} or its secret already exists")
    else:
        res = ctx.acl.store.update_token(existing, doc, policies=held)
        if not res.succeeded:
            raise NomadError(409, "the token changed while it was being updated; retry")
        if secret_hash(identity.secret) == existing.doc.get("SecretHash"):
            secret = identity.secret
    stored = Stored(doc, existing.create_index if existing else res.index, res.index)
    return set_index(json_response(token_view(stored, secret)), res.index)


def register(app: App, ctx: WithACL) -> None:
    app.route("/v1/acl/bootstrap", bind(bootstrap, ctx), methods=["PUT", "POST"])
    app.route("/v1/acl/policies", bind(policies, ctx), methods=["GET"])
    app.route("/v1/acl/policy/", bind(policy, ctx), methods=ITEM_METHODS, name="nomad:acl-policy-empty")
    app.route("/v1/acl/policy/self", policy_self_any(bind(policy, ctx)), name="nomad:acl-policy-self")
    app.route("/v1/acl/policy/<path:name>", bind(policy, ctx), methods=ITEM_METHODS)
    app.route("/v1/acl/tokens", bind(tokens, ctx), methods=["GET"])
    app.route("/v1/acl/token", bind(token_create, ctx), methods=["PUT", "POST"])
    app.route("/v1/acl/token/", bind(token, ctx), methods=ITEM_METHODS, name="nomad:acl-token-empty")
    app.route("/v1/acl/token/self", token_self_any(bind(token, ctx)), name="nomad:acl-token-self")
    app.route("/v1/acl/token/<path:accessor>", bind(token, ctx), methods=ITEM_METHODS)


def policy_self_any(handler: Callable[..., Response]) -> Callable[[Request], Response]:
    def route(request: Request) -> Response:
        return handler(request, name="self")

    return route


def token_self_any(handler: Callable[..., Response]) -> Callable[[Request], Response]:
    def route(request: Request) -> Response:
        return handler(request, accessor="self")

    return route


def _policy_filter(identity: acl.Identity) -> Callable[[str], bool]:
    """Nomad's getPolicyAuthorizationFunc: management sees every policy, others the ones they hold."""
    if identity.acl.is_management():
        return lambda name: True
    held = set(identity.token.get("Policies") or [])
    return lambda name: name in held


def _policy_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "Name": doc["Name"],
        "Description": doc.get("Description", ""),
        "Rules": doc.get("Rules", ""),
        "RulesJSON": doc.get("RulesJSON"),
        "JobACL": doc.get("JobACL"),
        "Hash": doc.get("Hash", ""),
        "CreateIndex": doc["CreateIndex"],
        "ModifyIndex": doc["ModifyIndex"],
    }


def _reset_file_index(data_dir: str) -> int:
    """Nomad's <data_dir>/acl-bootstrap-reset: the reset index an operator allows (0: none)."""
    if not data_dir:
        return 0
    try:
        raw = (Path(data_dir) / BOOTSTRAP_RESET_FILE).read_text().strip()
    except OSError:
        return 0
    digits = re.match(r"\d+", raw)
    return int(digits.group()) if digits else 0
