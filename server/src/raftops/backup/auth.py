"""Who may call the sidecar: a backup holds every secret of the cluster, so no anonymous caller.

etcd-operator's sidecar has no authentication (it lives inside a Kubernetes pod network); raftops
keeps its paths and bodies and adds the checks its agents make:

* a client certificate that ``http_tls.ca_file`` signed (verified by the TLS handshake), or
* an ACL token (``X-Nomad-Token`` or ``Authorization: Bearer``), resolved by an agent at every
  request, so a revoked token stops working at once: ``management`` for ``/v1/backup`` and
  ``/v1/backupnow`` (like a snapshot save), ``operator:read`` for ``/v1/status``.

No credentials: 401. Credentials that do not allow the request: 403. ``/metrics`` stays open, like
the agents' (counts and timestamps, no secrets).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request

from ..acl import policy as aclpolicy
from ..acl.service import token_from
from ..httpfront import PEER_CERT
from .agents import AgentError, AgentPool

log = logging.getLogger(__name__)

MANAGEMENT = "management"
OPERATOR_READ = "operator:read"


@dataclass(frozen=True)
class Denied:
    status: int
    message: str


class SidecarAuth:
    def __init__(self, agents: AgentPool, *, disabled: bool = False):
        self.agents = agents
        self.disabled = disabled

    def check(self, request: Request, capability: str) -> Denied | None:
        """None when the caller may go on."""
        if self.disabled:
            return None
        if request.environ.get(PEER_CERT):
            return None  # the handshake verified it against http_tls.ca_file
        secret = token_from(request)
        if not secret:
            return Denied(401, "Unauthorized: an ACL token (X-Nomad-Token) or a client certificate is required")
        try:
            token = self.agents.call_as(secret, "GET", "/v1/acl/token/self")
        except AgentError as exc:
            return _denied_by_agent(exc)
        if not isinstance(token, dict):
            return Denied(403, "Permission denied")
        if token.get("Type") == MANAGEMENT:
            return None
        if capability == OPERATOR_READ and self._policies_allow_operator_read(secret, token):
            return None
        return Denied(403, "Permission denied")

    def _policies_allow_operator_read(self, secret: str, token: dict[str, Any]) -> bool:
        parsed = []
        for name in token.get("Policies") or []:
            try:
                policy = self.agents.call_as(secret, "GET", f"/v1/acl/policy/{name}")
                parsed.append(aclpolicy.parse(policy.get("Rules", ""), strict=False))
            except (AgentError, aclpolicy.PolicyError, AttributeError) as exc:
                log.debug("policy %s of the caller's token: %s", name, exc)
        return aclpolicy.compile_policies(parsed).allow_operator_read()


def _denied_by_agent(exc: AgentError) -> Denied:
    if exc.status == 400 and "ACL support disabled" in exc.answer:
        # An agent without ACLs cannot vouch for a token; only a client certificate can open the sidecar.
        return Denied(403, "Permission denied: the cluster has ACLs disabled; use a client certificate")
    if 400 <= exc.status < 500:
        return Denied(403, f"Permission denied: {exc.answer or 'the token was refused'}")
    log.warning("cannot check a caller's token: %s", exc)
    return Denied(503, "cannot check the token: no raftops agent answered")
