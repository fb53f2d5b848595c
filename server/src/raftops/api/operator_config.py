"""Autopilot and scheduler configuration: /v1/operator/autopilot/configuration and
/v1/operator/scheduler/configuration, with Nomad's CAS semantics (reference: server-semantics A.3, A.4).

Each is one JSON document in the replicated state (``operator/autopilot``, ``operator/scheduler``)
holding Nomad's field names (autopilot durations as Go duration strings); ``CreateIndex`` and
``ModifyIndex`` are the key's revisions, so a CAS write is one etcd txn comparing mod_revision.
The agent that holds the cluster duties writes the defaults once, like Nomad's leader.
"""

from __future__ import annotations

import logging
from typing import Any

from werkzeug.wrappers import Request

from .. import acl, godur
from ..cluster.configdoc import ConfigDocument
from . import gobody
from .gobody import BOOL, DURATION, UINT, UINT64, BodyError, Struct
from .http import App
from .nomad import NomadError, json_response, nomad_handler, query_meta, set_index, set_meta

log = logging.getLogger(__name__)

AUTOPILOT_PATH = "operator/autopilot"
SCHEDULER_PATH = "operator/scheduler"

AUTOPILOT_DEFAULTS: dict[str, Any] = {
    "CleanupDeadServers": True,
    "LastContactThreshold": "200ms",
    "MaxTrailingLogs": 250,
    "MinQuorum": 0,
    "ServerStabilizationTime": "10s",
    "EnableRedundancyZones": False,
    "DisableUpgradeMigration": False,
    "EnableCustomUpgrades": False,
}
SCHEDULER_DEFAULTS: dict[str, Any] = {
    "SchedulerAlgorithm": "binpack",
    "PreemptionConfig": {
        "SystemSchedulerEnabled": True,
        "SysBatchSchedulerEnabled": False,
        "BatchSchedulerEnabled": False,
        "ServiceSchedulerEnabled": False,
    },
    "MemoryOversubscriptionEnabled": False,
    "RejectJobRegistration": False,
    "PauseEvalBroker": False,
    "NodeLimitForFeasibilityChecks": 0,
}
SCHEDULER_ALGORITHMS = ("", "binpack", "spread")

AUTOPILOT = Struct(
    "AutopilotConfiguration",
    {
        "CleanupDeadServers": BOOL,
        "LastContactThreshold": DURATION,
        "MaxTrailingLogs": UINT64,
        "MinQuorum": UINT,
        "ServerStabilizationTime": DURATION,
        "EnableRedundancyZones": BOOL,
        "DisableUpgradeMigration": BOOL,
        "EnableCustomUpgrades": BOOL,
        "CreateIndex": UINT64,
        "ModifyIndex": UINT64,
    },
)
PREEMPTION = Struct(
    "PreemptionConfig",
    {
        "SystemSchedulerEnabled": BOOL,
        "SysBatchSchedulerEnabled": BOOL,
        "BatchSchedulerEnabled": BOOL,
        "ServiceSchedulerEnabled": BOOL,
    },
)
SCHEDULER = Struct(
    "SchedulerConfiguration",
    {
        "SchedulerAlgorithm": gobody.STRING,
        "PreemptionConfig": PREEMPTION,
        "MemoryOversubscriptionEnabled": BOOL,
        "RejectJobRegistration": BOOL,
        "PauseEvalBroker": BOOL,
        "NodeLimitForFeasibilityChecks": UINT,
        "CreateIndex": UINT64,
        "ModifyIndex": UINT64,
    },
)


def autopilot_document(state: Any) -> ConfigDocument:
    return ConfigDocument(state, AUTOPILOT_PATH, AUTOPILOT_DEFAULTS)


def scheduler_document(state: Any) -> ConfigDocument:
    return ConfigDocument(state, SCHEDULER_PATH, SCHEDULER_DEFAULTS)


class InitializeConfigs:
    """Cluster duty: write both defaults once per data generation (a no-op txn when they exist)."""

    __name__ = "initialize_operator_configs"

    def __init__(self) -> None:
        self.done_for: str | None = None

    def __call__(self, agent: Any) -> None:
        generation = agent.state.generation().name
        if self.done_for == generation:
            return
        autopilot_document(agent.state).initialize()
        scheduler_document(agent.state).initialize()
        self.done_for = generation
        log.info("autopilot and scheduler configurations are initialised")


def parse_cas(request: Request) -> int | None:
    """``?cas=`` as Nomad parses it (present but not a uint -> 400)."""
    if "cas" not in request.args:
        return None
    try:
        return gobody.parse_uint_param("cas", request.args.get("cas", ""))
    except BodyError as exc:
        raise NomadError(400, f"Error parsing cas value: {exc}") from exc


MAX_INDEX = (1 << 63) - 1  # etcd revisions are int64: a larger ?cas= can never match


def check_durations(conf: dict[str, Any], struct: Struct, where: str = "") -> None:
    """Refuse a negative duration (BodyError): Nomad stores one, and a negative LastContactThreshold then
    marks every server unhealthy. Overflow is refused while decoding (Go's time.ParseDuration)."""
    for name, kind in struct.fields.items():
        if isinstance(kind, Struct):
            check_durations(conf.get(name) or {}, kind, f"{where}{name}.")
        elif kind == DURATION and godur.parse_ns(conf.get(name) or "0s") < 0:
            raise BodyError(f"{where}{name} must not be negative (was {conf[name]})")


def cas_set(document: ConfigDocument, value: dict[str, Any], cas: int | None) -> tuple[bool, int]:
    """``document.set`` with Nomad's answer for a ?cas= beyond any index: not updated, nothing written."""
    if cas is not None and cas > MAX_INDEX:
        return False, document.state.etcd.range(b"/raftops/v1/cluster/generation").revision
    return document.set(value, cas)


def autopilot_view(value: dict[str, Any], create_index: int, modify_index: int) -> dict[str, Any]:
    out = {name: value.get(name, AUTOPILOT_DEFAULTS[name]) for name in AUTOPILOT_DEFAULTS}
    return {**out, "CreateIndex": create_index, "ModifyIndex": modify_index}


def scheduler_view(value: dict[str, Any], create_index: int, modify_index: int) -> dict[str, Any]:
    preemption = {**SCHEDULER_DEFAULTS["PreemptionConfig"], **value.get("PreemptionConfig", {})}
    out = {name: value.get(name, SCHEDULER_DEFAULTS[name]) for name in SCHEDULER_DEFAULTS}
    return {**out, "PreemptionConfig": preemption, "CreateIndex": create_index, "ModifyIndex": modify_index}


def register(app: App, agent: Any) -> None:
    autopilot = autopilot_document(agent.state)
    scheduler = scheduler_document(agent.state)
    agent.duties.append(InitializeConfigs())

    @nomad_handler
    def autopilot_configuration(request: Request) -> Any:
        if request.method == "GET":
            acl.authorize(agent, request, acl.OPERATOR_READ)
            doc = autopilot.get()
            if doc is None:
                raise NomadError(500, "autopilot config not initialized yet")
            return autopilot_view(doc.value, doc.create_index, doc.modify_index)
        if request.method != "PUT":
            raise NomadError(404, "Invalid method")
        acl.authorize(agent, request, acl.OPERATOR_WRITE)  # before the body is read (Nomad decodes first)
        try:
            conf = gobody.decode(gobody.read_json(request), AUTOPILOT, "api.AutopilotConfiguration")
            check_durations(conf, AUTOPILOT)
        except BodyError as exc:
            raise NomadError(400, f"Error parsing autopilot config: {exc}") from exc
        cas = parse_cas(request)
        value = {name: conf[name] for name in AUTOPILOT_DEFAULTS}  # whole replacement; indexes come from the key
        updated, _ = cas_set(autopilot, value, cas)
        return True if cas is None else updated

    @nomad_handler
    def scheduler_configuration(request: Request) -> Any:
        if request.method == "GET":
            acl.authorize(agent, request, acl.OPERATOR_READ)
            doc = scheduler.get()
            if doc is None:
                raise NomadError(500, "scheduler config not initialized yet")
            body = {
                "SchedulerConfig": scheduler_view(doc.value, doc.create_index, doc.modify_index),
                **query_meta(doc.modify_index),
            }
            return set_meta(json_response(body), query_meta(doc.modify_index))
        if request.method not in ("PUT", "POST"):
            raise NomadError(405, "Invalid method")
        acl.authorize(agent, request, acl.OPERATOR_WRITE)  # before the body is read (Nomad decodes first)
        try:
            conf = gobody.decode(gobody.read_json(request), SCHEDULER, "api.SchedulerConfiguration")
            check_durations(conf, SCHEDULER)
        except BodyError as exc:
            raise NomadError(400, f"Error parsing scheduler config: {exc}") from exc
        if conf["SchedulerAlgorithm"] not in SCHEDULER_ALGORITHMS:
            raise NomadError(400, f"invalid scheduler algorithm: {conf['SchedulerAlgorithm']}")
        cas = parse_cas(request)
        value = {name: conf[name] for name in SCHEDULER_DEFAULTS}
        value["SchedulerAlgorithm"] = value["SchedulerAlgorithm"] or "binpack"  # the FSM's canonical form
        updated, index = cas_set(scheduler, value, cas)
        return set_index(json_response({"Updated": True if cas is None else updated, "Index": index}), index)

    app.route("/v1/operator/autopilot/configuration", autopilot_configuration)
    app.route("/v1/operator/scheduler/configuration", scheduler_configuration)
