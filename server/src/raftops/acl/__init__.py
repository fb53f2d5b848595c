"""ACL in Nomad's model, as one domain package below HTTP.

- :mod:`raftops.acl.policy`: the model, Nomad's ACL policy language (HCL or JSON) parsed and compiled;
- :mod:`raftops.store.acl`: the repository, tokens, policies and secret mappings in etcd (the store layer);
- :mod:`raftops.acl.service`: resolution of a request's token to an identity, cached, and :func:`authorize`.

``api/acl_endpoints.py`` serves Nomad's ``/v1/acl/*`` on top of these and maps their errors
(raftops.errors) to Nomad's wire format. This module re-exports the service, the name handlers use.
"""

from __future__ import annotations

from .service import (
    ACL_DISABLED,
    AGENT_READ,
    AUTHENTICATED,
    CACHE_SIZE,
    LICENSE_READ,
    MANAGEMENT,
    NODE_READ,
    OPERATOR_READ,
    OPERATOR_WRITE,
    PERMISSION_DENIED,
    REQUEST_IDENTITY,
    TOKEN_EXPIRED,
    TOKEN_NOT_FOUND,
    VARIABLE_DESTROY,
    VARIABLE_LIST,
    VARIABLE_READ,
    VARIABLE_WRITE,
    VARIABLE_WRITE_SOMEWHERE,
    ACLResolver,
    Identity,
    allowed,
    authorize,
    permits,
    token_from,
)

__all__ = [
    "ACL_DISABLED",
    "AGENT_READ",
    "AUTHENTICATED",
    "CACHE_SIZE",
    "LICENSE_READ",
    "MANAGEMENT",
    "NODE_READ",
    "OPERATOR_READ",
    "OPERATOR_WRITE",
    "PERMISSION_DENIED",
    "REQUEST_IDENTITY",
    "TOKEN_EXPIRED",
    "TOKEN_NOT_FOUND",
    "VARIABLE_DESTROY",
    "VARIABLE_LIST",
    "VARIABLE_READ",
    "VARIABLE_WRITE",
    "VARIABLE_WRITE_SOMEWHERE",
    "ACLResolver",
    "Identity",
    "allowed",
    "authorize",
    "permits",
    "token_from",
]
