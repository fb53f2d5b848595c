"""HTTP API families. Each module in FAMILIES exposes ``register(app, agent)``."""

from __future__ import annotations

from importlib import import_module
from typing import Any

# A new family adds its module name here; order does not matter (paths do not overlap).
FAMILIES: list[str] = [
    "nomad",
    "acl_endpoints",
    "operator_config",
    "license",
    "variables",
    "operator_raft",
    "autopilot",
    "snapshot",
    "raftops_ext",
    "sm",
    "snapshot_repos",
    "notifications",
    "openapi",
]


def register_all(app: Any, agent: Any) -> None:
    for name in FAMILIES:
        import_module(f"{__name__}.{name}").register(app, agent)
