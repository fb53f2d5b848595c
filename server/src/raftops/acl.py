"""ACL enforcement in Nomad's model: tokens from X-Nomad-Token or Authorization: Bearer,
management tokens allow everything, client tokens get the union of their policies.

API handlers call :func:`authorize` with the capability the upstream endpoint requires
(see docs/api.md): ``management``, ``operator:read``, ``operator:write``, or a variable
operation with its namespace and path. Denial is 403 ``Permission denied``.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

MANAGEMENT = "management"
OPERATOR_READ = "operator:read"
OPERATOR_WRITE = "operator:write"


def token_from(request: Request) -> str:
    token = request.headers.get("X-Nomad-Token", "")
    if not token:
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
    return token


def authorize(agent: Any, request: Request, capability: str, **scope: Any) -> Any:
    """Allow or raise NomadError(403). With ACLs off (Nomad's default) everything is allowed."""
    if not agent.config.acl_enabled:
        return None
    return agent.acl.authorize(token_from(request), capability, **scope)
