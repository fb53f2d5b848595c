"""Nomad's HTTP conventions and its /v1/status and /v1/agent endpoints.

Nomad (command/agent/http.go ``wrap``) encodes a handler's result as JSON and turns a
``CodedError`` into its status with a text/plain body; any other error is a 500. We keep
that shape so real Nomad clients work against raftops unchanged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from werkzeug.wrappers import Request, Response

from .. import __version__, acl, metrics
from ..errors import DomainError
from ..store.etcd import EtcdError
from ..store.state import StateError
from .context import AgentViews, bind
from .http import App

log = logging.getLogger(__name__)


class NomadError(DomainError):
    """Nomad's CodedError: an HTTP status and a plain-text message, raised by the API layer itself.

    The domain raises raftops.errors' categories instead; ``nomad_handler`` answers both the same way.
    """

    def __init__(self, code: int, message: str):
        super().__init__(message, status=code)


def text(message: str, status: int) -> Response:
    return Response(message, status=status, content_type="text/plain; charset=utf-8")


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(obj), status=status, content_type="application/json", headers=headers)


def query_meta(index: int, *, known_leader: bool = True, last_contact_ms: int = 0, next_token: str = "") -> dict:
    """Nomad's QueryMeta as it appears in response bodies (LastContact is a Go duration: nanoseconds).

    A successful linearizable etcd read went through the leader, so by default the leader is known
    and the last contact is 0.
    """
    return {
        "Index": index,
        "LastContact": last_contact_ms * 1_000_000,
        "KnownLeader": known_leader,
        "NextToken": next_token,
    }


def empty(status: int = 200) -> Response:
    """A response with no body and, as from Nomad's ``wrap`` for a nil result, no Content-Type."""
    response = Response(status=status)
    del response.headers["Content-Type"]
    return response


def set_index(response: Response, index: int) -> Response:
    """Nomad's setIndex: the X-Nomad-Index header."""
    response.headers["X-Nomad-Index"] = str(index)
    return response


def set_meta(response: Response, meta: dict) -> Response:
    """Nomad's setMeta: X-Nomad-Index, X-Nomad-LastContact (ms), X-Nomad-KnownLeader, X-Nomad-NextToken."""
    set_index(response, meta["Index"])
    response.headers["X-Nomad-LastContact"] = str(meta.get("LastContact", 0) // 1_000_000)
    response.headers["X-Nomad-KnownLeader"] = "true" if meta.get("KnownLeader") else "false"
    if meta.get("NextToken"):
        response.headers["X-Nomad-NextToken"] = meta["NextToken"]
    return response


def nomad_handler(fn: Callable[..., Any]) -> Callable[..., Response]:
    """Wrap a handler that returns a JSON-able object (or a Response) the way Nomad's ``wrap`` does."""

    @wraps(fn)
    def wrapper(request: Request, **kwargs: Any) -> Response:
        try:
            result = fn(request, **kwargs)
        except DomainError as exc:  # NomadError, or a domain error (raftops.errors): its status, as text
            return text(exc.message, exc.status)
        except (EtcdError, StateError) as exc:
            # Nomad reports RPC failures as 500 with the error text; "No cluster leader" when there is none.
            log.warning("%s %s failed: %s", request.method, request.path, exc)
            message = "No cluster leader" if isinstance(exc, EtcdError) and exc.unavailable else str(exc)
            return text(message, 500)
        if isinstance(result, Response):
            return result
        return json_response(result)

    return wrapper


# Status and agent endpoints (nomad/status_endpoint.go, command/agent/agent_endpoint.go).


@nomad_handler
def status_leader(request: Request, ctx: AgentViews) -> Any:
    return ctx.cluster.leader_address()


@nomad_handler
def status_peers(request: Request, ctx: AgentViews) -> Any:
    return ctx.cluster.peer_addresses()


@nomad_handler
def agent_self(request: Request, ctx: AgentViews) -> Any:
    acl.authorize(ctx, request, acl.AGENT_READ)
    return ctx.self_info()


def agent_health(request: Request, ctx: AgentViews) -> Response:
    # Nomad: {"server": {"ok": bool, "message": str}}, 500 when not ok.
    ok, message = ctx.health()
    return json_response({"server": {"ok": ok, "message": message}}, 200 if ok else 500)


@nomad_handler
def agent_metrics(request: Request, ctx: AgentViews) -> Any:
    # Nomad serves metrics without an ACL check (command/agent/metrics_endpoint.go).
    ctx.refresh_metrics()
    if request.args.get("format") == "prometheus":
        return Response(metrics.prometheus_text(), content_type="text/plain; version=0.0.4; charset=utf-8")
    return metrics.json_summary()


@nomad_handler
def agent_members(request: Request, ctx: AgentViews) -> Any:
    acl.authorize(ctx, request, acl.NODE_READ)
    return ctx.members_info()


def register(app: App, ctx: AgentViews) -> None:
    app.route("/v1/status/leader", bind(status_leader, ctx), methods=["GET"])
    app.route("/v1/status/peers", bind(status_peers, ctx), methods=["GET"])
    app.route("/v1/agent/self", bind(agent_self, ctx), methods=["GET"])
    app.route("/v1/agent/health", bind(agent_health, ctx), methods=["GET"])
    app.route("/v1/agent/members", bind(agent_members, ctx), methods=["GET"])
    app.route("/v1/metrics", bind(agent_metrics, ctx), methods=["GET"])


__all__ = [
    "NomadError",
    "empty",
    "json_response",
    "nomad_handler",
    "query_meta",
    "register",
    "set_index",
    "set_meta",
    "text",
    "__version__",
]
