"""Nomad's /v1/operator/raft/* on etcd: configuration, peer removal, leadership transfer, and ``join``.

Behaviour, texts and status codes follow command/agent/operator_endpoint.go and
nomad/operator_endpoint.go. ``join`` is a
raftops extension: it adds a new etcd member as a learner and answers the ``--initial-cluster``
to start that member's etcd with.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from .. import acl, govalidate
from ..cluster import leadership, membership
from ..cluster.view import Server, fmt_member_id
from ..store.members import Member
from . import gobody
from .context import WithCluster, bind
from .http import App
from .nomad import NomadError, nomad_handler

INVALID_METHOD = "Invalid method"
RAFT_PROTOCOL = "3"
NEITHER_ID_NOR_ADDRESS = "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove"


def parse_stale(request: Request) -> bool:
    """Nomad's parseConsistency: ``?stale`` or ``?stale=`` means stale, otherwise strconv.ParseBool."""
    if "stale" not in request.args:
        return False
    value = request.args.get("stale", "")
    if value == "":
        return True
    try:
        return govalidate.parse_bool(value)
    except ValueError:
        raise NomadError(400, "Expect `true` or `false` for `stale` query string parameter") from None


def peers(ctx: WithCluster, *, stale: bool = False) -> tuple[int, int, list[Server]]:
    """(leader member ID, raft index, every peer): raftops.cluster.view.servers, "No cluster leader" a 500."""
    try:
        return ctx.cluster.servers(stale=stale)
    except leadership.NoLeader as exc:
        raise NomadError(500, "No cluster leader") from exc


def raft_server_json(s: Server, leader: int) -> dict[str, Any]:
    # Field order of nomad/structs RaftServer.
    return {
        "ID": s.id,
        "Node": s.node,
        "Address": s.address,
        "Leader": s.member.id == leader,
        "Voter": s.voter,
        "RaftProtocol": RAFT_PROTOCOL,
    }


def id_address(s: Server) -> dict[str, str]:
    return {"Address": s.address, "ID": s.id}


def _empty(status: int) -> Response:
    """A response with no body and no Content-Type, as Go writes for ``return nil, nil``."""
    resp = Response(b"", status=status)
    del resp.headers["Content-Type"]
    return resp


@nomad_handler
def configuration(request: Request, ctx: WithCluster) -> Any:
    if request.method != "GET":
        return _empty(405)  # upstream writes the status with an empty body
    acl.authorize(ctx, request, acl.MANAGEMENT)
    stale = parse_stale(request)
    leader, index, servers = peers(ctx, stale=stale)
    # Field order of RaftConfigurationResponse; no X-Nomad-* headers (upstream sets none).
    return {"Servers": [raft_server_json(s, leader) for s in servers], "Index": index}


@nomad_handler
def peer(request: Request, ctx: WithCluster) -> Any:
    if request.method != "DELETE":
        raise NomadError(404, INVALID_METHOD)
    acl.authorize(ctx, request, acl.MANAGEMENT)
    has_id, has_address = "id" in request.args, "address" in request.args
    # The <=1.10 texts: this server still removes by address (the older API form), so it keeps them.
    if not has_id and not has_address:
        raise NomadError(400, NEITHER_ID_NOR_ADDRESS)
    if has_id and has_address:
        raise NomadError(400, "Must specify only one of ?id or ?address")
    _, _, servers = peers(ctx)
    if has_id:
        wanted = request.args.get("id", "")
        target = next((s for s in servers if s.id == wanted), None)
        missing = f"id {govalidate.quote(wanted)} was not found in the Raft configuration"
    else:
        wanted = request.args.get("address", "")
        target = next((s for s in servers if wanted and wanted in _addresses(s.member)), None)
        missing = f"address {govalidate.quote(wanted)} was not found in the Raft configuration"
    if target is None:
        raise NomadError(500, missing)  # upstream: a plain RPC error, so HTTP 500
    try:
        ctx.cluster.remove_member(target.member)
    except membership.MembershipError as exc:
        raise NomadError(exc.status, exc.message) from exc
    return _empty(200)


@nomad_handler
def transfer_leadership(request: Request, ctx: WithCluster) -> Any:
    if request.method not in ("PUT", "POST"):
        raise NomadError(405, INVALID_METHOD)
    acl.authorize(ctx, request, acl.MANAGEMENT)
    ids, addrs = request.args.getlist("id"), request.args.getlist("address")
    has_id, has_address = "id" in request.args, "address" in request.args
    if not has_id and not has_address:
        raise NomadError(400, "must specify id or address")
    if has_id and has_address:
        raise NomadError(400, "must specify either id or address")
    if has_id and ids[0] == "":
        raise NomadError(400, "id must be non-empty")
    if has_id and len(ids) > 1:
        raise NomadError(400, "must specify only one id")
    if has_address and addrs[0] == "":
        raise NomadError(400, "address must be non-empty")
    if has_address and len(addrs) > 1:
        raise NomadError(400, "must specify only one address")
    if has_id:
        try:
            govalidate.parse_uuid(ids[0])
        except ValueError as exc:
            raise NomadError(400, f"id must be a uuid: {exc}") from None
    else:
        try:
            govalidate.parse_addr_port(addrs[0])
        except ValueError as exc:
            raise NomadError(400, f"address must be in IP:port format: {exc}") from None
    try:
        leader_id, _, servers = peers(ctx)
    except NomadError as exc:
        raise NomadError(503, exc.message) from exc  # transfer-leadership answers 503 without a leader
    leader = next((s for s in servers if s.member.id == leader_id), None)
    if leader is None:
        raise NomadError(503, "No cluster leader")
    if has_id:
        kind, wanted = "id", ids[0]
        target = next((s for s in servers if s.id == wanted), None)
    else:
        kind, wanted = "address", addrs[0]
        target = next((s for s in servers if wanted in _addresses(s.member)), None)
    if target is None:
        raise NomadError(400, f"{kind} {govalidate.quote(wanted)} was not found in the Raft configuration")
    noop = target.member.id == leader.member.id
    if not noop:
        try:
            result = ctx.cluster.transfer_leadership(target.member)
        except leadership.NoLeader as exc:
            raise NomadError(503, "No cluster leader") from exc
        except leadership.TransferError as exc:
            raise NomadError(500, str(exc)) from exc
        noop = result.noop
        if result.from_member.id != leader.member.id:
            leader = next((s for s in servers if s.member.id == result.from_member.id), leader)
    # LeadershipTransferResponse: Err is a nil error on success, which encodes as null.
    return {"From": id_address(leader), "To": id_address(target), "Noop": noop, "Err": None}


@nomad_handler
def join(request: Request, ctx: WithCluster) -> Any:
    if request.method not in ("PUT", "POST"):
        raise NomadError(405, INVALID_METHOD)
    acl.authorize(ctx, request, acl.MANAGEMENT)
    name, peer_url = _join_request(request)
    try:
        result = ctx.cluster.add_learner(name, peer_url)
    except membership.MembershipError as exc:
        raise NomadError(exc.status, exc.message) from exc
    m = result.member
    return {
        "Member": {
            "ID": Server(m, "", name, "", "").id,
            "EtcdMemberID": fmt_member_id(m.id),
            "Name": name,
            "PeerURLs": list(m.peer_urls),
            "Voter": not m.is_learner,
        },
        "Created": result.created,
        "InitialCluster": result.initial_cluster,
        "InitialClusterState": "existing",
    }


def dispatch(request: Request, ctx: WithCluster, rest: str = "") -> Response:
    # Nomad's OperatorRequest matches on the path prefix after /v1/operator/raft/.
    for prefix, handler in (
        ("configuration", configuration),
        ("peer", peer),
        ("transfer-leadership", transfer_leadership),
        ("join", join),
    ):
        if rest.startswith(prefix):
            return handler(request)
    return nomad_handler(_invalid)(request)


def register(app: App, ctx: WithCluster) -> None:
    app.route("/v1/operator/raft/configuration", bind(configuration, ctx))
    app.route("/v1/operator/raft/peer", bind(peer, ctx))
    app.route("/v1/operator/raft/transfer-leadership", bind(transfer_leadership, ctx))
    app.route("/v1/operator/raft/join", bind(join, ctx))
    app.route("/v1/operator/raft/", bind(dispatch, ctx), name="nomad:/v1/operator/raft/:*")
    app.route("/v1/operator/raft/<path:rest>", bind(dispatch, ctx), name="nomad:/v1/operator/raft/<rest>:*")


def _invalid(request: Request) -> Any:
    raise NomadError(404, INVALID_METHOD)


def _addresses(m: Member) -> set[str]:
    """host:port of every peer URL: an ``?address=`` matches any of them."""
    return {urlsplit(u).netloc for u in m.peer_urls}


def _join_request(request: Request) -> tuple[str, str]:
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise NomadError(400, "Error parsing join request: Request body is empty")
    try:
        body = gobody.read_json(request)  # bounded: depth, NaN; Go's error texts
    except gobody.BodyError as exc:
        raise NomadError(400, f"Error parsing join request: {exc}") from None
    if not isinstance(body, dict):
        raise NomadError(400, "Error parsing join request: the body must be a JSON object")
    name = body.get("Name")
    urls = body.get("PeerURLs")
    if not isinstance(name, str) or not name:
        raise NomadError(400, "Error parsing join request: Name must be the new member's name")
    if not membership.NAME_RE.fullmatch(name):
        raise NomadError(
            400,
            f"member name {name!r} must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    if not isinstance(urls, list) or len(urls) != 1 or not isinstance(urls[0], str):
        raise NomadError(400, "Error parsing join request: PeerURLs must list the new member's one peer URL")
    try:
        urlsplit(urls[0]).port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise NomadError(400, f"peer URL {urls[0]!r} must look like http://HOST:PORT or https://HOST:PORT") from None
    return name, urls[0]
