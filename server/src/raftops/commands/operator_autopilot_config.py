"""``raftops operator autopilot get-config | set-config``, like ``nomad operator autopilot``.

The commands join the ``autopilot`` group through :func:`operator_autopilot.autopilot_parser`.
set-config merges the flags into the configuration it read and writes it with CAS on its
ModifyIndex, as Nomad's CLI does.
"""

from __future__ import annotations

import argparse
import sys

from ..apiclient import APIClient, APIError
from ..cluster.configs import AUTOPILOT
from . import add_client_flags
from .configflags import add_config_flags, apply_config_flags
from .operator_autopilot import autopilot_parser
from .output import print_json

PATH = "/v1/operator/autopilot/configuration"
FIELDS = AUTOPILOT.names


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
    apply_config_flags(conf, args, AUTOPILOT)
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


def register(sub: argparse._SubParsersAction, operator_sub: argparse._SubParsersAction) -> None:
    group = autopilot_parser(operator_sub)
    get = group.add_parser("get-config", help="display the current autopilot configuration")
    add_client_flags(get)
    get.add_argument("-json", "--json", action="store_true", help="output the configuration as JSON")
    get.set_defaults(func=get_config)

    put = group.add_parser("set-config", help="modify the autopilot configuration (check-and-set)")
    add_client_flags(put)
    add_config_flags(put, AUTOPILOT)
    put.set_defaults(func=set_config)
