"""Autopilot health computation and the cleanup rules (pure logic; no etcd)."""

from __future__ import annotations

import pytest
from raftops.cluster.autopilot import adjudicate_removal, plan_cleanup
from raftops.cluster.autopilot_settings import AutopilotSettings
from raftops.cluster.health import MemberPoll, PollRound, compute_health, rfc3339_second
from raftops.cluster.view import synthetic_server_id
from raftops.store.etcd import Member, MemberStatus

NOW = 1000.0
WALL = 1_700_000_000.4


def member(n: int, learner: bool = False) -> Member:
    return Member(n, f"s{n}", [f"http://10.0.0.{n}:2380"], [f"http://10.0.0.{n}:2379"], learner)


def status(n: int, *, leader: int = 1, term: int = 5, applied: int = 100, errors: list[str] | None = None):
    return MemberStatus(n, 7, "3.4.23", leader, applied, applied, term, 10, 0, False, errors or [])


def reg(n: int) -> dict:
    return {"ID": f"uuid-{n}", "Name": f"server{n}", "EtcdMemberID": f"{n:x}", "Version": "0.1.0"}


def round_of(members, statuses, *, alive=None, regs=None, settings=None, last_ok=None, started=NOW, wall=WALL):
    polls = {}
    for m in members:
        st = statuses.get(m.id)
        ok = (last_ok or {}).get(m.id, started if st is not None else None)
        polls[m.id] = MemberPoll(first_seen=started - 100, last_ok=ok, status=st)
    regs = {m.id: reg(m.id) for m in members} if regs is None else regs
    alive = frozenset(r["ID"] for r in regs.values()) if alive is None else alive
    return PollRound(started, wall, members, polls, regs, alive, settings or AutopilotSettings(), started - 500)


def three(**kw):
    members = [member(1), member(2), member(3)]
    return round_of(members, {m.id: status(m.id) for m in members}, **kw)


def test_all_healthy_three_voters_tolerate_one_failure() -> None:
    report = compute_health(three(), {})
    assert report.healthy and report.failure_tolerance == 1
    assert report.leader == "uuid-1" and report.voters[0] == "uuid-1" and len(report.voters) == 3
    api = report.to_api()
    assert list(api) == ["Healthy", "FailureTolerance", "Servers", "Leader", "Voters"]
    first = api["Servers"][0]
    assert list(first)[0] == "LastContact" and first["LastContact"] == "0s"
    assert first["Leader"] and first["SerfStatus"] == "alive" and first["StableSince"] == "2023-11-14T22:13:20Z"


def test_a_member_missing_rounds_is_unhealthy_and_tolerance_drops() -> None:
    rnd = three(last_ok={3: NOW - 0.5})
    report = compute_health(rnd, {})
    s3 = report.server(3)
    assert s3 is not None and not s3.healthy and s3.last_contact == pytest.approx(0.5)
    assert s3.to_api()["LastContact"] == "500ms"
    assert not report.healthy and report.failure_tolerance == 0
    # Unhealthy servers sort after healthy ones.
    assert report.servers[-1].member.id == 3


def test_contact_within_the_threshold_stays_healthy() -> None:
    rnd = three(last_ok={3: NOW - 0.5}, settings=AutopilotSettings(last_contact_threshold=1.0))
    assert compute_health(rnd, {}).healthy


def test_no_leader_makes_everything_unhealthy() -> None:
    members = [member(1), member(2), member(3)]
    rnd = round_of(members, {m.id: status(m.id, leader=0) for m in members})
    report = compute_health(rnd, {})
    assert not report.healthy and report.leader == "" and report.failure_tolerance == 0
    assert not any(s.healthy for s in report.servers)


def test_a_stale_leader_with_a_lower_term_loses_to_the_real_one() -> None:
    members = [member(1), member(2), member(3)]
    statuses = {1: status(1, leader=1, term=4), 2: status(2, leader=2, term=5), 3: status(3, leader=2, term=5)}
    report = compute_health(round_of(members, statuses), {})
    assert report.leader == "uuid-2"
    assert not report.server(1).healthy  # its term differs from the leader's


def test_trailing_logs_and_alarms() -> None:
    members = [member(1), member(2), member(3)]
    statuses = {1: status(1, applied=1000), 2: status(2, applied=749), 3: status(3, applied=750, errors=["NOSPACE"])}
    report = compute_health(round_of(members, statuses), {})
    assert not report.server(2).healthy  # 749 + 250 < 1000
    assert not report.server(3).healthy  # an etcd alarm


def test_serf_status_from_registration_and_liveness() -> None:
    members = [member(1), member(2), member(3)]
    statuses = {m.id: status(m.id) for m in members}
    regs = {1: reg(1), 2: reg(2)}
    report = compute_health(round_of(members, statuses, regs=regs, alive=frozenset({"uuid-1"})), {})
    assert report.server(1).serf_status == "alive"
    assert report.server(2).serf_status == "failed" and not report.server(2).healthy
    unregistered = report.server(3)
    assert unregistered.serf_status == "left" and unregistered.id == synthetic_server_id(3)
    assert unregistered.name == "s3" and not unregistered.healthy


def test_learners_count_for_health_but_not_for_tolerance() -> None:
    members = [member(1), member(2), member(3), member(4, learner=True)]
    report = compute_health(round_of(members, {m.id: status(m.id) for m in members}), {})
    assert report.healthy and len(report.voters) == 3 and report.failure_tolerance == 1
    assert not report.server(4).voter and report.servers[-1].member.id == 4


def test_stable_since_is_kept_until_health_flips() -> None:
    first = compute_health(three(), {})
    previous = {s.member.id: (s.healthy, s.stable_since) for s in first.servers}
    later = compute_health(three(started=NOW + 5, wall=WALL + 5, last_ok={2: NOW}), previous)
    assert later.server(1).stable_since == WALL  # still healthy: unchanged
    assert later.server(2).stable_since == WALL + 5  # flipped to unhealthy: reset


def test_no_members_is_not_healthy() -> None:
    assert not compute_health(round_of([], {}), {}).healthy


def test_rfc3339_rounds_to_the_second() -> None:
    assert rfc3339_second(0.5) == "1970-01-01T00:00:01Z"
    assert rfc3339_second(0.49) == "1970-01-01T00:00:00Z"


def test_stabilization_counts_only_once_health_was_tracked_that_long() -> None:
    report = compute_health(three(settings=AutopilotSettings(server_stabilization_time=10)), {})
    assert report.stabilization_time(report.poller_started + 5) == 0.0
    assert report.stabilization_time(report.poller_started + 11) == 10


def test_settings_from_the_stored_document() -> None:
    doc = {
        "CleanupDeadServers": False,
        "LastContactThreshold": "1s",
        "MaxTrailingLogs": 10,
        "MinQuorum": 3,
        "ServerStabilizationTime": "1m30s",
    }
    s = AutopilotSettings.from_document(doc)
    assert (s.cleanup_dead_servers, s.last_contact_threshold, s.max_trailing_logs) == (False, 1.0, 10)
    assert (s.min_quorum, s.server_stabilization_time) == (3, 90.0)
    assert AutopilotSettings.from_document(None) == AutopilotSettings()
    broken = AutopilotSettings.from_document({"LastContactThreshold": "soon", "MaxTrailingLogs": True})
    assert broken.last_contact_threshold == 0.2 and broken.max_trailing_logs == 250
    assert AutopilotSettings.from_document({"ServerStabilizationTime": 2_000_000_000}).server_stabilization_time == 2


@pytest.mark.parametrize(
    ("candidates", "potential", "min_quorum", "expected"),
    [
        ([("a", True)], 3, 0, ["a"]),  # 1 of 3 voters
        ([("a", True), ("b", True)], 3, 0, ["a"]),  # never a majority
        ([("a", True), ("b", True)], 5, 0, ["a", "b"]),
        ([("a", True), ("b", True), ("c", True)], 5, 0, ["a", "b"]),
        ([("a", True)], 2, 0, []),  # (2-1)/2 = 0
        ([("a", True)], 3, 3, []),  # MinQuorum 3 would be undercut
        ([("a", True), ("b", True)], 5, 4, ["a"]),
        ([("l", False)], 1, 0, ["l"]),  # a non-voter is not bound by maxRemoval
        ([("l", False), ("a", True)], 4, 0, ["l"]),  # the learner used up this round's one removal
    ],
)
def test_adjudicate_removal(candidates, potential, min_quorum, expected) -> None:
    assert adjudicate_removal(candidates, potential, min_quorum) == expected


def test_plan_cleanup_removes_dead_learners_first_and_keeps_quorum() -> None:
    members = [member(1), member(2), member(3), member(4), member(5), member(6, learner=True)]
    dead = {4: NOW - 60, 5: NOW - 60, 6: NOW - 60, 3: NOW - 2}
    rnd = round_of(members, {m.id: status(m.id) for m in members}, last_ok=dead)
    report = compute_health(rnd, {})
    plan = plan_cleanup(report, dead_after=30)
    # The learner first (from 6 potential voters); then the voters' batch from the 5 left: (5-1)/2 = 2.
    assert [s.member.id for s in plan] == [6, 4, 5]
    assert plan_cleanup(report, dead_after=300) == []


def test_plan_cleanup_never_removes_a_majority_of_voters() -> None:
    members = [member(n) for n in range(1, 6)]
    dead = {3: NOW - 60, 4: NOW - 60, 5: NOW - 60}
    report = compute_health(round_of(members, {m.id: status(m.id) for m in members}, last_ok=dead), {})
    assert [s.member.id for s in plan_cleanup(report, dead_after=30)] == [3, 4]
