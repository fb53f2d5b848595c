"""The SM executor: a cluster duty (runs once a second in the agent holding the election).

Each tick reads every policy and metadata document in one etcd request and hands each enabled
policy that is not already running to a small thread pool, so a tick never waits on a repository
or a webhook. A run (statemachine.Runner) ends with at most one write: the new metadata, with a
CAS on the metadata's and the policy's mod revisions, and only when it changed. An idle tick
therefore writes nothing, and after a failover the next holder continues from etcd.

Upstream's job runs every minute; here a policy is looked at every tick (triggers fire within a
second of their cron time), and a failed attempt waits one job interval (the policy's
``schedule.interval``, 1 minute by default, on the SM clock) before it is retried, as upstream's
retries do.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..errors import UpstreamError
from ..repository import RepositoryError
from ..store.etcd import EtcdError
from ..store.sm import Record
from ..store.state import StateError
from .host import SMHost
from .metadata import Metadata
from .policy import Policy
from .statemachine import Runner, SnapshotError, SnapshotInfo, handle_policy_change, initial_metadata, simple_match
from .store import StoredPolicy

log = logging.getLogger(__name__)

WORKERS = 4


class PolicyContext:
    """What the state machine may do for one policy run (statemachine.Context)."""

    def __init__(self, service: Any, agent: SMHost, policy: Policy):
        self.service = service
        self.agent = agent
        self.policy = policy

    def now(self) -> int:
        return self.service.clock.now_ms()

    def list_snapshots(self, patterns: list[str]) -> list[SnapshotInfo]:
        try:
            records = self.service.snapshots.records(self.policy.repository)
        except UpstreamError as exc:
            raise SnapshotError(exc.reason) from None
        except (RepositoryError, EtcdError, StateError, OSError) as exc:
            raise SnapshotError(str(exc)) from None
        return [
            SnapshotInfo(r.snapshot, r.state, r.start_time, r.metadata or {}, r.end_time, r.reason)
            for r in records
            if any(simple_match(p, r.snapshot) for p in patterns)
        ]

    def create_snapshot(self, name: str, policy: Policy) -> None:
        if not self.agent.is_duty_holder:
            raise SnapshotError("this agent no longer runs the cluster duties")
        metadata = dict(policy.snapshot_config.get("metadata") or {})
        metadata["sm_policy"] = policy.name  # SMUtils.addSMPolicyInSnapshotMetadata
        try:
            self.service.snapshots.start(policy.repository, name, metadata)
        except UpstreamError as exc:
            raise SnapshotError(exc.reason) from None
        except (RepositoryError, EtcdError, StateError, OSError) as exc:
            raise SnapshotError(str(exc)) from None

    def delete_snapshots(self, names: list[str]) -> None:
        try:
            self.service.snapshots.delete(self.policy.repository, names)
        except UpstreamError as exc:
            raise SnapshotError(exc.reason) from None
        except (RepositoryError, EtcdError, StateError, OSError) as exc:
            raise SnapshotError(str(exc)) from None

    def notify(self, condition: str, message: str) -> None:
        notification = self.policy.notification
        if notification is None or not getattr(notification.conditions, condition):
            return
        self.service.notifications.send_async(notification.channel_id, message, f"policy {self.policy.name}")


class Executor:
    """The duty object (``agent.duties`` calls it with the agent)."""

    __name__ = "sm_executor"

    def __init__(self, service: Any):
        self.service = service
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="sm-policy")
        self._running: set[str] = set()
        self._not_before: dict[str, int] = {}
        self._lock = threading.Lock()
        self.runs = 0  # finished policy runs, for tests and metrics
        self.writes = 0

    def __call__(self, agent: SMHost) -> None:
        clock = self.service.clock
        clock.refresh()
        now = clock.now_ms()
        policies, metadata = self.service.store.load_all(now)
        with self._lock:
            for name in list(self._not_before):
                if name not in policies:
                    del self._not_before[name]
            due = [
                (stored, item)
                for name, (stored, item) in sorted(policies.items())
                if stored.policy.enabled and name not in self._running and self._not_before.get(name, 0) <= now
            ]
            for stored, _ in due:
                self._running.add(stored.name)
        for stored, item in due:
            self._pool.submit(self._run, agent, stored, item, metadata.get(stored.name))

    def _run(self, agent: SMHost, stored: StoredPolicy, policy_item: Record, md_item: Record | None) -> None:
        name = stored.name
        try:
            now = self.service.clock.now_ms()
            if md_item is None:
                before = None
                md = initial_metadata(stored.policy, stored.seq_no, stored.primary_term, now)
                md_index = 0
            else:
                before = Metadata.from_json(json.loads(md_item.value))
                md, md_index = before, md_item.modify_index
            md = handle_policy_change(md, stored.policy, stored.seq_no, stored.primary_term, now)
            runner = Runner(PolicyContext(self.service, agent, stored.policy), stored.policy, md)
            md = runner.run()
            if md != before:
                if self.service.store.write_metadata(md, md_index, policy_item.modify_index):
                    self.writes += 1
                else:
                    log.info("policy %s changed while it ran; its next run starts from the new state", name)
            if runner.failed:
                with self._lock:
                    self._not_before[name] = self.service.clock.now_ms() + stored.policy.job_interval_ms
        except (EtcdError, StateError) as exc:
            log.warning("snapshot management run of policy %s failed: %s", name, exc)
        except Exception:
            log.exception("snapshot management run of policy %s failed", name)
        finally:
            self.runs += 1
            with self._lock:
                self._running.discard(name)
