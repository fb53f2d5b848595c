"""The cluster service the HTTP API reaches: the raft peers, their leader, membership changes, and the
state's head, over the store's ports (raftops.store.members, raftops.store.state).

raftops.agent builds one (``agent.cluster``); /v1/status, /v1/operator/raft/* and /v1/raftops/state
(raftops.api.nomad, operator_raft, raftops_ext) call it instead of reaching the etcd adapter.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..store.members import ClusterMembers, Member
from ..store.state import StateStore
from . import leadership, membership, view


@dataclass(frozen=True)
class StateHead:
    revision: int  # the state revision: the last write to the replicated state
    generation: str  # the current data generation
    etcd_version: str


class ClusterService:
    def __init__(self, members: ClusterMembers, state: StateStore):
        self.members = members
        self.state = state

    # -- reads ------------------------------------------------------------------------------------
    def leader_address(self) -> str:
        """host:port of the leader's raft (etcd peer) address, or "" when there is no leader."""
        return view.leader_address(self.members)

    def peer_addresses(self) -> list[str]:
        """Every member's raft (etcd peer) address, sorted."""
        _, members = self.members.members()
        return sorted(m.peer_address for m in members if m.peer_address)

    def servers(self, *, stale: bool = False) -> tuple[int, int, list[view.Server]]:
        """(leader member ID, raft index, every raft peer): raftops.cluster.view.servers."""
        return view.servers(self.members, stale=stale)

    def state_head(self) -> StateHead:
        """The state revision and generation (one read), and the etcd version of any member."""
        revision, generation = self.state.head()
        # Any member: the version is the same cluster-wide between upgrades.
        return StateHead(revision, generation, self.members.status().version)

    # -- membership changes -----------------------------------------------------------------------
    def remove_member(self, member: Member) -> None:
        membership.remove_member(self.members, member)

    def transfer_leadership(self, target: Member) -> leadership.Transfer:
        return leadership.transfer(self.members, target)

    def add_learner(self, name: str, peer_url: str) -> membership.JoinResult:
        return membership.add_learner(self.members, name, peer_url)
