"""The SM policy document: parsing with upstream's rules and messages (model/SMPolicy.kt), and rendering.

``parse`` reads a request body (or a stored document) in document order, the way SMPolicy.parse
walks its XContent, so the first problem reported is the one upstream reports; ``Policy.render``
gives the ``sm_policy`` object as OpenSearch prints it (optional fields omitted, ``enabled_time``
null when disabled, TimeValues normalised: "24h" -> "1d").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ..errors import UpstreamError, illegal_argument, parse_exception
from . import cron, datefmt, schema, timevalue
from .cron import CronSchedule, IntervalSchedule

SCHEMA_VERSION = 30  # _meta.schema_version of opendistro-ism-config.json at upstream HEAD
DEFAULT_DATE_FORMAT = "yyyy-MM-dd'T'HH:mm:ss"
DEFAULT_MIN_COUNT = 1


@dataclass(frozen=True)
class Creation:
    schedule: CronSchedule
    time_limit: timevalue.TimeValue | None = None

    def render(self, exact: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"schedule": self.schedule.to_json()}
        if self.time_limit is not None:
            out["time_limit"] = _tv(self.time_limit, exact)
        return out


@dataclass(frozen=True)
class DeleteCondition:
    min_count: int = DEFAULT_MIN_COUNT
    max_age: timevalue.TimeValue | None = None
    max_count: int | None = None

    def render(self, exact: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.max_age is not None:
            out["max_age"] = _tv(self.max_age, exact)
        out["min_count"] = self.min_count
        if self.max_count is not None:
            out["max_count"] = self.max_count
        return out


@dataclass(frozen=True)
class Deletion:
    schedule: CronSchedule
    condition: DeleteCondition
    time_limit: timevalue.TimeValue | None = None
    snapshot_pattern: str | None = None
    schedule_provided: bool = True

    def render(self, exact: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"schedule": self.schedule.to_json(), "condition": self.condition.render(exact)}
        if self.time_limit is not None:
            out["time_limit"] = _tv(self.time_limit, exact)
        if self.snapshot_pattern is not None:
            out["snapshot_pattern"] = self.snapshot_pattern
        return out


@dataclass(frozen=True)
class Conditions:
    creation: bool = True
    deletion: bool = False
    failure: bool = False
    time_limit_exceeded: bool = False


@dataclass(frozen=True)
class Notification:
    channel_id: str
    conditions: Conditions = field(default_factory=Conditions)

    def render(self) -> dict[str, Any]:
        c = self.conditions
        return {
            "channel": {"id": self.channel_id},
            "conditions": {
                "creation": c.creation,
                "deletion": c.deletion,
                "failure": c.failure,
                "time_limit_exceeded": c.time_limit_exceeded,
            },
        }


@dataclass(frozen=True)
class Policy:
    name: str
    schema_version: int
    creation: Creation | None
    deletion: Deletion | None
    snapshot_config: dict[str, Any]
    enabled: bool
    last_updated_time: int
    enabled_time: int | None
    schedule: CronSchedule | IntervalSchedule
    description: str | None = None
    notification: Notification | None = None

    @property
    def repository(self) -> str:
        return str(self.snapshot_config.get("repository"))

    @property
    def job_interval_ms(self) -> int:
        return self.schedule.period_ms if isinstance(self.schedule, IntervalSchedule) else 60_000

    def render(self, exact: bool = False) -> dict[str, Any]:
        """The ``sm_policy`` object; ``exact`` keeps TimeValues lossless (what is stored), else OpenSearch's print."""
        out: dict[str, Any] = {"name": self.name}
        if self.description is not None:
            out["description"] = self.description
        out["schema_version"] = self.schema_version
        if self.creation is not None:
            out["creation"] = self.creation.render(exact)
        if self.deletion is not None:
            out["deletion"] = self.deletion.render(exact)
        out["snapshot_config"] = self.snapshot_config
        out["schedule"] = self.schedule.to_json()
        out["enabled"] = self.enabled
        out["last_updated_time"] = self.last_updated_time
        out["enabled_time"] = self.enabled_time
        if self.notification is not None:
            out["notification"] = self.notification.render()
        return out

    def with_enabled(self, enabled: bool, now_ms: int) -> Policy:
        """What the start/stop partial updates write."""
        return replace(self, enabled=enabled, enabled_time=now_ms if enabled else None, last_updated_time=now_ms)


def _tv(value: timevalue.TimeValue, exact: bool) -> str:
    return value.exact() if exact else str(value)


# -- parsing ---------------------------------------------------------------------------------------
def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UpstreamError.parsing(f"Failed to parse object [{what}]: expecting token of type [START_OBJECT]")
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _time_value(value: Any, setting: str) -> timevalue.TimeValue:
    try:
        return timevalue.parse(_text(value), setting)
    except timevalue.TimeValueError as exc:
        raise (illegal_argument(str(exc)) if exc.illegal_argument else parse_exception(str(exc))) from None


def _cron(value: Any) -> CronSchedule:
    parsed = cron.parse_schedule(value)
    if not isinstance(parsed, CronSchedule):  # pragma: no cover - parse_schedule only gives cron here
        raise illegal_argument("Unknown schedule type interval")
    return parsed


def _creation(value: Any) -> Creation:
    schedule = time_limit = None
    for key, item in _object(value, "creation").items():
        if key == "schedule":
            schedule = _cron(item)
        elif key == "time_limit":
            time_limit = _time_value(item, "time_limit")
    if schedule is None:
        raise illegal_argument("schedule field must not be null")
    return Creation(schedule, time_limit)


def _condition(value: Any) -> DeleteCondition:
    max_age = max_count = None
    min_count = DEFAULT_MIN_COUNT
    for key, item in _object(value, "condition").items():
        if key == "max_count":
            max_count = schema.to_int(item)
        elif key == "max_age":
            max_age = _time_value(item, "max_age")
        elif key == "min_count":
            min_count = schema.to_int(item)
    if max_age is None and max_count is None:
        raise illegal_argument("Please provide max_age or max_count.")
    if min_count <= 0:
        raise illegal_argument("min_count should be bigger than 0.")
    if max_count is not None and max_count - min_count <= 0:
        raise illegal_argument("max_count should be bigger than min_count.")
    return DeleteCondition(min_count, max_age, max_count)


def _deletion(value: Any) -> Deletion:
    schedule = time_limit = condition = pattern = None
    for key, item in _object(value, "deletion").items():
        if key == "schedule":
            schedule = _cron(item)
        elif key == "time_limit":
            time_limit = _time_value(item, "time_limit")
        elif key == "condition":
            condition = _condition(item)
        elif key == "snapshot_pattern":
            pattern = _text(item)
    if condition is None:
        raise illegal_argument("condition must not be null.")
    if schedule is None:  # a placeholder until the creation schedule replaces it
        return Deletion(CronSchedule("0 1 * * *", "UTC"), condition, time_limit, pattern, schedule_provided=False)
    return Deletion(schedule, condition, time_limit, pattern)


def _notification(value: Any) -> Notification:
    channel: str | None = None
    conditions = Conditions()
    for key, item in _object(value, "notification").items():
        if key == "channel":
            ids = None
            for ck, cv in _object(item, "channel").items():
                if ck != "id":
                    raise UpstreamError(  # upstream: a 500; the client's mistake, so a 400 here
                        400, "illegal_state_exception", f"Unexpected field: {ck}, while parsing Channel destination"
                    )
                ids = cv
            if ids is None:
                raise illegal_argument("Channel ID is null")
            channel = _text(ids)
        elif key == "conditions":
            values = {}
            for ck, cv in _object(item, "conditions").items():
                if ck not in ("creation", "deletion", "failure", "time_limit_exceeded"):
                    raise illegal_argument(f"Invalid field: [{ck}] found in conditions.")
                values[ck] = schema.to_bool(cv)
            conditions = Conditions(**values)
        else:
            raise illegal_argument(f"Invalid field: [{key}] found in Snapshot Management notification config.")
    if channel is None:
        raise illegal_argument("Snapshot Management notification channel must not be null")
    return Notification(channel, conditions)


def _millis(value: Any) -> int | None:
    return None if value is None else schema.to_int(value, 64)


def parse(body: dict[str, Any], name: str, now_ms: int) -> Policy:
    """SMPolicy.parse followed by its ``init`` checks; raises UpstreamError with upstream's message."""
    schema.check(schema.POLICY, body)
    description = creation = deletion = snapshot_config = last_updated = enabled_time = job_schedule = None
    notification = None
    schema_version = 1
    enabled = True
    for key, value in body.items():
        if key == "name":
            if value is None:
                raise illegal_argument("The name field of SMPolicy must not be null.")
        elif key == "description":
            description = None if value is None else _text(value)
        elif key == "schema_version":
            schema_version = schema.to_int(value, 64)
        elif key == "creation":
            creation = _creation(value)
        elif key == "deletion":
            deletion = _deletion(value)
        elif key == "snapshot_config":
            snapshot_config = value
        elif key == "last_updated_time":
            last_updated = _millis(value)
        elif key == "enabled_time":
            enabled_time = _millis(value)
        elif key == "schedule":
            job_schedule = cron.parse_schedule(value, allow_interval=True)
        elif key == "enabled":
            enabled = schema.to_bool(value)
        elif key == "notification":
            notification = _notification(value)
    if enabled and enabled_time is None:
        enabled_time = now_ms
    elif not enabled:
        enabled_time = None
    if last_updated is None:
        last_updated = now_ms
    if job_schedule is None:
        job_schedule = IntervalSchedule(now_ms, 1, "Minutes")
    if deletion is not None and not deletion.schedule_provided:
        if creation is None:
            raise illegal_argument("Schedule not provided for neither deletion policy nor creation policy")
        deletion = replace(deletion, schedule=creation.schedule, schedule_provided=True)
    if snapshot_config is None:
        raise illegal_argument("snapshot_config field must not be null")
    if snapshot_config.get("date_format") is not None:
        check_date_format(str(snapshot_config["date_format"]))
    if creation is None and deletion is None:
        raise illegal_argument("Must provide either creation or deletion configuration.")
    if snapshot_config.get("repository") in (None, ""):
        raise illegal_argument("Must provide the repository in snapshot config.")
    if creation is not None and creation.schedule.next_after(now_ms) is None:
        raise illegal_argument(
            "Next execution time from the creation schedule is null, please provide a valid cron expression."
        )
    if deletion is not None and deletion.schedule.next_after(now_ms) is None:
        raise illegal_argument(
            "Next execution time from the deletion schedule is null, please provide a valid cron expression."
        )
    return Policy(
        name=name,
        schema_version=schema_version,
        creation=creation,
        deletion=deletion,
        snapshot_config=snapshot_config,
        enabled=enabled,
        last_updated_time=last_updated,
        enabled_time=enabled_time,
        schedule=job_schedule,
        description=description,
        notification=notification,
    )


def check_date_format(pattern: str) -> None:
    """SMUtils.validateDateFormat: ``Please provide a valid date format. <reason>``."""
    try:
        datefmt.compile_pattern(pattern).format(datetime.now(UTC))
    except datefmt.DateFormatError as exc:
        raise illegal_argument(f"Please provide a valid date format. {exc}") from None


def for_index(body: dict[str, Any], name: str, now_ms: int) -> Policy:
    """What a create or update stores: the parsed body, ``last_updated_time`` now, the current schema version."""
    return replace(parse(body, name, now_ms), last_updated_time=now_ms, schema_version=SCHEMA_VERSION)
