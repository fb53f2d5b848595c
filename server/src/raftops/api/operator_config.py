"""Autopilot and scheduler configuration: /v1/operator/autopilot/configuration and
/v1/operator/scheduler/configuration, with Nomad's CAS semantics (reference: server-semantics A.3, A.4).

Each is one JSON document in the replicated state (``operator/autopilot``, ``operator/scheduler``)
holding Nomad's field names (autopilot durations as Go duration strings); ``CreateIndex`` and
``ModifyIndex`` are the key's revisions, so a CAS write is one etcd txn comparing mod_revision.
The agent that holds the cluster duties writes the defaults once, like Nomad's leader. The documents
(key, fields, defaults, Go names) are described once, in raftops.cluster.configs.
"""

from __future__ import annotations

import logging
from typing import Any

from werkzeug.wrappers import Request

from .. import acl
from ..cluster import configs
from ..cluster.configdoc import ConfigDocument
from ..cluster.configs import AUTOPILOT as AUTOPILOT_SPEC
from ..cluster.configs import SCHEDULER as SCHEDULER_SPEC
from ..cluster.configs import DocumentSpec, InvalidConfig
from ..cluster.configs import InitializeConfigs as InitializeConfigs  # the duty, for its readers
from ..store.state import StateStore
from . import gobody
from .context import WithState, bind
from .gobody import UINT64, BodyError, Struct
from .http import App
from .nomad import NomadError, json_response, nomad_handler, query_meta, set_index, set_meta

log = logging.getLogger(__name__)

# The documents' fields, defaults and duty (InitializeConfigs) live in raftops.cluster.configs, where they
# are stored in raftops.store.configdocs; these names stay for their readers.
AUTOPILOT_DEFAULTS: dict[str, Any] = AUTOPILOT_SPEC.defaults()
SCHEDULER_DEFAULTS: dict[str, Any] = SCHEDULER_SPEC.defaults()
SCHEDULER_ALGORITHMS = configs.SCHEDULER_ALGORITHMS


def go_struct(go_type: str, fields: tuple[configs.Field, ...], *, indexes: bool) -> Struct:
    """The gobody decoder of a document spec (Go's field kinds, nested structs, the indexes on top)."""
    kinds: dict[str, Any] = {
        f.name: go_struct(f.go_type, f.fields, indexes=False) if f.kind == configs.STRUCT else f.kind for f in fields
    }
    if indexes:
        kinds.update({name: UINT64 for name in configs.INDEX_FIELDS})
    return Struct(go_type, kinds)


AUTOPILOT = go_struct(AUTOPILOT_SPEC.go_type, AUTOPILOT_SPEC.fields, indexes=True)
SCHEDULER = go_struct(SCHEDULER_SPEC.go_type, SCHEDULER_SPEC.fields, indexes=True)


def autopilot_document(state: StateStore) -> ConfigDocument:
    return configs.document(AUTOPILOT_SPEC, state)


def scheduler_document(state: StateStore) -> ConfigDocument:
    return configs.document(SCHEDULER_SPEC, state)


def parse_cas(request: Request) -> int | None:
    """``?cas=`` as Nomad parses it (present but not a uint -> 400)."""
    if "cas" not in request.args:
        return None
    try:
        return gobody.parse_uint_param("cas", request.args.get("cas", ""))
    except BodyError as exc:
        raise NomadError(400, f"Error parsing cas value: {exc}") from exc


MAX_INDEX = (1 << 63) - 1  # etcd revisions are int64: a larger ?cas= can never match


def decode(request: Request, spec: DocumentSpec, struct: Struct) -> dict[str, Any]:
    """The body as Go decodes it into ``api.<GoType>``, durations checked (NomadError 400 otherwise)."""
    try:
        conf = gobody.decode(gobody.read_json(request), struct, f"api.{spec.go_type}")
        spec.check_durations(conf)
    except (BodyError, InvalidConfig) as exc:
        raise NomadError(400, f"Error parsing {spec.name} config: {exc}") from exc
    return conf


def cas_set(document: ConfigDocument, value: dict[str, Any], cas: int | None) -> tuple[bool, int]:
    """``document.set`` with Nomad's answer for a ?cas= beyond any index: not updated, nothing written."""
    if cas is not None and cas > MAX_INDEX:
        return False, document.documents.etcd_revision()
    return document.set(value, cas)


def autopilot_view(value: dict[str, Any], create_index: int, modify_index: int) -> dict[str, Any]:
    return AUTOPILOT_SPEC.view(value, create_index, modify_index)


def scheduler_view(value: dict[str, Any], create_index: int, modify_index: int) -> dict[str, Any]:
    return SCHEDULER_SPEC.view(value, create_index, modify_index)


@nomad_handler
def autopilot_configuration(request: Request, ctx: WithState) -> Any:
    autopilot = autopilot_document(ctx.state)
    if request.method == "GET":
        acl.authorize(ctx, request, acl.OPERATOR_READ)
        doc = autopilot.get()
        if doc is None:
            raise NomadError(500, "autopilot config not initialized yet")
        return autopilot_view(doc.value, doc.create_index, doc.modify_index)
    if request.method != "PUT":
        raise NomadError(404, "Invalid method")
    acl.authorize(ctx, request, acl.OPERATOR_WRITE)  # before the body is read (Nomad decodes first)
    conf = decode(request, AUTOPILOT_SPEC, AUTOPILOT)
    cas = parse_cas(request)
    value = AUTOPILOT_SPEC.stored(conf)  # whole replacement; indexes come from the key
    updated, _ = cas_set(autopilot, value, cas)
    return True if cas is None else updated


@nomad_handler
def scheduler_configuration(request: Request, ctx: WithState) -> Any:
    scheduler = scheduler_document(ctx.state)
    if request.method == "GET":
        acl.authorize(ctx, request, acl.OPERATOR_READ)
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
    acl.authorize(ctx, request, acl.OPERATOR_WRITE)  # before the body is read (Nomad decodes first)
    conf = decode(request, SCHEDULER_SPEC, SCHEDULER)
    bad = SCHEDULER_SPEC.invalid_choice(conf)
    if bad is not None:
        raise NomadError(400, f"invalid scheduler algorithm: {conf[bad.name]}")
    cas = parse_cas(request)
    value = SCHEDULER_SPEC.stored(conf)
    value["SchedulerAlgorithm"] = value["SchedulerAlgorithm"] or "binpack"  # the FSM's canonical form
    updated, index = cas_set(scheduler, value, cas)
    return set_index(json_response({"Updated": True if cas is None else updated, "Index": index}), index)


def register(app: App, ctx: WithState) -> None:
    app.route("/v1/operator/autopilot/configuration", bind(autopilot_configuration, ctx))
    app.route("/v1/operator/scheduler/configuration", bind(scheduler_configuration, ctx))
