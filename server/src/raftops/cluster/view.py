"""The cluster as the operator API shows it: etcd members joined with raftops server registrations.

The one home of the server list (``servers``): /v1/operator/raft/* reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..store.members import ClusterMembers, EtcdError, Member, MemberStatus
from .leadership import NoLeader


@dataclass(frozen=True)
class Server:
    """One raft peer: an etcd member and, once registered, the raftops server beside it."""

    member: Member
    server_id: str  # raftops server UUID; "" until the agent beside the member has registered
    node: str
    http_address: str
    version: str

    @property
    def address(self) -> str:
        return self.member.peer_address

    @property
    def voter(self) -> bool:
        return not self.member.is_learner

    @property
    def id(self) -> str:
        """The raft ID the API shows: the server UUID, or one made from the member ID until it registers."""
        return self.server_id or synthetic_server_id(self.member.id)


def synthetic_server_id(member_id: int) -> str:
    """A UUID for an etcd member no raftops server has registered (a new learner, a member managed by hand).

    The 64-bit member ID fills the last 16 hex digits after a zero prefix, so the value is stable,
    passes Nomad's UUID validation, and maps back to the member.
    """
    digits = f"{member_id:016x}"
    return f"00000000-0000-0000-{digits[:4]}-{digits[4:]}"


def fmt_member_id(member_id: int) -> str:
    """etcd member IDs as etcdctl prints them (hex)."""
    return f"{member_id:x}"


def leader_status(cluster: ClusterMembers) -> MemberStatus:
    """Status from any reachable member, which names the current leader (0 during an election)."""
    return cluster.status()


def registrations(cluster: ClusterMembers, *, serializable: bool = False) -> dict[int, dict]:
    """Server registrations keyed by etcd member ID (``serializable``: this member's local view)."""
    # The newest registration of a member wins (a server re-installed with a new ID); a malformed one
    # never hides the member itself.
    return cluster.registrations.by_member(serializable=serializable)


def servers(cluster: ClusterMembers, *, stale: bool = False) -> tuple[int, int, list[Server]]:
    """(leader member ID, raft index, every raft peer) from the member list and the registrations.

    Without a leader this raises leadership.NoLeader, unless ``stale``: then the member's local view
    answers (leader 0). The member list is served from the member's local view in etcd 3.4, so it
    works without a leader.
    """
    _, members = cluster.members()
    try:
        status = leader_status(cluster)
        leader, index = status.leader, status.raft_index
    except EtcdError:
        leader, index = 0, 0
    if not leader and not stale:
        raise NoLeader("No cluster leader")
    regs = registrations(cluster, serializable=stale)
    out = []
    for m in sorted(members, key=lambda m: m.peer_address):
        reg = regs.get(m.id, {})
        out.append(
            Server(
                member=m,
                server_id=reg.get("ID", ""),
                node=reg.get("Name") or m.name or "(unknown)",
                http_address=reg.get("HTTPAddress", ""),
                version=reg.get("Version", ""),
            )
        )
    return leader, index, out


def leader_address(cluster: ClusterMembers) -> str:
    """host:port of the leader's raft (etcd peer) address, or "" when there is no leader."""
    leader = leader_status(cluster).leader
    if not leader:
        return ""
    _, members = cluster.members()
    for m in members:
        if m.id == leader:
            return m.peer_address
    return ""
