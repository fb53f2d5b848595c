"""One SM service per agent: the clock, stores, snapshots, notifications and the executor duty.

raftops.agent builds it (``agent.sm``) and lists its executor with the other cluster duties; the API
families (sm, snapshot_repos, notifications) reach it as ``ctx.sm`` (raftops.api.context.WithSM).
"""

from __future__ import annotations

from ..store.sm import SMPolicies
from .clock import Clock
from .executor import Executor
from .host import SMHost
from .notifications import Notifications
from .repositories import Repositories
from .snapshots import Snapshots
from .store import PolicyStore


class SMService:
    def __init__(self, agent: SMHost):
        config = agent.config
        self.agent = agent
        self.clock = Clock(agent.state, bool(getattr(config, "sm_test_clock", False)))
        self.store = PolicyStore(SMPolicies(agent.state))
        self.repositories = Repositories(
            agent.state,
            path_repo=list(getattr(config, "sm_path_repo", []) or []),
            s3_defaults=dict(getattr(config, "sm_s3", {}) or {}),
        )
        self.snapshots = Snapshots(agent, self.repositories, self.clock)
        self.notifications = Notifications(agent.state)
        self.executor = Executor(self)  # a cluster duty: raftops.agent lists it
