"""CLI command groups. Each module exposes ``register(subparsers)`` and sets ``func`` on its parsers.

``raftops operator ...`` mirrors ``nomad operator ...``; every group reads RAFTOPS_ADDR / RAFTOPS_TOKEN
(and NOMAD_ADDR / NOMAD_TOKEN) through :mod:`raftops.apiclient`.
"""

from __future__ import annotations

import argparse
from importlib import import_module

# Modules under raftops.commands that add subcommands; a family adds its module name here.
GROUPS: list[str] = [
    "operator_raft",
    "operator_autopilot",
    "operator_scheduler",
    "operator_autopilot_config",
    "var",
    "license",
    "acl",
    "operator_snapshot",
    "backup_sidecar",
    "tls",
]


def add_client_flags(parser: argparse.ArgumentParser) -> None:
    """The connection flags every API command accepts (Nomad's -address and -token)."""
    parser.add_argument("-address", "--address", dest="address", help="API address (env RAFTOPS_ADDR)")
    parser.add_argument("-token", "--token", dest="token", help="ACL token (env RAFTOPS_TOKEN)")


def register_all(sub: argparse._SubParsersAction, operator_sub: argparse._SubParsersAction) -> None:
    for name in GROUPS:
        import_module(f"{__name__}.{name}").register(sub, operator_sub)
