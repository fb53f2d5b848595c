"""The etcd cluster itself, as raftops.cluster uses it: a port over the adapter (raftops.store.etcd).

``ClusterMembers`` is everything the cluster domain (view, health, autopilot, membership, leadership,
guard) asks of etcd beyond the replicated state: the member list, each member's status, and the
reconfigurations (add a learner, promote, remove, move the leader); and the server registrations
beside the members (raftops.store.registrations). It returns the adapter's plain records
(``Member``, ``MemberStatus``) and raises ``EtcdError`` as the adapter does.
"""

from __future__ import annotations

from typing import Any

from .etcd import Etcd, Member, MemberStatus
from .gateway import GRPC_NOT_FOUND, EtcdError
from .registrations import Registrations

__all__ = ["ClusterMembers", "EtcdError", "Member", "MemberStatus", "member_not_found"]


def member_not_found(exc: EtcdError) -> bool:
    """Whether etcd refused a reconfiguration because the member is not (or no longer) in the cluster."""
    return exc.code == GRPC_NOT_FOUND or "member not found" in exc.message


class ClusterMembers:
    def __init__(self, etcd: Etcd):
        self._etcd = etcd
        self.registrations = Registrations(etcd)

    @classmethod
    def connect(cls, endpoints: list[str], *, tls: dict[str, Any] | None = None) -> ClusterMembers:
        """A port with its own adapter (for a command that runs without an agent); ``close`` it."""
        return cls(Etcd(endpoints, tls=tls))

    @property
    def endpoints(self) -> list[str]:
        return self._etcd.endpoints

    def members(self) -> tuple[int, list[Member]]:
        """(cluster ID, members) as the answering member knows them."""
        return self._etcd.members()

    def status(self, endpoint: str | None = None, *, timeout: float | None = None) -> MemberStatus:
        """One member's Status (``endpoint``; any member when None)."""
        return self._etcd.status(endpoint, timeout=timeout)

    def members_at(self, endpoint: str, *, timeout: float) -> list[Member]:
        """The member list as the member at ``endpoint`` knows it (not forwarded to another member)."""
        data = self._etcd.gateway.call("cluster/member/list", {}, endpoint=endpoint, timeout=timeout)
        return [Member.from_json(m) for m in data.get("members", [])]

    def add_learner(self, peer_urls: list[str]) -> Member:
        return self._etcd.member_add(peer_urls, learner=True)

    def promote(self, member_id: int) -> None:
        self._etcd.member_promote(member_id)

    def remove(self, member_id: int) -> None:
        self._etcd.member_remove(member_id)

    def move_leader(self, leader_endpoint: str, target_id: int, *, timeout: float = 5.0) -> None:
        """etcd's MoveLeader, sent to the current leader (a follower answers "not leader")."""
        self._etcd.move_leader(leader_endpoint, target_id, timeout=timeout)

    def close(self) -> None:
        self._etcd.close()
