"""Who may call the sidecar: a backup holds every secret of the cluster, so no anonymous caller.

etcd-operator's sidecar has no authentication (it lives inside a Kubernetes pod network); raftops
keeps its paths and bodies and adds the checks its agents make:

* a client certificate that ``http_tls.ca_file`` signed (verified by the TLS handshake), or
* an ACL token (``X-Nomad-Token`` or ``Authorization: Bearer``), resolved by an agent at every
  request, so a revoked token stops working at once: ``management`` for ``/v1/backup`` and
  ``/v1/backupnow`` (like a snapshot save), ``operator:read`` for ``/v1/status``.

No credentials: 401. Credentials that do not allow the request: 403. ``/metrics`` stays open, like
the agents' (counts and timestamps, no secrets). This module knows no HTTP: it is given the secret and
whether a client certificate was verified, and raises raftops.errors (Unauthenticated, PermissionDenied,
Unavailable); ``api.py`` reads the request and answers those as Go's ``http.Error``.
"""

from __future__ import annotations

import logging
from typing import Any

from ..acl import policy as aclpolicy
from ..errors import DomainError, PermissionDenied, Unauthenticated, Unavailable
from .agents import AgentError, AgentPool

log = logging.getLogger(__name__)

MANAGEMENT = "management"
OPERATOR_READ = "operator:read"


class SidecarAuth:
    def __init__(self, agents: AgentPool, *, disabled: bool = False):
        self.agents = agents
        self.disabled = disabled

    def check(self, secret: str, capability: str, *, certified: bool = False) -> None:
        """Return when the caller may go on, else raise a domain error (raftops.errors).

        ``secret``: the caller's ACL token ("" when none was sent); ``certified``: the caller presented a
        client certificate that the TLS handshake verified against ``http_tls.ca_file``. Raises
        Unauthenticated (no credentials), PermissionDenied, or Unavailable (no agent could check the token).
        """
        if self.disabled or certified:
            return
        if not secret:
            raise Unauthenticated("Unauthorized: an ACL token (X-Nomad-Token) or a client certificate is required")
        try:
            token = self.agents.call_as(secret, "GET", "/v1/acl/token/self")
        except AgentError as exc:
            raise _denied_by_agent(exc) from None
        if not isinstance(token, dict):
            raise PermissionDenied("Permission denied")
        if token.get("Type") == MANAGEMENT:
            return
        if capability == OPERATOR_READ and self._policies_allow_operator_read(secret, token):
            return
        raise PermissionDenied("Permission denied")

    def _policies_allow_operator_read(self, secret: str, token: dict[str, Any]) -> bool:
        parsed = []
        for name in token.get("Policies") or []:
            try:
                policy = self.agents.call_as(secret, "GET", f"/v1/acl/policy/{name}")
                parsed.append(aclpolicy.parse(policy.get("Rules", ""), strict=False))
            except (AgentError, aclpolicy.PolicyError, AttributeError) as exc:
                log.debug("policy %s of the caller's token: %s", name, exc)
        return aclpolicy.compile_policies(parsed).allow_operator_read()


def _denied_by_agent(exc: AgentError) -> DomainError:
    if exc.status == 400 and "ACL support disabled" in exc.answer:
        # An agent without ACLs cannot vouch for a token; only a client certificate can open the sidecar.
        return PermissionDenied("Permission denied: the cluster has ACLs disabled; use a client certificate")
    if 400 <= exc.status < 500:
        return PermissionDenied(f"Permission denied: {exc.answer or 'the token was refused'}")
    log.warning("cannot check a caller's token: %s", exc)
    return Unavailable("cannot check the token: no raftops agent answered")
