"""Nomad Variables, a domain package below HTTP.

- :mod:`raftops.variables.model`: Nomad's rules (paths, namespaces, sizes) and the stored form, pure logic;
- :mod:`raftops.store.variables`: the repository, one etcd request per read and per write (the store layer);
- :mod:`raftops.variables.service`: reads, writes and deletes under the rules, raising raftops.errors.

``api/variables.py`` serves Nomad's ``/v1/var`` and ``/v1/vars`` on top of these, decides what the caller
may see (ACL) and maps the errors to Nomad's wire format. This module re-exports both, the names the
API and the tests use.
"""

from __future__ import annotations

from .model import (
    ALL_NAMESPACES,
    DEFAULT_NAMESPACE,
    MAX_SIZE,
    PREFIX,
    decrypted,
    encode,
    items_size,
    legacy_create_time,
    metadata,
    namespace_error,
    page_token,
    path_error,
    state_path,
    validate,
    zero_value,
)
from .service import NOT_FOUND, Listing, VariableService, namespace_of, paginate

__all__ = [
    "ALL_NAMESPACES",
    "DEFAULT_NAMESPACE",
    "MAX_SIZE",
    "NOT_FOUND",
    "PREFIX",
    "Listing",
    "VariableService",
    "decrypted",
    "encode",
    "items_size",
    "legacy_create_time",
    "metadata",
    "namespace_error",
    "namespace_of",
    "page_token",
    "paginate",
    "path_error",
    "state_path",
    "validate",
    "zero_value",
]
