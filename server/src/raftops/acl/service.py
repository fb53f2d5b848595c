"""ACL enforcement in Nomad's model: tokens from X-Nomad-Token or Authorization: Bearer,
management tokens allow everything, client tokens get the union of their policies.

API handlers call :func:`authorize` with the capability the upstream endpoint requires
(see docs/api/acl.md): ``management``, ``operator:read``, ``operator:write``, or a variable
operation with its namespace and path. Denial is 403 ``Permission denied``; a secret that names
no token is 403 ``ACL token not found`` (Nomad's ResolveToken); an expired one 403 ``ACL token expired``.

Resolution is cached per secret (keyed by its SHA-256): a cached entry is revalidated with one
etcd txn that compares the mod revisions of the secret's mapping (``acl/secret/<sha256>``), of the
token and of the policies it names, and the same txn returns fresh copies when any changed. So a
request costs one etcd read once its token has been seen, two the first time, and a deleted or
changed mapping stops working on every agent at the next request. A token is accepted only when its
stored ``SecretHash`` matches the secret presented: a mapping alone grants nothing.

Within one request the identity is resolved once: the HTTP front may run a handler twice (first
without its body, see raftops.httpfront), and the second run reuses the first one's identity.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import gotime
from ..errors import PermissionDenied
from ..store import acl as aclstore
from ..store.acl import ANONYMOUS_TOKEN, ACLStore, Stored, secret_hash
from ..store.records import Record
from ..store.state import StateStore

if TYPE_CHECKING:  # a request is read for its headers and environ only: the domain knows no HTTP library
    from werkzeug.wrappers import Request
from . import policy as aclpolicy

MANAGEMENT = "management"
OPERATOR_READ = "operator:read"
OPERATOR_WRITE = "operator:write"
LICENSE_READ = "operator:license-read"  # operator:read, or the fine-grained license-read capability
AGENT_READ = "agent:read"
NODE_READ = "node:read"
AUTHENTICATED = "authenticated"  # any token that resolves, the anonymous one included
VARIABLE_READ = "variables:read"
VARIABLE_WRITE = "variables:write"
VARIABLE_DESTROY = "variables:destroy"
VARIABLE_LIST = "variables:list"
VARIABLE_WRITE_SOMEWHERE = "variables:write-somewhere"  # may write some variable: checked before a body is read

PERMISSION_DENIED = "Permission denied"
TOKEN_NOT_FOUND = "ACL token not found"
TOKEN_EXPIRED = "ACL token expired"
ACL_DISABLED = "ACL support disabled"

CACHE_SIZE = 4096
REQUEST_IDENTITY = "raftops.identity"  # environ key: (secret, Identity) resolved for this request


def token_from(request: Request) -> str:
    token = request.headers.get("X-Nomad-Token", "").strip()
    if not token:
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
    return token


@dataclass
class Identity:
    """Who is calling: the resolved token (as stored, with its indexes) and what it may do."""

    token: dict[str, Any]
    acl: aclpolicy.ACLObject
    secret: str = ""
    token_index: int = 0  # the token's modify index; 0 for the anonymous token
    create_index: int = 0
    policy_revisions: dict[str, int] = field(default_factory=dict)
    secret_index: int = 0  # the modify index of the secret's mapping; 0 for the anonymous token

    @property
    def anonymous(self) -> bool:
        return self.token.get("AccessorID") == "anonymous"

    def allows(self, capability: str, **scope: Any) -> bool:
        return allowed(self.acl, capability, **scope)


def allowed(acl: aclpolicy.ACLObject, capability: str, **scope: Any) -> bool:
    if capability == AUTHENTICATED:
        return True
    if capability == MANAGEMENT:
        return acl.is_management()
    if capability == OPERATOR_READ:
        return acl.allow_operator_read()
    if capability == OPERATOR_WRITE:
        return acl.allow_operator_write()
    if capability == LICENSE_READ:
        return acl.allow_operator_operation("license-read")
    if capability == AGENT_READ:
        return acl.allow_agent_read()
    if capability == NODE_READ:
        return acl.allow_node_read()
    if capability == VARIABLE_WRITE_SOMEWHERE:
        return acl.is_management() or any(
            "write" in caps for caps in (*acl.variables.values(), *acl.wildcard_variables.values())
        )
    if capability.startswith("variables:"):
        op = capability.split(":", 1)[1]
        return acl.allow_variable_operation(scope.get("namespace", "default"), scope.get("path", ""), op)
    raise ValueError(f"unknown capability {capability!r}")


def authorize(agent: Any, request: Request, capability: str, **scope: Any) -> Any:
    """Allow or raise PermissionDenied (403). With ACLs off (Nomad's default) everything is allowed (None)."""
    if not agent.config.acl_enabled:
        return None
    secret = token_from(request)
    resolved = request.environ.get(REQUEST_IDENTITY)
    if resolved is not None and resolved[0] == secret:
        identity = resolved[1]
    else:
        identity = agent.acl.resolve(secret)
        request.environ[REQUEST_IDENTITY] = (secret, identity)
    if not identity.allows(capability, **scope):
        raise PermissionDenied(PERMISSION_DENIED)
    return identity


def permits(identity: Identity | None, capability: str, **scope: Any) -> bool:
    """For handlers that filter rather than deny (list endpoints): None means ACLs are off."""
    return identity is None or identity.allows(capability, **scope)


class ACLResolver:
    """Secret -> Identity, with the revision-checked cache described in the module docstring."""

    def __init__(self, state: StateStore):
        self.state = state
        self.store = ACLStore(state)
        self._cache: OrderedDict[str, Identity] = OrderedDict()
        self._lock = threading.Lock()

    def authorize(self, secret: str, capability: str, **scope: Any) -> Identity:
        identity = self.resolve(secret)
        if not identity.allows(capability, **scope):
            raise PermissionDenied(PERMISSION_DENIED)
        return identity

    def resolve(self, secret: str) -> Identity:
        key = secret_hash(secret)
        with self._lock:
            cached = self._cache.get(key)
        identity = self._revalidate(secret, cached) if cached is not None else self._load(secret)
        expires = identity.token.get("ExpirationTime")
        if not gotime.is_zero(expires) and gotime.parse_ns(expires) < time.time_ns():
            raise PermissionDenied(TOKEN_EXPIRED)
        with self._lock:
            self._cache[key] = identity
            self._cache.move_to_end(key)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return identity

    def forget(self, secret: str) -> None:
        with self._lock:
            self._cache.pop(secret_hash(secret), None)

    # -- loading ------------------------------------------------------------------------------------
    def _load(self, secret: str) -> Identity:
        if secret == "":
            return self._build(secret, None, self.store.all_policies())
        digest = secret_hash(secret)
        mapping = self.store.secret_mapping(digest)
        if mapping is None:
            raise PermissionDenied(TOKEN_NOT_FOUND)
        accessor = mapping.value.decode(errors="replace")
        token, policies = self.store.token_with_policies(accessor)
        if token is None:
            raise PermissionDenied(TOKEN_NOT_FOUND)
        if token.doc.get("SecretHash") != digest:
            raise PermissionDenied(TOKEN_NOT_FOUND)  # a mapping that points at someone else's token
        identity = self._build(secret, token, policies)
        identity.secret_index = mapping.modify_index
        return identity

    def _revalidate(self, secret: str, cached: Identity) -> Identity:
        digest = secret_hash(secret)
        watched = (
            None if cached.anonymous else (digest, cached.secret_index, cached.token["AccessorID"], cached.token_index)
        )
        unchanged, mapping, token, policies = self.store.read_if_changed(cached.policy_revisions, watched)
        if unchanged:
            return cached
        if cached.anonymous:
            return self._build(secret, None, policies)
        if (
            mapping is not None
            and token is not None
            and mapping.value.decode(errors="replace") == cached.token["AccessorID"]
            and token.doc.get("SecretHash") == digest  # same secret, same token: new policies or fields
        ):
            identity = self._build(secret, token, policies)
            identity.secret_index = mapping.modify_index
            return identity
        # The mapping or the token is gone or points elsewhere (after a snapshot restore the same secret may
        # belong to another accessor, or to none): resolve it from scratch.
        self.forget(secret)
        return self._load(secret)

    def _build(self, secret: str, token: Stored | None, policy_items: list[Record]) -> Identity:
        by_name = {item.name: item for item in policy_items}
        if token is None:
            doc, token_index, create_index = dict(ANONYMOUS_TOKEN), 0, 0
        else:
            doc, token_index, create_index = token.doc, token.modify_index, token.create_index
        if doc.get("Type") == aclstore.MANAGEMENT:
            return Identity(doc, aclpolicy.MANAGEMENT_ACL, secret, token_index, create_index, {})
        names = list(doc.get("Policies") or [])
        revisions = {name: by_name[name].modify_index if name in by_name else 0 for name in names}
        parsed = []
        for name in names:
            item = by_name.get(name)
            if item is None:
                continue  # a dangling policy name grants nothing, as in Nomad
            try:
                parsed.append(aclpolicy.parse(json.loads(item.value).get("Rules", ""), strict=False))
            except (aclpolicy.PolicyError, ValueError):
                continue  # stored rules were validated on write; never let one bad policy lock everyone out
        acl = aclpolicy.compile_policies(parsed)
        return Identity(doc, acl, secret, token_index, create_index, revisions)


__all__ = [
    "ACLResolver",
    "Identity",
    "authorize",
    "permits",
    "token_from",
]
