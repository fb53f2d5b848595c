"""The cluster's configuration documents, each described once: its name, Go names, fields and defaults.

A document (autopilot, scheduler) is one JSON value, stored by name (raftops.store.configdocs), with
Nomad's field names and autopilot durations as Go duration strings (the wire form of its ``GET``).
The HTTP API decodes and validates bodies with it (api/operator_config.py), the OpenAPI document
draws its schemas from it (api/openapi.py), the CLI builds its ``set-config`` flags from it
(commands/operator_*_config.py), the cluster duty writes its defaults, and autopilot reads its
settings (cluster/autopilot_settings.py).
Adding a field is one line here.

Field kinds are the Go types as raftops.api.gobody names them (``bool``, ``uint``, ``uint64``,
``string``, ``duration``) or ``struct`` for a nested Go struct.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from .. import godur
from ..store import configdocs
from ..store.configdocs import ConfigDocuments
from ..store.state import StateStore
from .configdoc import ConfigDocument

log = logging.getLogger(__name__)

BOOL, UINT, UINT64, STRING, DURATION, STRUCT = "bool", "uint", "uint64", "string", "duration", "struct"
INDEX_FIELDS = ("CreateIndex", "ModifyIndex")  # on the wire, from the key's revisions; never stored


class InvalidConfig(ValueError):
    """A decoded document that Nomad would accept but raftops refuses (the message says which field)."""


@dataclass(frozen=True)
class Field:
    name: str  # Nomad's (Go and JSON) field name
    kind: str
    default: Any = None
    flag: str = ""  # the CLI's set-config flag, without dashes ("" = not settable from the CLI)
    help: str = ""
    choices: tuple[str, ...] = ()  # accepted values of a string field (the API's; "" may be one)
    fields: tuple[Field, ...] = ()  # the members of a struct field
    go_type: str = ""  # the Go type name of a struct field


@dataclass(frozen=True)
class DocumentSpec:
    name: str  # the stored document's name (raftops.store.configdocs) and, in messages, "autopilot", "scheduler"
    go_type: str  # the Go struct the API decodes into, without its package ("AutopilotConfiguration")
    fields: tuple[Field, ...] = field(default_factory=tuple)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def defaults(self) -> dict[str, Any]:
        """Nomad's defaults in the wire form (a fresh dict each call)."""
        return _defaults(self.fields)

    def stored(self, conf: dict[str, Any]) -> dict[str, Any]:
        """The document to store from a decoded body: a whole replacement, without the indexes."""
        return {name: conf[name] for name in self.names}

    def view(self, value: dict[str, Any], create_index: int, modify_index: int) -> dict[str, Any]:
        """The API view of a stored document: missing fields take their defaults; the indexes last."""
        out: dict[str, Any] = {}
        for f in self.fields:
            if f.kind == STRUCT:
                out[f.name] = {**_defaults(f.fields), **value.get(f.name, {})}
            else:
                out[f.name] = value.get(f.name, f.default)
        return {**out, "CreateIndex": create_index, "ModifyIndex": modify_index}

    def check_durations(self, conf: dict[str, Any]) -> None:
        """Refuse a negative duration: Nomad stores one, and a negative LastContactThreshold then marks
        every server unhealthy. Overflow is refused while decoding (Go's time.ParseDuration)."""
        _check_durations(self.fields, conf, "")

    def invalid_choice(self, conf: dict[str, Any]) -> Field | None:
        """The first string field whose value is not one of its choices."""
        for f in self.fields:
            if f.choices and conf.get(f.name) not in f.choices:
                return f
        return None


def _defaults(fields: tuple[Field, ...]) -> dict[str, Any]:
    return {f.name: _defaults(f.fields) if f.kind == STRUCT else f.default for f in fields}


def _check_durations(fields: tuple[Field, ...], conf: dict[str, Any], where: str) -> None:
    for f in fields:
        if f.kind == STRUCT:
            _check_durations(f.fields, conf.get(f.name) or {}, f"{where}{f.name}.")
        elif f.kind == DURATION and godur.parse_ns(conf.get(f.name) or "0s") < 0:
            raise InvalidConfig(f"{where}{f.name} must not be negative (was {conf[f.name]})")


# Nomad's defaults: nomad/config.go DefaultConfig (autopilot) and its scheduler defaults.
AUTOPILOT = DocumentSpec(
    configdocs.AUTOPILOT,
    "AutopilotConfiguration",
    (
        Field("CleanupDeadServers", BOOL, True, "cleanup-dead-servers", "remove dead servers automatically"),
        Field(
            "LastContactThreshold",
            DURATION,
            "200ms",
            "last-contact-threshold",
            "time without leader contact before a server is unhealthy",
        ),
        Field(
            "MaxTrailingLogs",
            UINT64,
            250,
            "max-trailing-logs",
            "log entries a server may trail the leader by and stay healthy",
        ),
        Field("MinQuorum", UINT, 0, "min-quorum", "servers below which dead servers are not cleaned up"),
        Field(
            "ServerStabilizationTime",
            DURATION,
            "10s",
            "server-stabilization-time",
            "time a new server must be healthy before it votes",
        ),
        Field("EnableRedundancyZones", BOOL, False, "enable-redundancy-zones", "(Enterprise) redundancy zones"),
        Field(
            "DisableUpgradeMigration",
            BOOL,
            False,
            "disable-upgrade-migration",
            "(Enterprise) disable upgrade migration",
        ),
        Field("EnableCustomUpgrades", BOOL, False, "enable-custom-upgrades", "(Enterprise) custom upgrade versions"),
    ),
)

SCHEDULER_ALGORITHMS = ("", "binpack", "spread")  # "" is stored as "binpack" (the FSM's canonical form)

SCHEDULER = DocumentSpec(
    configdocs.SCHEDULER,
    "SchedulerConfiguration",
    (
        Field(
            "SchedulerAlgorithm",
            STRING,
            "binpack",
            "scheduler-algorithm",
            "binpack or spread",
            choices=SCHEDULER_ALGORITHMS,
        ),
        Field(
            "PreemptionConfig",
            STRUCT,
            go_type="PreemptionConfig",
            fields=(
                Field("SystemSchedulerEnabled", BOOL, True, "preempt-system-scheduler", "preemption for system jobs"),
                Field(
                    "SysBatchSchedulerEnabled",
                    BOOL,
                    False,
                    "preempt-sysbatch-scheduler",
                    "preemption for sysbatch jobs",
                ),
                Field("BatchSchedulerEnabled", BOOL, False, "preempt-batch-scheduler", "preemption for batch jobs"),
                Field(
                    "ServiceSchedulerEnabled",
                    BOOL,
                    False,
                    "preempt-service-scheduler",
                    "preemption for service jobs",
                ),
            ),
        ),
        Field(
            "MemoryOversubscriptionEnabled",
            BOOL,
            False,
            "memory-oversubscription",
            "allow tasks to use memory beyond their reservation",
        ),
        Field(
            "RejectJobRegistration",
            BOOL,
            False,
            "reject-job-registration",
            "reject job registrations, dispatches and scaling",
        ),
        Field("PauseEvalBroker", BOOL, False, "pause-eval-broker", "pause the evaluation broker"),
        Field(
            "NodeLimitForFeasibilityChecks",
            UINT,
            0,
            "node-limit-for-feasibility-checks",
            "nodes a scheduler checks for feasibility",
        ),
    ),
)

DOCUMENTS = (AUTOPILOT, SCHEDULER)


def document(spec: DocumentSpec, state: StateStore) -> ConfigDocument:
    """The stored document of ``spec`` (reads, CAS writes, the defaults written once)."""
    return ConfigDocument(ConfigDocuments(state), spec.name, spec.defaults())


class HasState(Protocol):
    state: StateStore


class InitializeConfigs:
    """Cluster duty (listed in raftops.agent): write every document's defaults once per data generation,
    like Nomad's leader (a no-op txn when they exist)."""

    __name__ = "initialize_operator_configs"

    def __init__(self, specs: tuple[DocumentSpec, ...] = DOCUMENTS) -> None:
        self.specs = specs
        self.done_for: str | None = None

    def __call__(self, agent: HasState) -> None:
        generation = agent.state.generation().name
        if self.done_for == generation:
            return
        for spec in self.specs:
            document(spec, agent.state).initialize()
        self.done_for = generation
        log.info("%s configurations are initialised", " and ".join(spec.name for spec in self.specs))
