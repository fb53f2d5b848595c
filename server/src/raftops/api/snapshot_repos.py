"""OpenSearch's snapshot API on raftops: ``/_snapshot`` repositories and the snapshots in them.

* ``PUT|POST /_snapshot/<repo>`` defines an ``fs`` or ``s3`` repository (verified with a probe
  blob unless ``?verify=false``); ``GET /_snapshot[/_all|/<repos>]``; ``DELETE /_snapshot/<repos>``;
  ``POST /_snapshot/<repo>/_verify``.
* ``PUT|POST /_snapshot/<repo>/<snap>`` creates a snapshot of the whole raftops state (the archive
  of ``GET /v1/operator/snapshot``) in a background thread, or before answering with
  ``?wait_for_completion=true``; ``GET /_snapshot/<repo>/<snaps>`` (``_all``, wildcards, ``_current``);
  ``DELETE /_snapshot/<repo>/<snaps>``; ``POST /_snapshot/<repo>/<snap>/_restore`` replaces the state.

ACL (when enabled): reads need ``operator:read``; anything that writes or restores a snapshot, or
defines where snapshots go, needs ``management``, because a snapshot holds every ACL secret.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from .. import acl
from ..sm import schema
from ..sm.repositories import missing
from ..sm.wildcard import simple_match
from .context import WithSM, bind
from .http import App
from .opensearch import (
    check_params,
    json_body,
    method_not_allowed,
    object_body,
    opensearch_handler,
    param_bool,
)

BASE = "/_snapshot"
TIMEOUTS = ("master_timeout", "cluster_manager_timeout", "timeout")


def _patterns(csv: str) -> list[str]:
    return [p.strip() for p in csv.split(",") if p.strip()]


def get_repositories(request: Request, ctx: WithSM, csv: str = "_all") -> Any:
    acl.authorize(ctx, request, acl.OPERATOR_READ)
    check_params(request, ("local", *TIMEOUTS))
    defs = {d.name: d for d in ctx.sm.repositories.list()}
    patterns = _patterns(csv)
    if not patterns or "_all" in patterns or "*" in patterns:
        return {name: d.to_json() for name, d in sorted(defs.items())}
    out: dict[str, Any] = {}
    for pattern in patterns:
        if "*" in pattern:
            out |= {n: d.to_json() for n, d in sorted(defs.items()) if simple_match(pattern, n)}
        elif pattern in defs:
            out[pattern] = defs[pattern].to_json()
        else:
            raise missing(pattern)
    return out


def put_repository(request: Request, ctx: WithSM, name: str) -> Any:
    acl.authorize(ctx, request, acl.MANAGEMENT)
    verify = param_bool(request, "verify", True)
    body = object_body(request)
    check_params(request, ("verify", *TIMEOUTS))
    ctx.sm.repositories.define(name, body, verify=verify)
    return {"acknowledged": True}


def delete_repository(request: Request, ctx: WithSM, csv: str) -> Any:
    acl.authorize(ctx, request, acl.MANAGEMENT)
    check_params(request, TIMEOUTS)
    defs = {d.name for d in ctx.sm.repositories.list()}
    chosen = []
    for pattern in _patterns(csv):
        if "*" in pattern or pattern == "_all":
            chosen += [n for n in sorted(defs) if pattern == "_all" or simple_match(pattern, n)]
        elif pattern in defs:
            chosen.append(pattern)
        else:
            raise missing(pattern)
    for name in dict.fromkeys(chosen):
        ctx.sm.repositories.delete(name)
    return {"acknowledged": True}


def verify_repository(request: Request, ctx: WithSM, name: str) -> Any:
    acl.authorize(ctx, request, acl.MANAGEMENT)
    check_params(request, TIMEOUTS)
    defn = ctx.sm.repositories.require(name)
    ctx.sm.repositories.verify(defn, ctx.sm.repositories.open(defn, cache=False))
    return {"nodes": {ctx.server_id: {"name": ctx.config.node_name}}}


def get_snapshots(request: Request, ctx: WithSM, repo: str, csv: str) -> Any:
    acl.authorize(ctx, request, acl.OPERATOR_READ)
    verbose = param_bool(request, "verbose", True)
    ignore = param_bool(request, "ignore_unavailable", False)
    check_params(request, ("verbose", "ignore_unavailable", *TIMEOUTS))
    records = ctx.sm.snapshots.select(repo, _patterns(csv), ignore_unavailable=ignore)
    return {"snapshots": [r.info(verbose=verbose) for r in records]}


def create_snapshot(request: Request, ctx: WithSM, repo: str, snap: str) -> Any:
    acl.authorize(ctx, request, acl.MANAGEMENT)
    wait = param_bool(request, "wait_for_completion", False)
    body = json_body(request, required=False) or {}
    schema.check(schema.SNAPSHOT_REQUEST, body)
    check_params(request, ("wait_for_completion", *TIMEOUTS))
    ctx.sm.clock.refresh()
    task = ctx.sm.snapshots.start(repo, snap, body.get("metadata"))
    if not wait:
        return {"accepted": True}
    task.done.wait()
    return {"snapshot": task.record.info()}


def delete_snapshots(request: Request, ctx: WithSM, repo: str, csv: str) -> Any:
    acl.authorize(ctx, request, acl.MANAGEMENT)
    check_params(request, TIMEOUTS)
    ctx.sm.snapshots.delete(repo, _patterns(csv))
    return {"acknowledged": True}


def restore_snapshot(request: Request, ctx: WithSM, repo: str, snap: str) -> Any:
    acl.authorize(ctx, request, acl.MANAGEMENT)
    wait = param_bool(request, "wait_for_completion", False)
    json_body(request, required=False)  # indices, include_global_state...: the whole state is restored
    check_params(request, ("wait_for_completion", *TIMEOUTS))
    result = ctx.sm.snapshots.restore(repo, snap)
    if not wait:
        return {"accepted": True}
    return {
        "snapshot": {
            "snapshot": snap,
            "indices": [],
            "shards": {"total": 0, "failed": 0, "successful": 0},
            "raftops": {"generation": result.generation, "items": result.items, "index": result.index},
        }
    }


@opensearch_handler
def root(request: Request, ctx: WithSM) -> Any:
    if request.method != "GET":
        return method_not_allowed(request, ["GET"])
    return get_repositories(request, ctx)


@opensearch_handler
def repository(request: Request, ctx: WithSM, repo: str) -> Any:
    if request.method == "GET":
        return get_repositories(request, ctx, repo)
    if request.method in ("PUT", "POST"):
        return put_repository(request, ctx, repo)
    if request.method == "DELETE":
        return delete_repository(request, ctx, repo)
    return method_not_allowed(request, ["DELETE", "GET", "POST", "PUT"])


@opensearch_handler
def verify(request: Request, ctx: WithSM, repo: str) -> Any:
    if request.method != "POST":
        return method_not_allowed(request, ["POST"])
    return verify_repository(request, ctx, repo)


@opensearch_handler
def snapshot(request: Request, ctx: WithSM, repo: str, snap: str) -> Any:
    if request.method == "GET":
        return get_snapshots(request, ctx, repo, snap)
    if request.method in ("PUT", "POST"):
        return create_snapshot(request, ctx, repo, snap)
    if request.method == "DELETE":
        return delete_snapshots(request, ctx, repo, snap)
    return method_not_allowed(request, ["DELETE", "GET", "POST", "PUT"])


@opensearch_handler
def restore(request: Request, ctx: WithSM, repo: str, snap: str) -> Response | Any:
    if request.method != "POST":
        return method_not_allowed(request, ["POST"])
    return restore_snapshot(request, ctx, repo, snap)


def register(app: App, ctx: WithSM) -> None:
    app.route(BASE, bind(root, ctx), name="snapshot_repos:root", family="opensearch")
    app.route(BASE + "/_all", bind(root, ctx), name="snapshot_repos:all", family="opensearch")
    app.route(BASE + "/<repo>", bind(repository, ctx), name="snapshot_repos:repository", family="opensearch")
    app.route(BASE + "/<repo>/_verify", bind(verify, ctx), name="snapshot_repos:verify", family="opensearch")
    app.route(BASE + "/<repo>/<snap>", bind(snapshot, ctx), name="snapshot_repos:snapshot", family="opensearch")
    app.route(BASE + "/<repo>/<snap>/_restore", bind(restore, ctx), name="snapshot_repos:restore", family="opensearch")
