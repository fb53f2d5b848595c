"""``raftops operator autopilot health``, like ``nomad operator autopilot health``.

Other autopilot subcommands (get-config, set-config) add themselves to the same group through
:func:`autopilot_parser`, which creates the group once and returns its subparsers every time.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from ..apiclient import APIError
from . import add_client_flags
from .operator_raft import client, columnize


def autopilot_parser(operator_sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The subparsers of ``raftops operator autopilot``: created on the first call, found on later ones."""
    parser = operator_sub.choices.get("autopilot")
    if parser is None:
        parser = operator_sub.add_parser("autopilot", help="autopilot health and configuration")
        return parser.add_subparsers(dest="autopilot_command", required=True)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest="autopilot_command", required=True)


def _go_time(text: str) -> str:
    """Go's time.Time %s form of an RFC 3339 UTC timestamp: 2017-03-06 22:07:51 +0000 UTC."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").strftime("%Y-%m-%d %H:%M:%S +0000 UTC")
    except (TypeError, ValueError):
        return str(text)


def format_health(state: dict) -> str:
    lines = [
        f"Healthy: {str(state['Healthy']).lower()}",
        f"FailureTolerance: {state['FailureTolerance']}",
        f"Leader: {state['Leader']}",
        "Voters:",
        *(f"\t{v}" for v in state.get("Voters") or []),
        "Servers:",
    ]
    rows = [
        [
            "ID",
            "Name",
            "Address",
            "SerfStatus",
            "Version",
            "Leader",
            "Voter",
            "Healthy",
            "LastContact",
            "LastTerm",
            "LastIndex",
            "StableSince",
        ]
    ]
    for s in state.get("Servers") or []:
        rows.append(
            [
                s["ID"],
                s["Name"],
                s["Address"],
                s["SerfStatus"],
                s["Version"],
                str(s["Leader"]).lower(),
                str(s["Voter"]).lower(),
                str(s["Healthy"]).lower(),
                s["LastContact"],
                str(s["LastTerm"]),
                str(s["LastIndex"]),
                _go_time(s["StableSince"]),
            ]
        )
    return "\n".join(lines) + "\n" + columnize(rows)


def health(args: argparse.Namespace) -> int:
    try:
        state = client(args).request("GET", "/v1/operator/autopilot/health", expect=(200, 429)).json()
    except APIError as exc:
        print(f"Error querying Autopilot configuration: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(state) if args.json else format_health(state))
    return 0


def register(sub: argparse._SubParsersAction, operator_sub: argparse._SubParsersAction) -> None:
    p = autopilot_parser(operator_sub).add_parser("health", help="display the current autopilot health")
    add_client_flags(p)
    p.add_argument("-json", "--json", action="store_true", help="output the autopilot health in JSON format")
    p.set_defaults(func=health)
