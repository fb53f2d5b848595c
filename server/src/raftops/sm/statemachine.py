"""Upstream's SM state machine (engine/SMStateMachine.kt, engine/states/*, SMRunner.kt), run against a context.

Creation: CREATION_START -> CREATION_CONDITION_MET -> CREATING -> CREATION_FINISHED -> CREATION_START,
deletion likewise. A run walks the transitions while a state returns Next and the state it reached is
``continuous``; CREATING and DELETING are not, so a run stops after issuing its request and the next
run checks it. Each state returns Next (move on), Stay (keep the previous state) or Fail (retry the
state up to three more times, then FAILED and reset; or reset at once when forced).

This module is pure logic: snapshots, time and notifications come from a :class:`Context`.
Departures from upstream, each for a reason given in docs/api/sm.md: a time-limit notification is
sent with the time-limit message (upstream sends none because that status carries no message), and a
failed delete counts against the deletion workflow's retries (upstream counts it against creation's,
so deletion retries never run out).
"""

from __future__ import annotations

import logging
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from . import cron, datefmt
from .metadata import (
    CREATION,
    DELETION,
    FAILED,
    IN_PROGRESS,
    RETRYING,
    START,
    SUCCESS,
    TIME_LIMIT_EXCEEDED,
    Metadata,
    Workflow,
)
from .policy import DEFAULT_DATE_FORMAT, DeleteCondition, Policy
from .wildcard import simple_match

log = logging.getLogger(__name__)

MAX_NUMBER_OF_RETRIES = 3
RANDOM_CHARS = string.ascii_lowercase + string.digits

TRANSITIONS = {
    CREATION: {
        "CREATION_START": "CREATION_CONDITION_MET",
        "CREATION_CONDITION_MET": "CREATING",
        "CREATING": "CREATION_FINISHED",
        "CREATION_FINISHED": "CREATION_START",
    },
    DELETION: {
        "DELETION_START": "DELETION_CONDITION_MET",
        "DELETION_CONDITION_MET": "DELETING",
        "DELETING": "DELETION_FINISHED",
        "DELETION_FINISHED": "DELETION_START",
    },
}
NOT_CONTINUOUS = {"CREATING", "DELETING"}


@dataclass(frozen=True)
class SnapshotInfo:
    name: str
    state: str  # SUCCESS, IN_PROGRESS, FAILED, PARTIAL
    start_time: int
    metadata: dict
    end_time: int = 0
    reason: str | None = None


class SnapshotError(Exception):
    """A repository call failed (the message is what ``latest_execution.info.cause`` shows)."""


class Context(Protocol):
    def now(self) -> int: ...

    def list_snapshots(self, patterns: list[str]) -> list[SnapshotInfo]:
        """Snapshots whose names match any of ``patterns`` (``*`` wildcards), running ones included."""
        ...

    def create_snapshot(self, name: str, policy: Policy) -> None:
        """Issue the creation (it completes in the background); raise SnapshotError when it cannot start."""
        ...

    def delete_snapshots(self, names: list[str]) -> None: ...

    def notify(self, condition: str, message: str) -> None:
        """Send ``message`` if the policy's notification enables ``condition``."""
        ...


@dataclass(frozen=True)
class Result:
    kind: str  # "next", "stay" or "fail"
    md: Metadata
    workflow: str = CREATION
    force_reset: bool = False


def kt_list(items: list[str] | tuple[str, ...]) -> str:
    """Kotlin's List.toString."""
    return "[" + ", ".join(items) + "]"


def snapshot_name(policy: Policy, now_ms: int, rand: random.Random | None = None) -> str:
    """SMUtils.generateSnapshotName: ``<policy>-<date, lowercased>-<8 random [a-z0-9]>``."""
    pattern = policy.snapshot_config.get("date_format") or DEFAULT_DATE_FORMAT
    tz_id = policy.snapshot_config.get("date_format_timezone")
    tz = cron.zone(tz_id) if tz_id is not None else UTC
    when = datetime.fromtimestamp(now_ms / 1000, tz=UTC).astimezone(tz)
    date = datefmt.compile_pattern(str(pattern)).format(when).lower()
    r = rand or random.SystemRandom()
    return f"{policy.name}-{date}-{''.join(r.choice(RANDOM_CHARS) for _ in range(8))}"


def initial_metadata(policy: Policy, seq_no: int, primary_term: int, now_ms: int) -> Metadata:
    """SMRunner.getInitialMetadata."""
    creation = deletion = None
    if policy.creation is not None:
        creation = Workflow(START[CREATION], policy.creation.schedule.next_after(now_ms) or now_ms)
    if policy.deletion is not None:
        deletion = Workflow(START[DELETION], policy.deletion.schedule.next_after(now_ms) or now_ms)
    return Metadata(policy.name, seq_no, primary_term, creation, deletion)


def handle_policy_change(md: Metadata, policy: Policy, seq_no: int, primary_term: int, now_ms: int) -> Metadata:
    """SMStateMachine.handlePolicyChange: a newer policy recomputes both triggers from now."""
    if seq_no <= md.policy_seq_no and primary_term <= md.policy_primary_term:
        return md
    md = replace(md, policy_seq_no=seq_no, policy_primary_term=primary_term)
    if policy.creation is not None:
        md = _set_trigger(md, CREATION, policy.creation.schedule.next_after(now_ms) or now_ms)
    if policy.deletion is not None:
        md = _set_trigger(md, DELETION, policy.deletion.schedule.next_after(now_ms) or now_ms)
    return md


def _set_trigger(md: Metadata, kind: str, time_ms: int) -> Metadata:
    wf = md.workflow(kind)
    wf = Workflow(START[kind], time_ms) if wf is None else replace(wf, trigger_time=time_ms)
    return md.with_workflow(kind, wf)


def filter_by_delete_condition(snapshots: list[SnapshotInfo], cond: DeleteCondition, now_ms: int) -> list[str]:
    """DeletingState.filterByDeleteCondition: the oldest snapshots past max_age or beyond max_count,
    never leaving fewer than min_count when deleting by age."""
    infos = sorted(snapshots, key=lambda s: s.start_time)
    threshold = 0
    if cond.max_age is not None:
        cutoff = now_ms - (cond.max_age.nanos // 1_000_000_000) * 1000  # Instant.minusSeconds(maxAge.seconds())
        last = -1
        for i, snap in enumerate(infos):
            if snap.start_time < cutoff:
                last = i
        threshold = last + 1
        if len(infos) - threshold < cond.min_count:
            threshold = max(0, len(infos) - cond.min_count)
    if cond.max_count is not None and len(infos) - threshold > cond.max_count:
        threshold = len(infos) - cond.max_count
    return [s.name for s in infos[:threshold]]


class Runner:
    """One job run of one policy: creation then deletion, sharing one metadata document."""

    def __init__(self, ctx: Context, policy: Policy, md: Metadata):
        self.ctx = ctx
        self.policy = policy
        self.md = md
        self.now = ctx.now()
        self.failed: set[str] = set()  # workflows that ended this run with a Fail (the executor backs off)

    # -- helpers ----------------------------------------------------------------------------------
    def _wf(self, md: Metadata, kind: str) -> Workflow:
        wf = md.workflow(kind)
        assert wf is not None
        return wf

    def _latest(self, md: Metadata, kind: str, status: str, **kw: object) -> Metadata:
        return md.with_workflow(kind, self._wf(md, kind).set_latest(status, self.now, **kw))  # type: ignore[arg-type]

    def _started(self, md: Metadata, kind: str, names: list[str] | None) -> Metadata:
        wf = self._wf(md, kind)
        return md.with_workflow(kind, replace(wf, started=tuple(names) if names is not None else None))

    def _get_snapshots(
        self, md: Metadata, kind: str, pattern_csv: str, error_message: str
    ) -> tuple[bool, list[SnapshotInfo], Metadata]:
        """SMUtils.getSnapshots: the policy's snapshots (by metadata) plus matches of other patterns."""
        patterns = [p.strip() for p in pattern_csv.split(",")]
        try:
            snapshots = self.ctx.list_snapshots(patterns)
        except SnapshotError as exc:
            log.warning("policy %s: %s %s", self.policy.name, error_message, exc)
            return True, [], self._latest(md, kind, RETRYING, message=error_message, cause=str(exc))
        own_pattern = f"{self.policy.name}*"
        others = [s for s in snapshots if any(p != own_pattern and simple_match(p, s.name) for p in patterns)]
        mine = [s for s in snapshots if s.metadata.get("sm_policy") == self.policy.name]
        return False, mine + others, md

    def _update_trigger(self, md: Metadata, kind: str, schedule: cron.CronSchedule) -> Metadata:
        """SMUtils.tryUpdatingNextExecutionTime, when the trigger time has passed."""
        wf = self._wf(md, kind)
        if self.now >= wf.trigger_time:
            nxt = schedule.next_after(self.now)
            if nxt is not None:
                return md.with_workflow(kind, replace(wf, trigger_time=nxt))
        return md

    def _time_limit_exceeded(self, md: Metadata, kind: str, limit: object) -> Result:
        step = "creation" if kind == CREATION else "deletion"
        message = f"Time limit {limit} exceeded during snapshot {step} step"
        log.warning("policy %s: %s", self.policy.name, message)
        md = self._latest(md, kind, TIME_LIMIT_EXCEEDED, cause=message, end_time=self.now)
        return Result("fail", md, kind, force_reset=True)

    # -- creation states ------------------------------------------------------------------------------
    def creation_start(self, md: Metadata) -> Result:
        return Result("next", md)

    def creation_condition_met(self, md: Metadata) -> Result:
        creation = self.policy.creation
        if creation is None:
            return Result("fail", md.with_workflow(CREATION, None), CREATION, force_reset=True)
        if md.creation is None:
            md = _set_trigger(md, CREATION, creation.schedule.next_after(self.now) or self.now)
        if self.now < self._wf(md, CREATION).trigger_time:
            return Result("stay", md)
        return Result("next", self._update_trigger(md, CREATION, creation.schedule))

    def creating(self, md: Metadata) -> Result:
        creation = self.policy.creation
        if creation is None:
            return Result("fail", md.with_workflow(CREATION, None), CREATION, force_reset=True)
        wf = self._wf(md, CREATION)
        if not wf.started:
            failed, snapshots, md = self._get_snapshots(
                md,
                CREATION,
                f"{self.policy.name}*",
                "Caught exception while getting snapshots to decide if snapshot has been created in previous "
                "execution period.",
            )
            if failed:
                return Result("fail", md, CREATION)
            period_start = creation.schedule.last_at_or_before(self.now)
            existing = _created_since(period_start if period_start is not None else self.now, snapshots)
            if existing is not None:
                log.info("policy %s: snapshot %s was already created in this period", self.policy.name, existing)
                md = self._latest(md, CREATION, IN_PROGRESS)
                return Result("next", self._started(md, CREATION, [existing]))
        name = snapshot_name(self.policy, self.now)
        try:
            self.ctx.create_snapshot(name, self.policy)
        except SnapshotError as exc:
            message = f"Caught exception while creating snapshot {name}."
            log.warning("policy %s: %s %s", self.policy.name, message, exc)
            return Result("fail", self._latest(md, CREATION, RETRYING, message=message, cause=str(exc)), CREATION)
        md = self._latest(
            md, CREATION, IN_PROGRESS, message=f"Snapshot {name} creation has been started and waiting for completion."
        )
        return Result("next", self._started(md, CREATION, [name]))

    def creation_finished(self, md: Metadata) -> Result:
        wf = self._wf(md, CREATION)
        if wf.started:
            name = wf.started[0]
            if wf.latest is None:
                md = md.with_workflow(CREATION, wf.reset(CREATION))
            else:
                failed, snapshots, md = self._get_snapshots(
                    md, CREATION, name, f"Caught exception while getting started creation snapshot [{name}]."
                )
                if failed:
                    return Result("fail", md, CREATION)
                result = self._check_created(md, name, snapshots)
                if isinstance(result, Result):
                    return result
                md = result
        if self._wf(md, CREATION).started is not None:
            return Result("stay", md)
        return Result("next", md)

    def _check_created(self, md: Metadata, name: str, snapshots: list[SnapshotInfo]) -> Metadata | Result:
        if not snapshots:  # gone (deleted by someone, or its creator died): upstream reports SUCCESS
            md = self._latest(
                md,
                CREATION,
                SUCCESS,
                message=f"Snapshot {name} not found while checking if it has been created.",
                end_time=self.now,
            )
            return md.with_workflow(CREATION, self._wf(md, CREATION).reset(CREATION))
        snapshot = snapshots[0]
        if snapshot.state == "SUCCESS":
            message = f"Snapshot {name} creation has finished successfully."
            md = self._latest(md, CREATION, SUCCESS, message=message, end_time=self.now)
            md = self._started(md, CREATION, None)
            self.ctx.notify("creation", message)
        elif snapshot.state == "IN_PROGRESS":
            limit = self.policy.creation.time_limit if self.policy.creation else None
            latest = self._wf(md, CREATION).latest
            if limit is not None and latest is not None and self.now - latest.start_time > limit.millis:
                return self._time_limit_exceeded(md, CREATION, limit)
        else:
            md = self._latest(
                md,
                CREATION,
                FAILED,
                message=f"Snapshot {name} creation failed as the snapshot is in the {snapshot.state} state.",
                cause=snapshot.reason,
                end_time=self.now,
            )
            return Result("fail", self._started(md, CREATION, None), CREATION, force_reset=True)
        if self.policy.creation is not None:
            md = self._update_trigger(md, CREATION, self.policy.creation.schedule)
        return md

    # -- deletion states ----------------------------------------------------------------------------
    def deletion_start(self, md: Metadata) -> Result:
        return Result("next", md)

    def deletion_condition_met(self, md: Metadata) -> Result:
        deletion = self.policy.deletion
        if deletion is None:
            return Result("fail", md.with_workflow(DELETION, None), DELETION, force_reset=True)
        if md.deletion is None:
            md = _set_trigger(md, DELETION, deletion.schedule.next_after(self.now) or self.now)
        if self.now < self._wf(md, DELETION).trigger_time:
            return Result("stay", md)
        return Result("next", self._update_trigger(md, DELETION, deletion.schedule))

    def _deletion_pattern(self) -> str:
        pattern = f"{self.policy.name}*"
        if self.policy.deletion is not None and self.policy.deletion.snapshot_pattern is not None:
            pattern += "," + self.policy.deletion.snapshot_pattern
        return pattern

    def deleting(self, md: Metadata) -> Result:
        deletion = self.policy.deletion
        if deletion is None:
            return Result("fail", md.with_workflow(DELETION, None), DELETION, force_reset=True)
        failed, snapshots, md = self._get_snapshots(
            md,
            DELETION,
            self._deletion_pattern(),
            "Caught exception while getting snapshots to decide which snapshots to delete.",
        )
        if failed:
            return Result("fail", md, DELETION)
        unique: dict[str, SnapshotInfo] = {}
        for s in snapshots:
            unique.setdefault(s.name, s)
        candidates = [s for s in unique.values() if s.state != "IN_PROGRESS"]
        to_delete = filter_by_delete_condition(candidates, deletion.condition, self.now)
        if to_delete:
            try:
                self.ctx.delete_snapshots(to_delete)
            except SnapshotError as exc:
                message = f"Caught exception while deleting snapshot {kt_list(to_delete)}."
                log.warning("policy %s: %s %s", self.policy.name, message, exc)
                md = self._latest(md, DELETION, RETRYING, message=message, cause=str(exc))
                return Result("fail", md, DELETION)
            md = self._latest(
                md,
                DELETION,
                IN_PROGRESS,
                message=f"Snapshots {kt_list(to_delete)} deletion has been started and waiting for completion.",
            )
            md = self._started(md, DELETION, to_delete)
        return Result("next", md)

    def deletion_finished(self, md: Metadata) -> Result:
        wf = self._wf(md, DELETION)
        if wf.started:
            started = list(wf.started)
            if wf.latest is None:
                md = md.with_workflow(DELETION, wf.reset(DELETION))
            else:
                failed, snapshots, md = self._get_snapshots(
                    md,
                    DELETION,
                    self._deletion_pattern(),
                    f"Caught exception while getting snapshots to decide if snapshots [{kt_list(started)}] "
                    "has been deleted.",
                )
                if failed:
                    return Result("fail", md, DELETION)
                remaining = {s.name for s in snapshots} & set(started)
                if not remaining:
                    message = f"Snapshot(s) {kt_list(started)} deletion has finished."
                    self.ctx.notify("deletion", message)
                    md = self._latest(md, DELETION, SUCCESS, message=message, end_time=self.now)
                    md = self._started(md, DELETION, None)
                else:
                    limit = self.policy.deletion.time_limit if self.policy.deletion else None
                    latest = self._wf(md, DELETION).latest
                    if limit is not None and latest is not None and self.now - latest.start_time > limit.millis:
                        return self._time_limit_exceeded(md, DELETION, limit)
                    log.info("policy %s: snapshots not deleted yet: %s", self.policy.name, sorted(remaining))
                if self.policy.deletion is not None:
                    md = self._update_trigger(md, DELETION, self.policy.deletion.schedule)
        if self._wf(md, DELETION).started is not None:
            return Result("stay", md)
        return Result("next", md)

    # -- the loop (SMStateMachine.next) ------------------------------------------------------------
    def _state(self, name: str) -> Callable[[Metadata], Result]:
        return getattr(self, name.lower())

    def run(self) -> Metadata:
        for kind in (CREATION, DELETION):
            if self.md.workflow(kind) is not None:
                self.md = self._run_workflow(kind, self.md)
        return self.md

    def _run_workflow(self, kind: str, md: Metadata) -> Metadata:
        try:
            state = self._wf(md, kind).current_state
            for _ in range(2 * len(TRANSITIONS[kind])):  # a run never goes round the cycle more than once
                nxt = TRANSITIONS[kind].get(state)
                if nxt is None:
                    log.error("policy %s: no next state after %s", self.policy.name, state)
                    return md
                previous, state = state, nxt
                result = self._state(nxt)(md)
                if result.kind == "next":
                    md = self._set_state(result.md, kind, state)
                elif result.kind == "stay":
                    md = self._set_state(result.md, kind, previous)
                else:
                    self._notify_failure(result)
                    self.failed.add(result.workflow)
                    md = self._handle_fail(result, previous)
                if state in NOT_CONTINUOUS or result.kind != "next":
                    return md
            return md
        except Exception:  # upstream's catch-all: log, notify, keep what was already decided
            log.exception("uncaught error running snapshot management policy %s", self.policy.name)
            stamp = datetime.fromtimestamp(self.now / 1000, tz=UTC).isoformat(timespec="milliseconds")
            self.ctx.notify(
                "failure",
                f"There was an exception at {stamp.replace('+00:00', 'Z')} while executing Snapshot Management "
                f"policy {self.policy.name}, please check logs.",
            )
            self.failed.add(kind)
            return md

    def _set_state(self, md: Metadata, kind: str, state: str) -> Metadata:
        wf = md.workflow(kind)
        if wf is None:
            return md
        return md.with_workflow(kind, replace(wf, current_state=state, retry=None))

    def _notify_failure(self, result: Result) -> None:
        wf = result.md.workflow(result.workflow)
        latest = wf.latest if wf is not None else None
        if latest is None:
            return
        if latest.status == TIME_LIMIT_EXCEEDED:
            self.ctx.notify("time_limit_exceeded", latest.message or latest.cause or "")
        elif latest.message is not None:
            self.ctx.notify("failure", latest.message)

    def _handle_fail(self, result: Result, previous: str) -> Metadata:
        kind = result.workflow
        md = result.md
        wf = md.workflow(kind)
        if wf is None:
            return md
        if result.force_reset:
            return md.with_workflow(kind, wf.reset(kind))
        wf = replace(wf, current_state=previous)
        if wf.retry is None:
            log.warning("policy %s: retrying state %s, remaining count 3", self.policy.name, previous)
            return md.with_workflow(kind, replace(wf, retry=MAX_NUMBER_OF_RETRIES))
        remaining = wf.retry - 1
        if remaining > 0:
            log.warning("policy %s: retrying state %s, remaining count %d", self.policy.name, previous, remaining)
            return md.with_workflow(kind, replace(wf, retry=remaining))
        log.warning("policy %s: retry count exhausted for %s, reset workflow %s", self.policy.name, previous, kind)
        wf = wf.set_latest(FAILED, self.now, end_time=self.now)
        return md.with_workflow(kind, wf.reset(kind))


def _created_since(period_start: int, snapshots: list[SnapshotInfo]) -> str | None:
    """CreatingState.checkCreatedSnapshots: the latest snapshot, if it started in this period."""
    if not snapshots:
        return None
    latest = sorted(snapshots, key=lambda s: s.start_time)[-1]
    return latest.name if latest.start_time >= period_start else None
