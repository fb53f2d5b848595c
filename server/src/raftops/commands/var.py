"""``raftops var get | put | list | purge``, like ``nomad var``.

put takes ``key=value`` items (``key=-`` reads the value from stdin, ``@file.json`` reads a JSON
object of items or a whole variable), and ``-check-index`` for a check-and-set write.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..apiclient import APIClient, APIError
from . import add_client_flags
from .operator_raft import columnize
from .output import format_kv, print_json


def _client(args: argparse.Namespace) -> APIClient:
    return APIClient(args.address, args.token)


def _var_path(path: str) -> str:
    return "/v1/var/" + path.strip("/")


def _items(specs: list[str]) -> dict[str, str]:
    items: dict[str, str] = {}
    for spec in specs:
        if spec.startswith("@"):
            data = json.loads(Path(spec[1:]).read_text())
            data = data.get("Items", data) if isinstance(data, dict) else data
            if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
                raise ValueError(f"{spec[1:]} must hold a JSON object of string items")
            items.update(data)
            continue
        key, sep, value = spec.partition("=")
        if not sep or not key:
            raise ValueError(f"item {spec!r} must be key=value")
        items[key] = sys.stdin.read() if value == "-" else value
    return items


def format_variable(v: dict[str, Any]) -> str:
    head = format_kv(
        [
            ("Namespace", v["Namespace"]),
            ("Path", v["Path"]),
            ("Create Index", v["CreateIndex"]),
            ("Modify Index", v["ModifyIndex"]),
        ]
    )
    items = v.get("Items") or {}
    if not items:
        return head
    return head + "\n\nItems\n" + format_kv(sorted(items.items()))


def get(args: argparse.Namespace) -> int:
    try:
        v = _client(args).get(_var_path(args.path), query={"namespace": args.namespace})
    except APIError as exc:
        print(f"Error retrieving variable: {exc}", file=sys.stderr)
        return 1
    if args.item:
        if args.item not in (v.get("Items") or {}):
            print(f"Variable does not contain {args.item!r} item", file=sys.stderr)
            return 1
        print(v["Items"][args.item])
    elif args.json:
        print_json(v)
    else:
        print(format_variable(v))
    return 0


def put(args: argparse.Namespace) -> int:
    try:
        items = _items(args.items)
    except (OSError, ValueError) as exc:
        print(f"Error parsing items: {exc}", file=sys.stderr)
        return 1
    query = {"namespace": args.namespace, "cas": args.check_index}
    try:
        resp = _client(args).request("PUT", _var_path(args.path), query=query, body={"Items": items}, expect=(200, 409))
    except APIError as exc:
        print(f"Error creating variable: {exc}", file=sys.stderr)
        return 1
    v = resp.json()
    if resp.status == 409:
        print(
            f"Error creating variable: check-index {args.check_index} does not match the current modify index "
            f"{v['ModifyIndex']}",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print_json(v)
    else:
        print(f"Created variable {json.dumps(v['Path'])} with modify index {v['ModifyIndex']}")
    return 0


def list_vars(args: argparse.Namespace) -> int:
    try:
        out = _client(args).get("/v1/vars", query={"prefix": args.prefix, "namespace": args.namespace})
    except APIError as exc:
        print(f"Error retrieving vars: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print_json(out)
        return 0
    if not out:
        print("No matching variables found")
        return 0
    rows = [["Namespace", "Path", "Last Updated"]]
    rows += [[m["Namespace"], m["Path"], str(m["ModifyIndex"])] for m in out]
    print(columnize(rows))
    return 0


def purge(args: argparse.Namespace) -> int:
    query = {"namespace": args.namespace, "cas": args.check_index}
    try:
        resp = _client(args).request("DELETE", _var_path(args.path), query=query, expect=(204, 409))
    except APIError as exc:
        print(f"Error purging variable: {exc}", file=sys.stderr)
        return 1
    if resp.status == 409:
        current = resp.json()
        print(
            f"Error purging variable: check-index {args.check_index} does not match the current modify index "
            f"{current['ModifyIndex']}",
            file=sys.stderr,
        )
        return 1
    print(f"Successfully purged variable {json.dumps(args.path)}!")
    return 0


def register(sub: argparse._SubParsersAction, operator_sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("var", help="read and write Nomad variables")
    var_sub = group.add_subparsers(dest="var_command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        add_client_flags(p)
        p.add_argument("-namespace", "--namespace", dest="namespace", help="namespace (default: default)")

    p = var_sub.add_parser("get", help="read a variable")
    common(p)
    p.add_argument("-item", "--item", dest="item", help="print only this item's value")
    p.add_argument("-json", "--json", action="store_true", help="output the variable as JSON")
    p.add_argument("path")
    p.set_defaults(func=get)

    p = var_sub.add_parser("put", help="create or replace a variable")
    common(p)
    p.add_argument("-check-index", "--check-index", dest="check_index", type=int, help="CAS: expected modify index")
    p.add_argument("-json", "--json", action="store_true", help="output the written variable as JSON")
    p.add_argument("path")
    p.add_argument("items", nargs="+", metavar="key=value", help="items; @file.json reads them from a file")
    p.set_defaults(func=put)

    p = var_sub.add_parser("list", help="list variables")
    common(p)
    p.add_argument("-json", "--json", action="store_true", help="output the list as JSON")
    p.add_argument("prefix", nargs="?", default="")
    p.set_defaults(func=list_vars)

    p = var_sub.add_parser("purge", help="delete a variable")
    common(p)
    p.add_argument("-check-index", "--check-index", dest="check_index", type=int, help="CAS: expected modify index")
    p.add_argument("path")
    p.set_defaults(func=purge)
