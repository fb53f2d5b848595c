"""Autopilot health: every agent polls every etcd member's Status and computes health in memory.

Nothing here writes to etcd (an idle cluster's revision must stay still). The computation follows
raft-autopilot (``isHealthy``, ``buildServerState``, ``nextStateWithInputs``, ``ServerLessThan``)
with etcd's Status as the stats source:

* ``LastIndex`` = the member's ``raftAppliedIndex``, ``LastTerm`` = its ``raftTerm``;
* ``LastContact`` = the age of the member's last good Status answer, measured at the latest poll
  round: 0 when it answered the latest round, k rounds' worth of time after k missed rounds;
* ``SerfStatus`` = ``alive`` when the raftops agent registered beside the member holds its liveness
  key, ``failed`` when it does not, ``left`` when no agent registered the member (Nomad's status
  for a raft server it does not know).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from .. import godur
from ..store.members import ClusterMembers, EtcdError, Member, MemberStatus
from ..store.state import StateStore
from . import autopilot_settings
from .autopilot_settings import AutopilotSettings
from .view import synthetic_server_id

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.5  # seconds between poll rounds
STATUS_TIMEOUT = 0.4  # one Status call; a round never takes much longer than this
META_INTERVAL = 2.0  # registrations, liveness and the autopilot configuration are re-read this often


@dataclass
class MemberPoll:
    """What the poller knows about one member (monotonic times)."""

    first_seen: float
    last_ok: float | None = None  # start of the latest round the member answered
    status: MemberStatus | None = None  # its latest good answer
    error: str = ""


@dataclass(frozen=True)
class PollRound:
    """Everything one health computation needs; gathered by the poller, consumed by compute_health."""

    started: float  # monotonic start of the round
    wall: float  # time.time() at the start of the round
    members: list[Member]
    polls: dict[int, MemberPoll]
    registrations: dict[int, dict[str, Any]] = field(default_factory=dict)
    alive: frozenset[str] = frozenset()
    settings: AutopilotSettings = AutopilotSettings()
    poller_started: float = 0.0


@dataclass(frozen=True)
class ServerHealth:
    member: Member
    id: str
    name: str
    address: str
    serf_status: str
    version: str
    leader: bool
    voter: bool
    last_contact: float  # seconds
    last_term: int
    last_index: int
    healthy: bool
    stable_since: float  # wall-clock seconds
    unreachable_for: float  # seconds since the last good answer (or since first seen)
    status: MemberStatus | None

    def is_stable(self, now_wall: float, stabilization: float) -> bool:
        return self.healthy and now_wall - self.stable_since >= stabilization

    def to_api(self) -> dict[str, Any]:
        # Key order of Nomad's ServerHealth.MarshalJSON (LastContact comes first).
        return {
            "LastContact": godur.format(self.last_contact),
            "ID": self.id,
            "Name": self.name,
            "Address": self.address,
            "SerfStatus": self.serf_status,
            "Version": self.version,
            "Leader": self.leader,
            "LastTerm": self.last_term,
            "LastIndex": self.last_index,
            "Healthy": self.healthy,
            "Voter": self.voter,
            "StableSince": rfc3339_second(self.stable_since),
        }


@dataclass(frozen=True)
class HealthReport:
    healthy: bool
    failure_tolerance: int
    servers: list[ServerHealth]
    leader: str  # server ID of the leader, "" when there is none
    voters: list[str]
    leader_member_id: int
    settings: AutopilotSettings
    computed_wall: float
    poller_started: float  # monotonic

    def server(self, member_id: int) -> ServerHealth | None:
        for s in self.servers:
            if s.member.id == member_id:
                return s
        return None

    def stabilization_time(self, now: float) -> float:
        """raft-autopilot's rule: the stabilization time counts only once health has been tracked that long."""
        stab = self.settings.server_stabilization_time
        return stab if now - self.poller_started > stab else 0.0

    def to_api(self) -> dict[str, Any]:
        # Field order of Nomad's api.OperatorHealthReply.
        return {
            "Healthy": self.healthy,
            "FailureTolerance": self.failure_tolerance,
            "Servers": [s.to_api() for s in self.servers],
            "Leader": self.leader,
            "Voters": list(self.voters),
        }


def rfc3339_second(wall: float) -> str:
    """Go's ``t.Round(time.Second).UTC()`` as JSON: RFC 3339, whole seconds, Z."""
    rounded = int(wall + 0.5)  # Round rounds halfway values away from zero
    return datetime.fromtimestamp(rounded, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def required_quorum(voters: int) -> int:
    return voters // 2 + 1


def is_healthy(
    serf_status: str,
    last_contact: float,
    last_term: int,
    last_index: int,
    leader_term: int,
    leader_index: int,
    settings: AutopilotSettings,
    errors: list[str] | None = None,
) -> bool:
    """raft-autopilot's ServerState.isHealthy, plus etcd alarms (a member reporting errors is unhealthy)."""
    if leader_index == 0 or leader_term == 0:
        return False  # no leader, or it has no stats
    if serf_status != "alive":
        return False
    if last_contact > settings.last_contact_threshold or last_contact < 0:
        return False
    if last_term != leader_term:
        return False
    if last_index + settings.max_trailing_logs < leader_index:
        return False
    return not errors


def find_leader(rnd: PollRound) -> MemberStatus | None:
    """The member that answered this round and says it leads; the highest term wins (a stale leader loses)."""
    best: MemberStatus | None = None
    for poll in rnd.polls.values():
        st = poll.status
        if poll.last_ok != rnd.started or st is None or not st.leader or st.leader != st.member_id:
            continue
        if best is None or st.raft_term > best.raft_term:
            best = st
    return best


def compute_health(rnd: PollRound, previous: dict[int, tuple[bool, float]]) -> HealthReport:
    """One health state from one poll round; ``previous`` maps member ID -> (healthy, stable_since)."""
    leader_status = find_leader(rnd)
    leader_id = leader_status.member_id if leader_status else 0
    leader_term = leader_status.raft_term if leader_status else 0
    leader_index = leader_status.raft_applied_index if leader_status else 0

    servers: list[ServerHealth] = []
    for m in rnd.members:
        poll = rnd.polls.get(m.id) or MemberPoll(first_seen=rnd.started)
        reg = rnd.registrations.get(m.id)
        serf = "left" if reg is None else ("alive" if reg.get("ID") in rnd.alive else "failed")
        since = poll.last_ok if poll.last_ok is not None else poll.first_seen
        unreachable_for = max(0.0, rnd.started - since)
        st = poll.status
        last_term = st.raft_term if st else 0
        last_index = st.raft_applied_index if st else 0
        healthy = poll.last_ok is not None and is_healthy(
            serf,
            unreachable_for,
            last_term,
            last_index,
            leader_term,
            leader_index,
            rnd.settings,
            st.errors if st else None,
        )
        prev = previous.get(m.id)
        stable_since = prev[1] if prev is not None and prev[0] == healthy else rnd.wall
        servers.append(
            ServerHealth(
                member=m,
                id=(reg or {}).get("ID") or synthetic_server_id(m.id),
                name=(reg or {}).get("Name") or m.name,
                address=m.peer_address,
                serf_status=serf,
                version=(reg or {}).get("Version", ""),
                leader=m.id == leader_id,
                voter=not m.is_learner,
                last_contact=unreachable_for,
                last_term=last_term,
                last_index=last_index,
                healthy=healthy,
                stable_since=stable_since,
                unreachable_for=unreachable_for,
                status=st,
            )
        )

    servers.sort(key=functools.cmp_to_key(_compare))
    voters = [s for s in servers if s.voter]
    healthy_voters = sum(1 for s in voters if s.healthy)
    leader = next((s.id for s in servers if s.leader), "")
    return HealthReport(
        healthy=bool(servers) and all(s.healthy for s in servers),
        failure_tolerance=max(0, healthy_voters - required_quorum(len(voters))),
        servers=servers,
        leader=leader,
        voters=[s.id for s in voters],
        leader_member_id=leader_id,
        settings=rnd.settings,
        computed_wall=rnd.wall,
        poller_started=rnd.poller_started,
    )


def _compare(a: ServerHealth, b: ServerHealth) -> int:
    """raft-autopilot's ServerLessThan: leader, voters, healthy, stable longer, then ID."""
    if a.leader != b.leader:
        return -1 if a.leader else 1
    if a.voter != b.voter:
        return -1 if a.voter else 1
    if a.healthy == b.healthy:
        if a.stable_since != b.stable_since:
            earlier_first = -1 if a.stable_since < b.stable_since else 1
            return earlier_first if a.healthy else -earlier_first
        return (a.id > b.id) - (a.id < b.id)
    return -1 if a.healthy else 1


class HealthPoller:
    """Polls every member's Status a couple of times a second from a daemon thread; keeps the latest report."""

    def __init__(
        self,
        cluster: ClusterMembers,
        state: StateStore,
        *,
        interval: float = POLL_INTERVAL,
        timeout: float = STATUS_TIMEOUT,
        meta_interval: float = META_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.cluster = cluster
        self.state = state
        self.interval = interval
        self.timeout = timeout
        self.meta_interval = meta_interval
        self.clock = clock
        self.started = clock()
        self._members: list[Member] = []
        self._polls: dict[int, MemberPoll] = {}
        self._previous: dict[int, tuple[bool, float]] = {}
        self._registrations: dict[int, dict[str, Any]] = {}
        self._alive: frozenset[str] = frozenset()
        self._settings = AutopilotSettings()
        self._meta_at: float | None = None
        self._report: HealthReport | None = None
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health-poll")

    def start(self) -> None:
        self.started = self.clock()
        self._thread = threading.Thread(target=self._run, name="health-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def latest(self, wait: float = 0.0) -> HealthReport | None:
        """The newest report; waits up to ``wait`` seconds for the first one."""
        if wait > 0:
            self._ready.wait(wait)
        with self._lock:
            return self._report

    def _run(self) -> None:
        while not self._stop.is_set():
            started = self.clock()
            try:
                self.poll_once()
            except Exception:  # the poller must outlive any one bad round
                log.exception("health poll round failed")
            self._stop.wait(max(0.05, self.interval - (self.clock() - started)))

    def poll_once(self) -> HealthReport:
        started = self.clock()
        wall = time.time()
        try:
            _, members = self.cluster.members()
            self._members = members
        except EtcdError as exc:
            log.debug("member list failed, keeping the last one: %s", exc)
            members = self._members
        known = {m.id for m in members}
        changed = known != set(self._polls)
        for member_id in set(self._polls) - known:
            del self._polls[member_id]
        futures = {
            m.id: self._pool.submit(self.cluster.status, m.client_urls[0], timeout=self.timeout)
            for m in members
            if m.client_urls
        }
        for m in members:
            poll = self._polls.setdefault(m.id, MemberPoll(first_seen=started))
            future = futures.get(m.id)
            if future is None:
                poll.error = "the member has not started (no client URL)"
                continue
            try:
                poll.status = future.result(timeout=self.timeout + 1.0)
                poll.last_ok = started
                poll.error = ""
            except Exception as exc:  # timeouts and refused connections alike mean "no contact"
                poll.error = str(exc)
        if changed or self._meta_at is None or started - self._meta_at >= self.meta_interval:
            self._refresh_meta(started)
        rnd = PollRound(
            started=started,
            wall=wall,
            members=list(members),
            polls={k: replace(v) for k, v in self._polls.items()},
            registrations=dict(self._registrations),
            alive=self._alive,
            settings=self._settings,
            poller_started=self.started,
        )
        report = compute_health(rnd, self._previous)
        self._previous = {s.member.id: (s.healthy, s.stable_since) for s in report.servers}
        with self._lock:
            self._report = report
        self._ready.set()
        return report

    def _refresh_meta(self, now: float) -> None:
        try:
            registrations = self.cluster.registrations
            alive = registrations.alive()
            # Two registrations can name one member (a server re-installed with a new data dir): the live
            # one wins, then the newest.
            best: dict[int, tuple[tuple[bool, int], dict[str, Any]]] = {}
            for reg in registrations.list():
                member_id = reg.member_id
                if member_id is None or reg.doc is None:
                    continue
                rank = (reg.doc.get("ID") in alive, reg.mod_revision)
                if member_id not in best or rank > best[member_id][0]:
                    best[member_id] = (rank, reg.doc)
            regs = {member_id: reg for member_id, (_, reg) in best.items()}
            settings = autopilot_settings.load(self.state)
        except Exception as exc:  # keep the previous view until etcd answers again
            log.debug("health metadata refresh failed: %s", exc)
            return
        self._registrations, self._alive, self._settings = regs, alive, settings
        self._meta_at = now
