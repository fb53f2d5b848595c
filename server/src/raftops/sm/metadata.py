"""The executor's per-policy state (model/SMMetadata.kt): one document per policy, both workflows in it.

Rendered as upstream's ``toXContent``: times in epoch millis, ``end_time`` null until known, ``info``
only when it has a message or a cause, ``started`` and ``retry`` only while set.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

CREATION, DELETION = "CREATION", "DELETION"
START = {CREATION: "CREATION_START", DELETION: "DELETION_START"}

IN_PROGRESS, RETRYING, SUCCESS, FAILED, TIME_LIMIT_EXCEEDED = (
    "IN_PROGRESS",
    "RETRYING",
    "SUCCESS",
    "FAILED",
    "TIME_LIMIT_EXCEEDED",
)


def prefix_time(message: str, now_ms: int) -> str:
    """SMUtils.preFixTimeStamp: ``[<ISO instant, whole seconds>]: <message>``."""
    stamp = datetime.fromtimestamp(now_ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"[{stamp}]: {message}"


@dataclass(frozen=True)
class LatestExecution:
    status: str
    start_time: int
    end_time: int | None = None
    message: str | None = None
    cause: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "start_time": self.start_time, "end_time": self.end_time}
        if self.message is not None or self.cause is not None:
            info: dict[str, Any] = {}
            if self.message is not None:
                info["message"] = self.message
            if self.cause is not None:
                info["cause"] = self.cause
            out["info"] = info
        return out

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> LatestExecution:
        info = doc.get("info") or {}
        return cls(doc["status"], int(doc["start_time"]), doc.get("end_time"), info.get("message"), info.get("cause"))


@dataclass(frozen=True)
class Workflow:
    current_state: str
    trigger_time: int
    started: tuple[str, ...] | None = None
    latest: LatestExecution | None = None
    retry: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"current_state": self.current_state, "trigger": {"time": self.trigger_time}}
        if self.started is not None:
            out["started"] = list(self.started)
        if self.latest is not None:
            out["latest_execution"] = self.latest.to_json()
        if self.retry is not None:
            out["retry"] = {"count": self.retry}
        return out

    @classmethod
    def from_json(cls, doc: dict[str, Any] | None) -> Workflow | None:
        if doc is None:
            return None
        started = doc.get("started")
        latest = doc.get("latest_execution")
        retry = doc.get("retry")
        return cls(
            doc["current_state"],
            int(doc["trigger"]["time"]),
            tuple(started) if started is not None else None,
            LatestExecution.from_json(latest) if latest else None,
            int(retry["count"]) if retry else None,
        )

    def set_latest(
        self,
        status: str,
        now_ms: int,
        *,
        message: str | None = None,
        cause: str | None = None,
        end_time: int | None = None,
    ) -> Workflow:
        """Builder.setLatestExecution: a fresh execution unless one is running (``started`` set)."""
        msg = prefix_time(message, now_ms) if message is not None else None
        why = prefix_time(cause, now_ms) if cause is not None else None
        if self.started is None:
            return replace(self, latest=LatestExecution(status, now_ms, None, msg, why))
        if self.latest is None:
            return self
        return replace(self, latest=replace(self.latest, status=status, message=msg, cause=why, end_time=end_time))

    def reset(self, kind: str) -> Workflow:
        """Builder.resetWorkflow: back to *_START, nothing started, no retry."""
        return replace(self, current_state=START[kind], started=None, retry=None)


@dataclass(frozen=True)
class Metadata:
    name: str
    policy_seq_no: int
    policy_primary_term: int
    creation: Workflow | None
    deletion: Workflow | None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "policy_seq_no": self.policy_seq_no,
            "policy_primary_term": self.policy_primary_term,
        }
        if self.creation is not None:
            out["creation"] = self.creation.to_json()
        if self.deletion is not None:
            out["deletion"] = self.deletion.to_json()
        return out

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Metadata:
        return cls(
            doc["name"],
            int(doc["policy_seq_no"]),
            int(doc["policy_primary_term"]),
            Workflow.from_json(doc.get("creation")),
            Workflow.from_json(doc.get("deletion")),
        )

    def workflow(self, kind: str) -> Workflow | None:
        return self.creation if kind == CREATION else self.deletion

    def with_workflow(self, kind: str, wf: Workflow | None) -> Metadata:
        return replace(self, creation=wf) if kind == CREATION else replace(self, deletion=wf)

    def explain(self) -> dict[str, Any]:
        """ExplainSMPolicy's fields, in its order: deletion, policy_seq_no, policy_primary_term, creation."""
        out: dict[str, Any] = {}
        if self.deletion is not None:
            out["deletion"] = self.deletion.to_json()
        out["policy_seq_no"] = self.policy_seq_no
        out["policy_primary_term"] = self.policy_primary_term
        if self.creation is not None:
            out["creation"] = self.creation.to_json()
        return out
