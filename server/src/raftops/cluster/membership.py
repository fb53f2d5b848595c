"""Adding and removing raft peers (etcd members), with the care etcd 3.4 needs.

* Removing the leader stops writes for 1.0-1.4 s; handing leadership to another voter first
  (about 150 ms) avoids that, so :func:`remove_member` transfers leadership away first.
* Under strict reconfiguration etcd refuses adds and removes with 503 "unhealthy cluster" while
  another voter is down or just re-joined (for about 5 s): retried, bounded.
* A new server joins as a **learner**: the member is added first, then its etcd starts with
  ``--initial-cluster-state existing`` and the ``--initial-cluster`` :func:`add_learner` returns.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..store.members import ClusterMembers, EtcdError, Member, member_not_found
from . import leadership

log = logging.getLogger(__name__)

RECONFIG_RETRY_SECONDS = 10.0  # etcd counts a peer active 5 s after it connects
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")  # used with fullmatch: "$" would let a trailing newline in


class MembershipError(Exception):
    """A peer change was refused; ``status`` is the HTTP status the API answers with."""

    def __init__(self, message: str, status: int = 500):
        super().__init__(message)
        self.message = message
        self.status = status


def _unhealthy_cluster(exc: EtcdError) -> bool:
    return "unhealthy cluster" in exc.message or (exc.http_status == 503 and "not supported" not in exc.message)


def _retry_reconfig(action, what: str, retry_for: float) -> None:
    """Run one etcd reconfiguration, retrying while etcd says the cluster is not healthy enough (bounded)."""
    deadline = time.monotonic() + retry_for
    delay = 0.25
    while True:
        try:
            action()
            return
        except EtcdError as exc:
            if not _unhealthy_cluster(exc) or time.monotonic() + delay > deadline:
                raise
            log.info("%s refused (%s); retrying in %.2fs", what, exc.message, delay)
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def remove_member(cluster: ClusterMembers, member: Member, *, retry_for: float = RECONFIG_RETRY_SECONDS) -> None:
    """Remove one member; when it leads, hand leadership to the best other voter first."""
    _, members = cluster.members()
    if not any(m.id == member.id for m in members):
        return  # already gone (a retried request whose first answer was lost)
    voters = [m for m in members if not m.is_learner]
    if not member.is_learner and voters == [member]:
        raise MembershipError(
            f"need at least one voter in configuration: removing {member.peer_address} would leave none", 500
        )
    try:
        leader = leadership.current_leader(cluster, members)
    except leadership.NoLeader:
        leader = None
    if leader is not None and leader.id == member.id:
        successor = _successor(cluster, [v for v in voters if v.id != member.id])
        if successor is not None:
            try:
                leadership.transfer(cluster, successor)
            except (leadership.TransferError, leadership.NoLeader, EtcdError) as exc:
                # Removing the leader still works, only with a longer write pause.
                log.warning("could not hand leadership to %s before removing the leader: %s", successor.name, exc)

    def action() -> None:
        try:
            cluster.remove(member.id)
        except EtcdError as exc:
            if member_not_found(exc):
                return  # a lost answer to an earlier attempt: it was applied
            raise

    _retry_reconfig(action, f"removing member {member.id:x}", retry_for)
    delete_registrations(cluster, member.id)


def _successor(cluster: ClusterMembers, voters: list[Member]) -> Member | None:
    """The reachable voter with the highest applied index: the one that can lead soonest."""
    best: tuple[int, Member] | None = None
    for m in voters:
        if not m.client_urls:
            continue
        try:
            st = cluster.status(m.client_urls[0], timeout=0.5)
        except EtcdError:
            continue
        if best is None or st.raft_applied_index > best[0]:
            best = (st.raft_applied_index, m)
    return best[1] if best else None


def delete_registrations(cluster: ClusterMembers, member_id: int) -> int:
    """Delete the registrations of servers that sat beside ``member_id``, in one txn guarded by their revisions."""
    deleted = cluster.registrations.delete_of_member(member_id)
    if deleted is None:
        log.info("a registration of member %x changed while it was being deleted; leaving it", member_id)
        return 0
    return deleted


@dataclass(frozen=True)
class JoinResult:
    member: Member
    name: str
    initial_cluster: str
    created: bool  # False when the member was already there (a repeated join)


def validate_peer_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.port is None:
        raise MembershipError(f"peer URL {url!r} must look like http://HOST:PORT or https://HOST:PORT", 400)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise MembershipError(f"peer URL {url!r} must not have a path, query or fragment", 400)
    return f"{parts.scheme}://{parts.netloc}"


def add_learner(
    cluster: ClusterMembers, name: str, peer_url: str, *, retry_for: float = RECONFIG_RETRY_SECONDS
) -> JoinResult:
    """Add a new member as a learner (or find the one a previous join added) and build its --initial-cluster."""
    if not NAME_RE.fullmatch(name or ""):
        raise MembershipError(
            f"member name {name!r} must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit", 400
        )
    peer_url = validate_peer_url(peer_url)
    _, members = cluster.members()
    created = False
    existing = next((m for m in members if peer_url in m.peer_urls), None)
    if existing is not None:
        if existing.name and existing.name != name:
            raise MembershipError(f"peer URL {peer_url} already belongs to member {existing.name}", 400)
        member = existing
    else:
        clash = next((m for m in members if m.name == name), None)
        if clash is not None:
            raise MembershipError(f"a member named {name} already exists with peer URL {clash.peer_urls[0]}", 400)
        added: list[Member] = []

        def action() -> None:
            added.append(cluster.add_learner([peer_url]))

        try:
            _retry_reconfig(action, f"adding learner {name}", retry_for)
        except EtcdError as exc:
            status = 400 if exc.http_status in (400, 412) else (503 if _unhealthy_cluster(exc) else 500)
            raise MembershipError(f"etcd refused to add {peer_url} as a learner: {exc.message}", status) from exc
        member = added[0]
        created = True
        _, members = cluster.members()
        if not any(m.id == member.id for m in members):
            members.append(member)
    return JoinResult(member, name, initial_cluster(members, member, name), created)


def initial_cluster(members: list[Member], joining: Member, name: str) -> str:
    """``--initial-cluster`` for the joining member: every member, each under its name.

    etcd checks that the list matches the cluster's peer URLs, so members that were added but
    never started (they have no name yet) are listed too, under a placeholder name.
    """
    entries = []
    for m in sorted(members, key=lambda m: m.id):
        member_name = name if m.id == joining.id else (m.name or f"unstarted-{m.id:x}")
        entries.extend(f"{member_name}={url}" for url in m.peer_urls)
    return ",".join(entries)
