"""Autopilot actions, run once a second by the agent that holds the cluster-duties election.

* **Promotion**: a learner that has been healthy for ServerStabilizationTime becomes a voter. etcd
  accepts a promote once the learner's raft log is 90 % replicated, long before it has applied it,
  so the learner's ``raftAppliedIndex`` is compared with the leader's (fresh Status calls) first.
* **Dead server cleanup** (CleanupDeadServers): a member unreachable for longer than the agent's
  ``autopilot.dead_server_threshold`` is removed, learners first, never more than raft-autopilot's
  ``adjudicateRemoval`` allows: at most (voters-1)/2 per round, never below MinQuorum.

Both work from the agent's in-memory health report (raftops.cluster.health).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from ..store.members import ClusterMembers, EtcdError
from . import membership
from .health import HealthPoller, HealthReport, ServerHealth

log = logging.getLogger(__name__)

REPORT_MAX_AGE = 3.0  # seconds; an older report means the poller is stuck, so do nothing
STATUS_TIMEOUT = 0.5


def adjudicate_removal(candidates: list[tuple[str, bool]], potential_voters: int, min_quorum: int) -> list[str]:
    """raft-autopilot's adjudicateRemoval for (id, is_voter) candidates that are all potential voters.

    At most (potential_voters-1)/2 are removed, and none once MinQuorum would be undercut.
    """
    result: list[str] = []
    removed = 0
    max_removal = int((potential_voters - 1) / 2)  # Go's integer division truncates toward zero
    for server_id, voter in candidates:
        if potential_voters - removed - 1 < min_quorum:
            log.debug("not removing %s: fewer than MinQuorum=%d voters would remain", server_id, min_quorum)
        elif voter and max_removal < 1:
            log.debug("not removing %s: removing a majority of voters is not safe", server_id)
        else:
            max_removal -= 1
            removed += 1
            result.append(server_id)
    return result


def plan_cleanup(report: HealthReport, dead_after: float) -> list[ServerHealth]:
    """The dead servers to remove now, in raft-autopilot's order: non-voters, then voters, each by ID."""
    dead = [s for s in report.servers if s.unreachable_for >= dead_after and not s.leader]
    learners = sorted((s for s in dead if not s.voter), key=lambda s: s.id)
    voters = sorted((s for s in dead if s.voter), key=lambda s: s.id)
    by_id = {s.id: s for s in dead}
    potential = len(report.servers)
    plan = adjudicate_removal([(s.id, False) for s in learners], potential, report.settings.min_quorum)
    potential -= len(plan)
    plan += adjudicate_removal([(s.id, True) for s in voters], potential, report.settings.min_quorum)
    return [by_id[i] for i in plan]


class AutopilotHost(Protocol):
    """What the autopilot duty uses of the agent: the etcd cluster's members and the in-memory health report."""

    members: ClusterMembers
    server_health: HealthPoller


class AutopilotDuty:
    """Callable duty for ``Agent.duties``."""

    __name__ = "autopilot"

    def __init__(self, dead_server_threshold: float, *, clock: Callable[[], float] = time.time):
        self.dead_server_threshold = dead_server_threshold
        self.clock = clock

    def __call__(self, agent: AutopilotHost) -> None:
        report: HealthReport | None = agent.server_health.latest()
        if report is None or not report.leader_member_id:
            return  # no leader: nothing can change the membership now
        if self.clock() - report.computed_wall > REPORT_MAX_AGE:
            log.warning("the health report is %.1fs old; autopilot waits", self.clock() - report.computed_wall)
            return
        if self.promote(agent, report):
            return  # one change per round, as raft-autopilot
        if report.settings.cleanup_dead_servers:
            self.cleanup(agent, report)

    def promote(self, agent: AutopilotHost, report: HealthReport) -> bool:
        stabilization = report.stabilization_time(agent.server_health.clock())
        leader = report.server(report.leader_member_id)
        if leader is None or not leader.member.client_urls:
            return False
        for s in report.servers:
            if s.voter or not s.is_stable(self.clock(), stabilization) or not s.member.client_urls:
                continue
            try:
                learner_status = agent.members.status(s.member.client_urls[0], timeout=STATUS_TIMEOUT)
                leader_status = agent.members.status(leader.member.client_urls[0], timeout=STATUS_TIMEOUT)
            except EtcdError as exc:
                log.info("not promoting %s yet: %s", s.name or s.id, exc)
                continue
            lag = leader_status.raft_applied_index - learner_status.raft_applied_index
            if lag > report.settings.max_trailing_logs:
                log.info("not promoting %s yet: it has applied %d entries less than the leader", s.name or s.id, lag)
                continue
            try:
                agent.members.promote(s.member.id)
            except EtcdError as exc:
                log.info("etcd refused to promote %s: %s", s.name or s.id, exc)
                return True
            log.info("promoted %s (%s) to voter after %.0fs of stable health", s.name or s.id, s.address, stabilization)
            return True
        return False

    def cleanup(self, agent: AutopilotHost, report: HealthReport) -> None:
        for s in plan_cleanup(report, self.dead_server_threshold):
            try:
                membership.remove_member(agent.members, s.member, retry_for=5.0)
            except (EtcdError, membership.MembershipError) as exc:
                log.warning("could not remove dead server %s (%s): %s", s.name or s.id, s.address, exc)
                return
            log.warning(
                "removed dead server %s (%s), unreachable for %.0fs", s.name or s.id, s.address, s.unreachable_for
            )
