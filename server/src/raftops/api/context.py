"""What each API family needs from the agent, as typing Protocols, and how a handler is bound to it.

A family's handlers are module-level functions ``handler(request, ctx, **route_args)``; its
``register(app, ctx)`` is a route table that binds them (:func:`bind`). ``ctx`` is the Agent
(raftops.agent, the composition root), but each family declares only the services it uses, so a
handler can be read, and tested, against a small surface.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, Protocol

from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from ..acl import ACLResolver
    from ..cluster.health import HealthPoller
    from ..cluster.service import ClusterService
    from ..config import Config
    from ..sm.service import SMService
    from ..store.state import StateStore
    from ..store.watch import WatchHub
    from ..variables import VariableService


class Authorizing(Protocol):
    """What raftops.acl.authorize reads: the configuration (acl_enabled) and the token resolver."""

    config: Config
    acl: ACLResolver


class WithState(Authorizing, Protocol):
    """Families that read and write the replicated state (configuration documents, license, snapshot)."""

    state: StateStore


class Watching(Protocol):
    """What a Nomad blocking query (api/blocking.py) waits on: the agent's watch hub."""

    watch: WatchHub


class WithACL(Authorizing, Watching, Protocol):
    """/v1/acl/*: the configuration (acl_enabled, data_dir), the resolver (and its ACL repository, ``acl.store``)."""


class WithVariables(Authorizing, Watching, Protocol):
    """/v1/var and /v1/vars: the variables service."""

    variables: VariableService


class WithCluster(Authorizing, Protocol):
    """Families that read the etcd cluster itself (members, status, raft operations): the cluster service."""

    cluster: ClusterService


class WithHealth(Authorizing, Protocol):
    """The autopilot health endpoint: the agent's in-memory health poller."""

    server_health: HealthPoller


class WithSM(Authorizing, Protocol):
    """The OpenSearch-family APIs (SM policies, snapshot repositories, notifications): the SM service."""

    sm: SMService
    server_id: str  # the node that answers a repository verification


class AgentViews(WithCluster, Protocol):
    """/v1/status and /v1/agent: the agent's own views of itself and of the cluster."""

    def self_info(self) -> dict[str, Any]: ...

    def health(self) -> tuple[bool, str]: ...

    def members_info(self) -> dict[str, Any]: ...

    def refresh_metrics(self) -> None: ...


def bind(handler: Callable[..., Response], ctx: object) -> Callable[..., Response]:
    """``handler(request, ctx, **route_args)`` as the ``(request, **route_args)`` the router calls."""

    @wraps(handler)
    def bound(request: Request, **kwargs: Any) -> Response:
        return handler(request, ctx=ctx, **kwargs)

    return bound
