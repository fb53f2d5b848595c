"""HTTP API families. Each module in FAMILIES exposes ``register(app, ctx)``: a route table that binds
its module-level handlers (``handler(request, ctx, **route_args)``, raftops.api.context) to the agent."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..agent import Agent
    from .http import App

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


def register_all(app: App, agent: Agent) -> None:
    """Every family's route table, its handlers bound to the agent (each family types the part it uses)."""
    for name in FAMILIES:
        import_module(f"{__name__}.{name}").register(app, agent)
