"""``raftops acl bootstrap | policy ... | token ...``, a subset of ``nomad acl``.

policy: apply, list, info, delete. token: create, update, list, info, self, delete.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..apiclient import APIClient, APIError
from . import add_client_flags
from .operator_raft import columnize
from .output import format_kv, print_json


def _client(args: argparse.Namespace) -> APIClient:
    return APIClient(args.address, args.token)


def format_token(t: dict[str, Any]) -> str:
    return format_kv(
        [
            ("Accessor ID", t["AccessorID"]),
            ("Secret ID", t.get("SecretID") or "<hidden>"),
            ("Name", t["Name"]),
            ("Type", t["Type"]),
            ("Global", t["Global"]),
            ("Create Time", t.get("CreateTime")),
            ("Expiry Time", t.get("ExpirationTime")),
            ("Create Index", t["CreateIndex"]),
            ("Modify Index", t["ModifyIndex"]),
            ("Policies", "[" + " ".join(t.get("Policies") or []) + "]"),
        ]
    )


def _show_token(args: argparse.Namespace, token: dict[str, Any]) -> int:
    if args.json:
        print_json(token)
    else:
        print(format_token(token))
    return 0


def _run(args: argparse.Namespace, what: str, call: Any) -> Any:
    try:
        return call()
    except APIError as exc:
        print(f"Error {what}: {exc}", file=sys.stderr)
        return None


def bootstrap(args: argparse.Namespace) -> int:
    body = {"BootstrapSecret": args.secret} if args.secret else None
    token = _run(args, "bootstrapping", lambda: _client(args).request("POST", "/v1/acl/bootstrap", body=body).json())
    return 1 if token is None else _show_token(args, token)


def policy_apply(args: argparse.Namespace) -> int:
    try:
        rules = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
    except OSError as exc:
        print(f"Error reading policy file: {exc}", file=sys.stderr)
        return 1
    body = {"Name": args.name, "Description": args.description or "", "Rules": rules}
    if (
        _run(
            args, "writing ACL policy", lambda: _client(args).request("POST", f"/v1/acl/policy/{args.name}", body=body)
        )
        is None
    ):
        return 1
    print(f"Successfully wrote {args.name!r} ACL policy!")
    return 0


def policy_list(args: argparse.Namespace) -> int:
    out = _run(args, "listing ACL policies", lambda: _client(args).get("/v1/acl/policies"))
    if out is None:
        return 1
    if args.json:
        print_json(out)
    elif not out:
        print("No policies found")
    else:
        print(columnize([["Name", "Description"]] + [[p["Name"], p.get("Description", "")] for p in out]))
    return 0


def policy_info(args: argparse.Namespace) -> int:
    p = _run(args, "reading ACL policy", lambda: _client(args).get(f"/v1/acl/policy/{args.name}"))
    if p is None:
        return 1
    if args.json:
        print_json(p)
    else:
        print(
            format_kv(
                [
                    ("Name", p["Name"]),
                    ("Description", p.get("Description", "")),
                    ("CreateIndex", p["CreateIndex"]),
                    ("ModifyIndex", p["ModifyIndex"]),
                ]
            )
        )
        print("\nRules\n\n" + p.get("Rules", ""))
    return 0


def policy_delete(args: argparse.Namespace) -> int:
    if (
        _run(args, "deleting ACL policy", lambda: _client(args).request("DELETE", f"/v1/acl/policy/{args.name}"))
        is None
    ):
        return 1
    print(f"Successfully deleted {args.name!r} ACL policy!")
    return 0


def _token_body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Name": args.name or "",
        "Type": args.type,
        "Policies": args.policy,
        "Global": args.is_global,
    }
    if getattr(args, "ttl", None):
        body["ExpirationTTL"] = args.ttl
    return body


def token_create(args: argparse.Namespace) -> int:
    token = _run(
        args, "creating token", lambda: _client(args).request("POST", "/v1/acl/token", body=_token_body(args)).json()
    )
    return 1 if token is None else _show_token(args, token)


def token_update(args: argparse.Namespace) -> int:
    client = _client(args)
    current = _run(args, "reading token", lambda: client.get(f"/v1/acl/token/{args.accessor}"))
    if current is None:
        return 1
    body = {k: current[k] for k in ("AccessorID", "Name", "Type", "Policies", "Global", "ExpirationTTL")}
    if args.name is not None:
        body["Name"] = args.name
    if args.type is not None:
        body["Type"] = args.type
    if args.policy:
        body["Policies"] = args.policy
    token = _run(
        args, "updating token", lambda: client.request("POST", f"/v1/acl/token/{args.accessor}", body=body).json()
    )
    return 1 if token is None else _show_token(args, token)


def token_list(args: argparse.Namespace) -> int:
    out = _run(args, "listing tokens", lambda: _client(args).get("/v1/acl/tokens"))
    if out is None:
        return 1
    if args.json:
        print_json(out)
        return 0
    rows = [["Name", "Type", "Global", "Accessor ID", "Expired"]]
    rows += [[t["Name"], t["Type"], str(t["Global"]).lower(), t["AccessorID"], "false"] for t in out]
    print(columnize(rows))
    return 0


def token_info(args: argparse.Namespace) -> int:
    token = _run(args, "reading token", lambda: _client(args).get(f"/v1/acl/token/{args.accessor}"))
    return 1 if token is None else _show_token(args, token)


def token_self(args: argparse.Namespace) -> int:
    token = _run(args, "reading token", lambda: _client(args).get("/v1/acl/token/self"))
    return 1 if token is None else _show_token(args, token)


def token_delete(args: argparse.Namespace) -> int:
    if _run(args, "deleting token", lambda: _client(args).request("DELETE", f"/v1/acl/token/{args.accessor}")) is None:
        return 1
    print(f"Token {args.accessor} successfully deleted")
    return 0


def register(sub: argparse._SubParsersAction, operator_sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("acl", help="ACL bootstrap, policies and tokens")
    acl_sub = group.add_subparsers(dest="acl_command", required=True)

    def cmd(parent: argparse._SubParsersAction, name: str, text: str, func: Any, json_flag: bool = True) -> Any:
        p = parent.add_parser(name, help=text)
        add_client_flags(p)
        if json_flag:
            p.add_argument("-json", "--json", action="store_true", help="output JSON")
        p.set_defaults(func=func)
        return p

    p = cmd(acl_sub, "bootstrap", "create the initial management token", bootstrap)
    p.add_argument("-secret", "--secret", help="use this UUID as the bootstrap token's secret")

    policy = acl_sub.add_parser("policy", help="ACL policies").add_subparsers(dest="policy_command", required=True)
    p = cmd(
        policy, "apply", "create or update a policy from a rules file (HCL or JSON; - for stdin)", policy_apply, False
    )
    p.add_argument("-description", "--description", help="policy description")
    p.add_argument("name")
    p.add_argument("file")
    cmd(policy, "list", "list policies", policy_list)
    cmd(policy, "info", "show a policy", policy_info).add_argument("name")
    cmd(policy, "delete", "delete a policy", policy_delete, False).add_argument("name")

    token = acl_sub.add_parser("token", help="ACL tokens").add_subparsers(dest="token_command", required=True)
    for name, text, func in (("create", "create a token", token_create), ("update", "update a token", token_update)):
        p = cmd(token, name, text, func)
        p.add_argument("-name", "--name", help="token name")
        p.add_argument(
            "-type", "--type", choices=["client", "management"], default="client" if name == "create" else None
        )
        p.add_argument("-policy", "--policy", action="append", default=[], help="a policy (repeatable)")
        p.add_argument("-global", "--global", dest="is_global", action="store_true", help="a global token")
        if name == "create":
            p.add_argument("-ttl", "--ttl", help="expiration TTL (Go duration, e.g. 8h)")
        else:
            p.add_argument("accessor")
    cmd(token, "list", "list tokens", token_list)
    cmd(token, "info", "show a token", token_info).add_argument("accessor")
    cmd(token, "self", "show the token in use", token_self)
    cmd(token, "delete", "delete a token", token_delete, False).add_argument("accessor")
