"""``raftops operator autopilot get-config | set-config``, like ``nomad operator autopilot``.

The commands join the ``autopilot`` group through :func:`operator_autopilot.autopilot_parser`.
set-config merges the flags into the configuration it read and writes it with CAS on its
ModifyIndex, as Nomad's CLI does.
"""

from __future__ import annotations

import argparse
import sys

from .. import godur
from ..apiclient import APIClient, APIError
from . import add_client_flags
from .operator_autopilot import autopilot_parser
from .output import add_bool, print_json

PATH = "/v1/operator/autopilot/configuration"
FIELDS = (
    "CleanupDeadServers",
    "LastContactThreshold",
    "MaxTrailingLogs",
    "MinQuorum",
    "ServerStabilizationTime",
    "EnableRedundancyZones",
    "DisableUpgradeMigration",
    "EnableCustomUpgrades",
)


def format_config(conf: dict) -> str:
    """Nomad's get-config lines: ``Name = value``."""
    return "\n".join(
        f"{name} = {str(conf[name]).lower() if isinstance(conf[name], bool) else conf[name]}" for name in FIELDS
    )


def get_config(args: argparse.Namespace) -> int:
    try:
        conf = APIClient(args.address, args.token).get(PATH)
    except APIError as exc:
        print(f"Error querying Autopilot configuration: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print_json(conf)
    else:
        print(format_config(conf))
    return 0


def set_config(args: argparse.Namespace) -> int:
    client = APIClient(args.address, args.token)
    try:
        conf = client.get(PATH)
    except APIError as exc:
        print(f"Error querying for Autopilot configuration: {exc}", file=sys.stderr)
        return 1
    for flag, field in (
        ("cleanup_dead_servers", "CleanupDeadServers"),
        ("enable_redundancy_zones", "EnableRedundancyZones"),
        ("disable_upgrade_migration", "DisableUpgradeMigration"),
        ("enable_custom_upgrades", "EnableCustomUpgrades"),
        ("max_trailing_logs", "MaxTrailingLogs"),
        ("min_quorum", "MinQuorum"),
        ("last_contact_threshold", "LastContactThreshold"),
        ("server_stabilization_time", "ServerStabilizationTime"),
    ):
        value = getattr(args, flag)
        if value is not None:
            conf[field] = value
    body = {name: conf[name] for name in FIELDS}
    try:
        updated = client.put(PATH, body, query={"cas": conf["ModifyIndex"]})
    except APIError as exc:
        print(f"Error setting Autopilot configuration: {exc}", file=sys.stderr)
        return 1
    if updated is True:
        print("Configuration updated!")
        return 0
    print("Configuration could not be atomically updated, please try again")
    return 1


def _duration(text: str) -> str:
    try:
        return godur.format_ns(godur.parse_ns(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _uint(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a non-negative integer")
    return int(text)


def register(sub: argparse._SubParsersAction, operator_sub: argparse._SubParsersAction) -> None:
    group = autopilot_parser(operator_sub)
    get = group.add_parser("get-config", help="display the current autopilot configuration")
    add_client_flags(get)
    get.add_argument("-json", "--json", action="store_true", help="output the configuration as JSON")
    get.set_defaults(func=get_config)

    put = group.add_parser("set-config", help="modify the autopilot configuration (check-and-set)")
    add_client_flags(put)
    add_bool(put, "cleanup-dead-servers", "remove dead servers automatically")
    add_bool(put, "enable-redundancy-zones", "(Enterprise) redundancy zones")
    add_bool(put, "disable-upgrade-migration", "(Enterprise) disable upgrade migration")
    add_bool(put, "enable-custom-upgrades", "(Enterprise) custom upgrade versions")
    for name, kind, text in (
        ("max-trailing-logs", _uint, "log entries a server may trail the leader by and stay healthy"),
        ("min-quorum", _uint, "servers below which dead servers are not cleaned up"),
        ("last-contact-threshold", _duration, "time without leader contact before a server is unhealthy"),
        ("server-stabilization-time", _duration, "time a new server must be healthy before it votes"),
    ):
        put.add_argument(f"-{name}", f"--{name}", dest=name.replace("-", "_"), type=kind, help=text)
    put.set_defaults(func=set_config)
