"""etcd txn building blocks (compares and request ops in the JSON gateway's form).

Only ``store/`` builds a txn: import-linter's contract "store-private" refuses an import of this module
from anywhere else.
"""

from __future__ import annotations

from typing import Any

from .gateway import b64, prefix_end


def cmp_mod(key: bytes, mod_revision: int, result: str = "EQUAL") -> dict[str, Any]:
    return {"key": b64(key), "target": "MOD", "result": result, "mod_revision": str(mod_revision)}


def cmp_create(key: bytes, create_revision: int, result: str = "EQUAL") -> dict[str, Any]:
    return {"key": b64(key), "target": "CREATE", "result": result, "create_revision": str(create_revision)}


def cmp_value(key: bytes, value: bytes, result: str = "EQUAL") -> dict[str, Any]:
    return {"key": b64(key), "target": "VALUE", "result": result, "value": b64(value)}


def op_put(key: bytes, value: bytes, lease: int = 0) -> dict[str, Any]:
    req: dict[str, Any] = {"key": b64(key), "value": b64(value)}
    if lease:
        req["lease"] = str(lease)
    return {"request_put": req}


def op_get(key: bytes, *, prefix: bool = False, limit: int = 0, keys_only: bool = False) -> dict[str, Any]:
    req: dict[str, Any] = {"key": b64(key)}
    if prefix:
        req["range_end"] = b64(prefix_end(key))
    if limit:
        req["limit"] = str(limit)
    if keys_only:
        req["keys_only"] = True
    return {"request_range": req}


def op_delete(key: bytes, *, prefix: bool = False) -> dict[str, Any]:
    req: dict[str, Any] = {"key": b64(key)}
    if prefix:
        req["range_end"] = b64(prefix_end(key))
    return {"request_delete_range": req}
