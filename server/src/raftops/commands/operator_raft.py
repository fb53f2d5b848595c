"""``raftops operator raft list-peers | remove-peer | transfer-leadership | join``, like ``nomad operator raft``."""

from __future__ import annotations

import argparse
import json
import sys

from ..apiclient import APIClient, APIError
from . import add_client_flags


def columnize(rows: list[list[str]]) -> str:
    """ryanuber/columnize SimpleFormat: left-aligned columns joined by two spaces."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def client(args: argparse.Namespace) -> APIClient:
    return APIClient(args.address, args.token)


def _peer_query(args: argparse.Namespace, command: str) -> dict[str, str] | None:
    if bool(args.peer_id) == bool(args.peer_address):
        print(f"Error: {command} needs exactly one of -peer-id or -peer-address", file=sys.stderr)
        return None
    return {"id": args.peer_id} if args.peer_id else {"address": args.peer_address}


def list_peers(args: argparse.Namespace) -> int:
    try:
        reply = client(args).get("/v1/operator/raft/configuration", query={"stale": "true" if args.stale else None})
    except APIError as exc:
        print(f"Failed to retrieve raft configuration: {exc}", file=sys.stderr)
        return 1
    rows = [["Node", "ID", "Address", "State", "Voter", "RaftProtocol"]]
    for s in sorted(reply["Servers"], key=lambda s: s["Node"]):
        state = "leader" if s["Leader"] else "follower"
        rows.append([s["Node"], s["ID"], s["Address"], state, str(s["Voter"]).lower(), s["RaftProtocol"]])
    print(columnize(rows))
    return 0


def remove_peer(args: argparse.Namespace) -> int:
    query = _peer_query(args, "remove-peer")
    if query is None:
        return 1
    try:
        client(args).request("DELETE", "/v1/operator/raft/peer", query=query)
    except APIError as exc:
        print(f"Error removing peer: {exc}", file=sys.stderr)
        return 1
    kind, value = next(iter(query.items()))
    print(f"Removed peer with {kind} {json.dumps(value)}")
    return 0


def transfer_leadership(args: argparse.Namespace) -> int:
    query = _peer_query(args, "transfer-leadership")
    if query is None:
        return 1
    try:
        reply = client(args).put("/v1/operator/raft/transfer-leadership", query=query)
    except APIError as exc:
        print(f"Error transferring leadership to peer: {exc}", file=sys.stderr)
        return 1
    kind, value = next(iter(query.items()))
    if reply.get("Noop"):
        print(f"Peer with {kind} {json.dumps(value)} already leads; nothing to do")
    else:
        print(f"Transferred leadership to peer with {kind} {json.dumps(value)}")
    return 0


def join(args: argparse.Namespace) -> int:
    body = {"Name": args.name, "PeerURLs": [args.peer_url]}
    try:
        reply = client(args).put("/v1/operator/raft/join", body=body)
    except APIError as exc:
        print(f"Error adding the member: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(reply, indent=2))
        return 0
    member = reply["Member"]
    verb = "Added" if reply["Created"] else "Found"
    what = f"{verb} learner {member['Name']} (ID {member['ID']}, etcd member {member['EtcdMemberID']})."
    print(what, file=sys.stderr)
    print("Start its etcd with --initial-cluster-state existing and:", file=sys.stderr)
    print(f"--initial-cluster {reply['InitialCluster']}")
    return 0


def _peer_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-peer-id", "--peer-id", dest="peer_id", default="", help="the peer's raft ID")
    parser.add_argument("-peer-address", "--peer-address", dest="peer_address", default="", help="the peer's IP:port")


def register(sub: argparse._SubParsersAction, operator_sub: argparse._SubParsersAction) -> None:
    raft = operator_sub.add_parser("raft", help="inspect and change the raft peers (etcd members)")
    raft_sub = raft.add_subparsers(dest="raft_command", required=True)

    p = raft_sub.add_parser("list-peers", help="show the raft peers")
    add_client_flags(p)
    p.add_argument("-stale", "--stale", action="store_true", help="let any server answer, even without a leader")
    p.set_defaults(func=list_peers)

    p = raft_sub.add_parser("remove-peer", help="remove a peer (the leader hands over leadership first)")
    add_client_flags(p)
    _peer_flags(p)
    p.set_defaults(func=remove_peer)

    p = raft_sub.add_parser("transfer-leadership", help="make another peer the leader")
    add_client_flags(p)
    _peer_flags(p)
    p.set_defaults(func=transfer_leadership)

    p = raft_sub.add_parser("join", help="add a new server's etcd member as a learner, before its etcd starts")
    add_client_flags(p)
    p.add_argument("-name", "--name", required=True, help="the new member's name (its etcd --name)")
    p.add_argument("-peer-url", "--peer-url", dest="peer_url", required=True, help="its etcd peer URL")
    p.add_argument("-json", "--json", action="store_true", help="print the whole answer as JSON")
    p.set_defaults(func=join)
