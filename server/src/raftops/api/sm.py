"""OpenSearch's snapshot-management API: ``/_plugins/_sm/policies``.

Bodies, status codes, validation and error JSON follow index-management (see
docs/api/sm.md). ``_seq_no`` is the etcd
mod revision of the policy key and ``_primary_term`` the etcd raft term stored with the policy.

ACL (when enabled): reads need ``operator:read``, writes ``operator:write``. The test clock
(``/_plugins/_sm/_test/clock``) exists only when the agent config sets ``sm.test_clock: true`` and
needs a management token.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from .. import acl
from ..sm import names
from ..sm.policy import for_index
from ..sm.store import StoredPolicy
from ..sm.timevalue import TimeValueError
from ..sm.timevalue import parse as parse_time
from ..sm.wildcard import Wildcard
from .context import WithSM, bind
from .http import App
from .opensearch import (
    OpenSearchError,
    check_doc_id,
    check_params,
    illegal_argument,
    json_response,
    method_not_allowed,
    object_body,
    opensearch_handler,
    param_long,
    refresh_policy,
    status_exception,
    validation_failed,
)

BASE = "/_plugins/_sm/policies"
TEST_CLOCK = "/_plugins/_sm/_test/clock"
DEFAULT_SIZE, DEFAULT_FROM = 20, 0
MAX_CREATION_DELAY_MS = 3_600_000  # the test-only creation delay is bounded like every other wait
DEFAULT_SORT_FIELD, DEFAULT_SORT_ORDER = "sm_policy.name", "asc"
# Fields of the sm_policy mapping a list can sort on (keyword, number, date and boolean fields).
SORTABLE = {
    "sm_policy.name",
    "sm_policy.schema_version",
    "sm_policy.enabled",
    "sm_policy.enabled_time",
    "sm_policy.last_updated_time",
    "sm_policy.schedule.interval.start_time",
    "sm_policy.schedule.interval.period",
    "sm_policy.schedule.interval.unit",
    "sm_policy.creation.schedule.cron.expression",
    "sm_policy.creation.schedule.cron.timezone",
    "sm_policy.creation.time_limit",
    "sm_policy.deletion.schedule.cron.expression",
    "sm_policy.deletion.schedule.cron.timezone",
    "sm_policy.deletion.time_limit",
    "sm_policy.deletion.condition.max_count",
    "sm_policy.deletion.condition.min_count",
    "sm_policy.deletion.condition.max_age",
    "sm_policy.deletion.snapshot_pattern",
    "sm_policy.notification.channel.id",
}


def policy_response(stored: StoredPolicy) -> dict[str, Any]:
    return {
        "_id": stored.doc_id,
        "_version": stored.version,
        "_seq_no": stored.seq_no,
        "_primary_term": stored.primary_term,
        "sm_policy": stored.policy.render(),
    }


# -- list: queryString and sorting -----------------------------------------------------------------
MAX_QUERY_CLAUSES = 1024  # Lucene's default BooleanQuery.maxClauseCount
URI_SAFE = "!$&'()*+,;=:@"  # RFC 3986 pchar punctuation: kept as is in a path segment


def location(name: str) -> str:
    """The ``Location`` header: the policy's URI, its name percent-encoded where a URI needs it."""
    return BASE + "/" + quote(name, safe=URI_SAFE)


def compile_query(query: str) -> list[list[tuple[bool, Wildcard]]]:
    """query_string on the keyword field ``sm_policy.name`` with default_operator AND (terms, OR, NOT/-).

    OR groups of (negated, pattern) terms; every pattern is compiled once and matched in linear time
    (raftops.sm.wildcard), whatever its number of wildcards.
    """
    tokens = [t for t in query.split() if t not in ("AND", "&&")]
    if len(tokens) > MAX_QUERY_CLAUSES:
        raise illegal_argument(
            f"[query_string] has {len(tokens)} clauses: maxClauseCount is set to {MAX_QUERY_CLAUSES}"
        )
    groups: list[list[tuple[bool, Wildcard]]] = [[]]
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in ("OR", "||"):
            groups.append([])
            i += 1
            continue
        negate = False
        if tok in ("NOT", "!") and i + 1 < len(tokens):
            negate, tok = True, tokens[i + 1]
            i += 1
        elif tok.startswith("-") and len(tok) > 1:
            negate, tok = True, tok[1:]
        tok = tok.split(":", 1)[1] if tok.startswith("sm_policy.name:") else tok
        tok = tok.strip('"')
        groups[-1].append((negate, Wildcard(tok)))
        i += 1
    return [g for g in groups if g]


def query_matches(query: str | list[list[tuple[bool, Wildcard]]], name: str) -> bool:
    groups = compile_query(query) if isinstance(query, str) else query
    if not groups:
        return True
    return any(all(term.fullmatch(name) != negate for negate, term in group) for group in groups)


def _sort_value(doc: dict[str, Any], field: str) -> Any:
    value: Any = {"sm_policy": doc}
    for part in field.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def now(ctx: WithSM) -> int:
    ctx.sm.clock.refresh()
    return ctx.sm.clock.now_ms()


def create(request: Request, ctx: WithSM, name: str) -> Response:
    acl.authorize(ctx, request, acl.OPERATOR_WRITE)
    names.check_policy_name(name)
    param_long(request, "if_seq_no")
    param_long(request, "if_primary_term")
    refresh_policy(request)
    at = now(ctx)
    policy = for_index(object_body(request), name, at)
    check_params(request, ("if_seq_no", "if_primary_term", "refresh"))
    check_doc_id(names.policy_doc_id(name))
    stored = ctx.sm.store.create(policy)
    return json_response(request, policy_response(stored), 201, headers={"Location": location(name)})


def update(request: Request, ctx: WithSM, name: str) -> Response:
    acl.authorize(ctx, request, acl.OPERATOR_WRITE)
    names.check_policy_name(name)
    seq_no = param_long(request, "if_seq_no", -2)
    term = param_long(request, "if_primary_term", 0)
    refresh_policy(request)
    at = now(ctx)
    policy = for_index(object_body(request), name, at)
    check_params(request, ("if_seq_no", "if_primary_term", "refresh"))
    check_doc_id(names.policy_doc_id(name))
    if seq_no == -2 or term == 0:
        raise validation_failed(
            "Sequence number and primary term must be provided when updating a snapshot management policy"
        )
    stored = ctx.sm.store.update(policy, int(seq_no or 0), int(term or 0))
    return json_response(request, policy_response(stored), 200, headers={"Location": location(name)})


def get_one(request: Request, ctx: WithSM, name: str) -> Any:
    acl.authorize(ctx, request, acl.OPERATOR_READ)
    check_params(request, ())
    return policy_response(ctx.sm.store.require(name, now(ctx)))


def delete(request: Request, ctx: WithSM, name: str) -> Any:
    acl.authorize(ctx, request, acl.OPERATOR_WRITE)
    if not name:
        raise illegal_argument("Missing policy name")
    refresh = refresh_policy(request)
    check_params(request, ("refresh",))
    return ctx.sm.store.delete(name, now(ctx), forced_refresh=refresh == "true")


def list_policies(request: Request, ctx: WithSM) -> Any:
    acl.authorize(ctx, request, acl.OPERATOR_READ)
    size = param_long(request, "size", DEFAULT_SIZE, kind="int")
    start = param_long(request, "from", DEFAULT_FROM, kind="int")
    sort_field = request.args.get("sortField", DEFAULT_SORT_FIELD)
    sort_order = request.args.get("sortOrder", DEFAULT_SORT_ORDER)
    query = request.args.get("queryString", "*")
    check_params(request, ("size", "from", "sortField", "sortOrder", "queryString"))
    if sort_order.lower() not in ("asc", "desc"):
        raise illegal_argument(f"Unknown SortOrder [{sort_order}]")
    if size is not None and size < 0:
        raise illegal_argument(f"[size] parameter cannot be negative, found [{size}]")
    if start is not None and start < 0:
        raise illegal_argument(f"[from] parameter cannot be negative, found [{start}]")
    if sort_field not in SORTABLE:
        reason = f"No mapping found for [{sort_field}] in order to sort on"
        raise OpenSearchError(400, "query_shard_exception", reason)
    compiled = compile_query(query)
    hits = [p for p in ctx.sm.store.list(now(ctx)) if query_matches(compiled, p.name)]
    present = [p for p in hits if _sort_value(p.policy.render(), sort_field) is not None]
    absent = [p for p in hits if _sort_value(p.policy.render(), sort_field) is None]
    present.sort(
        key=lambda p: (_sort_value(p.policy.render(), sort_field), p.name), reverse=sort_order.lower() == "desc"
    )
    ordered = present + absent  # documents without the field sort last either way
    page = ordered[int(start or 0) : int(start or 0) + int(size or 0)]
    return {
        "policies": [
            {"_id": p.doc_id, "_seq_no": p.seq_no, "_primary_term": p.primary_term, "sm_policy": p.policy.render()}
            for p in page
        ],
        "total_policies": len(hits),
    }


def explain(request: Request, ctx: WithSM, names_csv: str) -> Any:
    acl.authorize(ctx, request, acl.OPERATOR_READ)
    check_params(request, ())
    wanted = [n.strip() for n in names_csv.split(",") if n.strip()] or ["*"]
    policies = ctx.sm.store.list(now(ctx))
    chosen = []
    patterns = [(Wildcard(p) if "*" in p or "?" in p else None, p) for p in wanted]
    for stored in sorted(policies, key=lambda p: p.name):
        for wild, pattern in patterns:
            if (wild is not None and wild.fullmatch(stored.name)) or stored.name == pattern:
                chosen.append(stored)
                break
    metadata = ctx.sm.store.metadata([p.name for p in chosen])
    out = []
    for stored in chosen:
        entry: dict[str, Any] = {"name": stored.name}
        md = metadata.get(stored.name)
        if md is not None:
            entry |= md.explain()
        entry["enabled"] = stored.policy.enabled
        out.append(entry)
    return {"policies": out}


def start_stop(request: Request, ctx: WithSM, name: str, enabled: bool) -> Any:
    acl.authorize(ctx, request, acl.OPERATOR_WRITE)
    names.check_policy_name(name)
    check_params(request, ())
    ctx.sm.store.set_enabled(name, enabled, now(ctx))
    return {"acknowledged": True}


def test_clock(request: Request, ctx: WithSM) -> Response:
    if not ctx.sm.clock.test_clock:
        message = f"no handler found for uri [{request.path}] and method [{request.method}]"
        return json_response(request, {"error": message, "status": 404}, 404)
    acl.authorize(ctx, request, acl.MANAGEMENT)
    check_params(request, ())
    if request.method == "GET":
        ctx.sm.clock.refresh()
        return json_response(request, ctx.sm.clock.status())
    if request.method != "POST":
        return method_not_allowed(request, ["GET", "POST"])
    body = object_body(request)
    unknown = sorted(set(body) - {"advance", "offset_ms", "creation_delay"})
    if unknown:
        raise illegal_argument(f"unknown test clock fields: {', '.join(unknown)}")
    delay = _millis(body.get("creation_delay"), "creation_delay")
    if delay is not None and not 0 <= delay <= MAX_CREATION_DELAY_MS:
        raise illegal_argument("creation_delay must be between 0 and 1h")
    return json_response(
        request,
        ctx.sm.clock.update(
            advance_ms=_millis(body.get("advance"), "advance"),
            offset_ms=_millis(body.get("offset_ms"), "offset_ms"),
            creation_delay_ms=delay,
        ),
    )


@opensearch_handler
def policies_root(request: Request, ctx: WithSM) -> Any:
    if request.method == "GET":
        return list_policies(request, ctx)
    return method_not_allowed(request, ["GET"])


@opensearch_handler
def policy(request: Request, ctx: WithSM, name: str) -> Any:
    handlers = {"POST": create, "PUT": update, "GET": get_one, "DELETE": delete}
    handler = handlers.get(request.method)
    if handler is None:
        return method_not_allowed(request, handlers)
    return handler(request, ctx, name)


@opensearch_handler
def policy_explain(request: Request, ctx: WithSM, name: str) -> Any:
    if request.method != "GET":
        return method_not_allowed(request, ["GET"])
    return explain(request, ctx, name)


@opensearch_handler
def policy_start(request: Request, ctx: WithSM, name: str) -> Any:
    if request.method != "POST":
        return method_not_allowed(request, ["POST"])
    return start_stop(request, ctx, name, True)


@opensearch_handler
def policy_stop(request: Request, ctx: WithSM, name: str) -> Any:
    if request.method != "POST":
        return method_not_allowed(request, ["POST"])
    return start_stop(request, ctx, name, False)


def register(app: App, ctx: WithSM) -> None:
    app.route(BASE, bind(policies_root, ctx), name="sm:policies", family="opensearch")
    app.route(BASE + "/<name>", bind(policy, ctx), name="sm:policy", family="opensearch")
    app.route(BASE + "/<name>/_explain", bind(policy_explain, ctx), name="sm:explain", family="opensearch")
    app.route(BASE + "/<name>/_start", bind(policy_start, ctx), name="sm:start", family="opensearch")
    app.route(BASE + "/<name>/_stop", bind(policy_stop, ctx), name="sm:stop", family="opensearch")
    app.route(TEST_CLOCK, bind(opensearch_handler(test_clock), ctx), name="sm:test-clock", family="opensearch")


MAX_CLOCK_SHIFT_MS = 100 * 365 * 86_400_000  # a century: far enough for any test, well inside every date type


def _millis(value: Any, field: str) -> int | None:
    """A test-clock amount: milliseconds as a number, or a duration string ("90s", "2h"), within a century."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        millis = value
    else:
        text = str(value).strip()
        sign = -1 if text.startswith("-") else 1
        try:
            millis = sign * parse_time(text.lstrip("-"), field).millis
        except TimeValueError as exc:
            raise status_exception(400, str(exc)) from None
    if not -MAX_CLOCK_SHIFT_MS <= millis <= MAX_CLOCK_SHIFT_MS:
        raise illegal_argument(f"{field} must be within 100 years (in milliseconds: {MAX_CLOCK_SHIFT_MS})")
    return millis
