"""One SM service per agent: the clock, stores, snapshots, notifications and the executor duty.

The API families (sm, snapshot_repos, notifications) share it through :func:`of`, which creates
it on first use and registers the executor in ``agent.duties``.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from .clock import Clock
from .executor import Executor
from .notifications import Notifications
from .repositories import Repositories
from .snapshots import Snapshots
from .store import PolicyStore


class SMService:
    def __init__(self, agent: Any):
        config = agent.config
        self.agent = agent
        self.clock = Clock(agent.state, bool(getattr(config, "sm_test_clock", False)))
        self.store = PolicyStore(agent.state)
        self.repositories = Repositories(
            agent.state,
            path_repo=list(getattr(config, "sm_path_repo", []) or []),
            s3_defaults=dict(getattr(config, "sm_s3", {}) or {}),
        )
        self.snapshots = Snapshots(agent, self.repositories, self.clock)
        self.notifications = Notifications(agent.state)
        self.executor = Executor(self)
        agent.duties.append(self.executor)


_services: weakref.WeakKeyDictionary[Any, SMService] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def of(agent: Any) -> SMService:
    with _lock:
        service = _services.get(agent)
        if service is None:
            service = SMService(agent)
            _services[agent] = service
        return service
