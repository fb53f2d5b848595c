"""GET /v1/openapi.json: an OpenAPI 3.0 description of the Nomad-family endpoints raftops serves.

The document is built here, next to the code it describes, and served by every agent; the copy in
docs/openapi.json is generated from it (``python -m raftops.api.openapi > docs/openapi.json``) and a
test keeps the two equal. server/tests/fuzz checks every documented operation against a running
cluster and runs schemathesis over all of them (docs/reliability.md).

Conventions it records: errors are ``text/plain`` (Nomad's CodedError), the token travels in
``X-Nomad-Token`` (or ``Authorization: Bearer``), indexes are etcd revisions. ``x-raftops-acl`` names
the capability an operation needs when ACLs are on; ``x-upstream-5xx`` lists the 5xx answers the
upstream Nomad API defines for it (anything else is a bug). The endpoint needs no token: it
describes the API, not the cluster.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from werkzeug.wrappers import Request, Response

from .. import __version__
from ..cluster import configs
from ..cluster.configs import AUTOPILOT, SCHEDULER
from .context import bind
from .http import App

PATH = "/v1/openapi.json"

# -- schema helpers -------------------------------------------------------------------------------------
STRING = {"type": "string"}
BOOL = {"type": "boolean"}
INT = {"type": "integer", "minimum": 0}
NULLABLE_STRING = {"type": "string", "nullable": True}
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
ANY_OBJECT = {"type": "object"}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    return out


def array(items: dict[str, Any], nullable: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "array", "items": items}
    if nullable:
        out["nullable"] = True
    return out


def config_schemas(spec: configs.DocumentSpec) -> dict[str, Any]:
    """The schemas of a configuration document (and its nested structs) from its one spec."""
    out: dict[str, Any] = {}

    def schema(fields: tuple[configs.Field, ...]) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for f in fields:
            if f.kind == configs.STRUCT:
                out[f.go_type] = obj(schema(f.fields))
                props[f.name] = ref(f.go_type)
            elif f.kind == configs.DURATION:
                props[f.name] = {"type": "string", "example": f.default}
            elif f.kind == configs.BOOL:
                props[f.name] = BOOL
            elif f.choices:
                props[f.name] = {"type": "string", "enum": list(f.choices)}
            elif f.kind == configs.STRING:
                props[f.name] = STRING
            else:
                props[f.name] = INT
        return props

    props = schema(spec.fields)
    return {**out, spec.go_type: obj({**props, **{name: INT for name in configs.INDEX_FIELDS}})}


SCHEMAS: dict[str, Any] = {
    "Variable": obj(
        {
            "Namespace": STRING,
            "Path": STRING,
            "CreateIndex": INT,
            "CreateTime": {"type": "integer"},
            "ModifyIndex": INT,
            "ModifyTime": {"type": "integer"},
            "Items": STRING_MAP,
        },
        ["Namespace", "Path", "CreateIndex", "ModifyIndex"],
    ),
    "VariableWrite": obj(
        {
            "Namespace": STRING,
            "Path": STRING,
            "Items": {**STRING_MAP, "minProperties": 1},
            "CreateIndex": INT,
            "ModifyIndex": INT,
        },
        ["Items"],
    ),
    "VariableMetadata": obj(
        {
            "Namespace": STRING,
            "Path": STRING,
            "CreateIndex": INT,
            "CreateTime": {"type": "integer"},
            "ModifyIndex": INT,
            "ModifyTime": {"type": "integer"},
        },
        ["Namespace", "Path", "CreateIndex", "ModifyIndex"],
    ),
    "RaftServer": obj(
        {"ID": STRING, "Node": STRING, "Address": STRING, "Leader": BOOL, "Voter": BOOL, "RaftProtocol": STRING},
        ["ID", "Node", "Address", "Leader", "Voter", "RaftProtocol"],
    ),
    "RaftConfiguration": obj({"Servers": array(ref("RaftServer")), "Index": INT}, ["Servers", "Index"]),
    "RaftIDAddress": obj({"Address": STRING, "ID": STRING}, ["Address", "ID"]),
    "LeadershipTransferResponse": obj(
        {"From": ref("RaftIDAddress"), "To": ref("RaftIDAddress"), "Noop": BOOL, "Err": {"nullable": True}},
        ["From", "To", "Noop"],
    ),
    "JoinRequest": obj({"Name": STRING, "PeerURLs": array(STRING)}, ["Name", "PeerURLs"]),
    "JoinResponse": obj(
        {
            "Member": obj(
                {"ID": STRING, "EtcdMemberID": STRING, "Name": STRING, "PeerURLs": array(STRING), "Voter": BOOL}
            ),
            "Created": BOOL,
            "InitialCluster": STRING,
            "InitialClusterState": STRING,
        },
        ["Member", "Created", "InitialCluster", "InitialClusterState"],
    ),
    **config_schemas(AUTOPILOT),
    **config_schemas(SCHEDULER),
    "SchedulerConfigurationResponse": obj(
        {
            "SchedulerConfig": ref("SchedulerConfiguration"),
            "Index": INT,
            "LastContact": INT,
            "KnownLeader": BOOL,
            "NextToken": STRING,
        },
        ["SchedulerConfig", "Index"],
    ),
    "SchedulerSetConfigurationResponse": obj({"Updated": BOOL, "Index": INT}, ["Updated", "Index"]),
    "ServerHealth": obj(
        {
            "ID": STRING,
            "Name": STRING,
            "Address": STRING,
            "SerfStatus": STRING,
            "Version": STRING,
            "Leader": BOOL,
            "LastContact": STRING,
            "LastTerm": INT,
            "LastIndex": INT,
            "Healthy": BOOL,
            "Voter": BOOL,
            "StableSince": STRING,
        }
    ),
    "OperatorHealthReply": obj(
        {
            "Healthy": BOOL,
            "FailureTolerance": INT,
            "Servers": array(ref("ServerHealth"), nullable=True),
            "Leader": STRING,
            "Voters": array(STRING, nullable=True),
        },
        ["Healthy", "FailureTolerance"],
    ),
    "LicenseReply": obj(
        {
            "License": ANY_OBJECT,
            "ConfigOutdated": BOOL,
            "KnownLeader": BOOL,
            "LastContact": INT,
            "LastIndex": INT,
            "RequestTime": INT,
        },
        ["License"],
    ),
    "WriteIndex": obj({"Index": INT}, ["Index"]),
    "ACLPolicy": obj(
        {
            "Name": STRING,
            "Description": STRING,
            "Rules": STRING,
            "RulesJSON": {"nullable": True},
            "JobACL": {"type": "object", "nullable": True},
            "Hash": {"nullable": True},
            "CreateIndex": INT,
            "ModifyIndex": INT,
        },
        ["Name"],
    ),
    "ACLPolicyWrite": obj(
        {"Name": STRING, "Description": STRING, "Rules": STRING, "JobACL": {"type": "object", "nullable": True}},
        ["Name", "Rules"],
    ),
    "ACLPolicyListStub": obj(
        {
            "Name": STRING,
            "Description": STRING,
            "JobACL": {"type": "object", "nullable": True},
            "Hash": {"nullable": True},
            "CreateIndex": INT,
            "ModifyIndex": INT,
        },
        ["Name"],
    ),
    "ACLToken": obj(
        {
            "AccessorID": STRING,
            "SecretID": STRING,
            "Name": STRING,
            "Type": {"type": "string", "enum": ["client", "management"]},
            "Policies": array(STRING, nullable=True),
            "Roles": {"type": "array", "nullable": True},
            "Global": BOOL,
            "Hash": {"nullable": True},
            "CreateTime": NULLABLE_STRING,
            "ExpirationTime": NULLABLE_STRING,
            "ExpirationTTL": STRING,
            "CreateIndex": INT,
            "ModifyIndex": INT,
        },
        ["AccessorID", "Type"],
    ),
    "ACLTokenWrite": obj(
        {
            "AccessorID": STRING,
            "SecretID": STRING,
            "Name": STRING,
            "Type": {"type": "string", "enum": ["client", "management"]},
            "Policies": array(STRING, nullable=True),
            "Global": BOOL,
            "ExpirationTTL": STRING,
        },
        ["Type"],
    ),
    "ACLTokenBootstrap": obj({"BootstrapSecret": STRING}),
    "AgentHealth": obj(
        {"server": obj({"ok": BOOL, "message": STRING}, ["ok", "message"])},
        ["server"],
    ),
    "AgentSelf": obj({"config": ANY_OBJECT, "member": ANY_OBJECT, "stats": ANY_OBJECT}, ["config", "member", "stats"]),
    "AgentMembers": obj(
        {"ServerName": STRING, "ServerRegion": STRING, "ServerDC": STRING, "Members": array(ANY_OBJECT)},
        ["Members"],
    ),
    "RaftopsState": obj(
        {"Revision": INT, "EtcdVersion": STRING, "RaftopsVersion": STRING, "Generation": STRING},
        ["Revision", "EtcdVersion", "RaftopsVersion", "Generation"],
    ),
}

# -- parameters and responses ---------------------------------------------------------------------------
TOKEN_SECURITY = [{"NomadToken": []}]


def query(name: str, schema: dict[str, Any] | None = None, description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": schema or STRING}
    if description:
        out["description"] = description
    return out


STALE = query(
    "stale",
    {"type": "string", "pattern": "^(|1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$"},
    "Go boolean or empty: answer from the local etcd member without a leader",
)
NAMESPACE = query("namespace", {"type": "string", "pattern": "^([a-zA-Z0-9-]{1,128}|\\*)$"})
CAS = query(
    "cas",
    {"type": "string", "pattern": "^[0-9]{1,19}$"},
    "CAS: write only if the current ModifyIndex equals this (0: must not exist)",
)


INDEX = query(
    "index",
    {"type": "string", "pattern": "^[0-9]{1,20}$"},
    "Blocking query: answer once the result's index passes this (0: at once); 400 Invalid index otherwise",
)
WAIT = query(
    "wait",
    {"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+$"},
    "Blocking query: the longest wait, a Go duration (default and at most 5m, plus up to 1/16 jitter); "
    "400 Invalid wait time otherwise",
)
BLOCKING = [INDEX, WAIT]


def text(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/plain": {"schema": STRING}}}


def as_json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def no_body(description: str) -> dict[str, Any]:
    return {"description": description}


BAD_REQUEST = text("invalid request (Nomad's text/plain CodedError)")
FORBIDDEN = text("Permission denied, ACL token not found or expired")
NO_LEADER = text("No cluster leader, or etcd failed (the error text)")


def op(
    summary: str,
    responses: dict[str, Any],
    *,
    acl: str | None = None,
    params: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    upstream_5xx: list[str] | None = None,
    body_type: str = "application/json",
) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": summary, "responses": dict(responses)}
    if params:
        out["parameters"] = params
    if body is not None:
        out["requestBody"] = {"required": False, "content": {body_type: {"schema": body}}}
    if acl:
        out["security"] = TOKEN_SECURITY
        out["x-raftops-acl"] = acl
        out["responses"].setdefault("403", FORBIDDEN)
    if upstream_5xx:
        out["x-upstream-5xx"] = upstream_5xx
    return out


NOMAD_500 = ["No cluster leader", "<etcd error text> (Nomad: an RPC error is a 500 with its text)"]
VARIABLE_PATH = {
    "name": "path",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[a-zA-Z0-9_~-]{1,128}$"},
}
POLICY_NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
ACCESSOR = {"name": "accessor", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}


def variable_ops() -> dict[str, Any]:
    rw = {"400": BAD_REQUEST, "500": NO_LEADER}
    return {
        "get": op(
            "Read a variable",
            {"200": as_json("the variable", ref("Variable")), "404": text("variable not found"), **rw},
            acl="variables:read",
            params=[NAMESPACE, *BLOCKING],
            upstream_5xx=NOMAD_500,
        ),
        "put": op(
            "Create or update a variable (?cas= for check-and-set)",
            {
                "200": as_json("the variable as written", ref("Variable")),
                "409": as_json("CAS conflict: the current variable (Items only if readable)", ref("Variable")),
                **rw,
            },
            acl="variables:write",
            params=[NAMESPACE, CAS],
            body=ref("VariableWrite"),
            upstream_5xx=NOMAD_500,
        ),
        "post": op(
            "Same as PUT",
            {
                "200": as_json("the variable as written", ref("Variable")),
                "409": as_json("CAS conflict", ref("Variable")),
                **rw,
            },
            acl="variables:write",
            params=[NAMESPACE, CAS],
            body=ref("VariableWrite"),
            upstream_5xx=NOMAD_500,
        ),
        "delete": op(
            "Delete a variable",
            {
                "204": no_body("deleted, or there was nothing to delete"),
                "409": as_json("CAS conflict", ref("Variable")),
                **rw,
            },
            acl="variables:destroy",
            params=[NAMESPACE, CAS],
            upstream_5xx=NOMAD_500,
        ),
    }


def acl_token_ops() -> dict[str, Any]:
    disabled = text("ACL support disabled, or a bad request")
    return {
        "get": op(
            "Read a token (management, or the token itself)",
            {"200": as_json("the token", ref("ACLToken")), "400": disabled, "404": text("ACL token not found")},
            acl="management or self",
            params=BLOCKING,
        ),
        "put": op(
            "Update a token",
            {"200": as_json("the token", ref("ACLToken")), "400": disabled, "409": text("concurrent change")},
            acl="management",
            body=ref("ACLTokenWrite"),
        ),
        "post": op(
            "Update a token",
            {"200": as_json("the token", ref("ACLToken")), "400": disabled, "409": text("concurrent change")},
            acl="management",
            body=ref("ACLTokenWrite"),
        ),
        "delete": op(
            "Delete a token",
            {"200": no_body("deleted"), "400": disabled, "409": text("concurrent change")},
            acl="management",
        ),
    }


def paths() -> dict[str, Any]:
    acl_disabled = text("ACL support disabled, or a bad request")
    raft_500 = ["No cluster leader"]
    return {
        "/v1/status/leader": {
            "get": op("The Raft (etcd) leader's peer address", {"200": as_json("host:port", STRING), "500": NO_LEADER})
        },
        "/v1/status/peers": {
            "get": op(
                "Peer addresses of every member", {"200": as_json("host:port list", array(STRING)), "500": NO_LEADER}
            )
        },
        "/v1/agent/self": {
            "get": op(
                "This agent's configuration and stats", {"200": as_json("agent", ref("AgentSelf"))}, acl="agent:read"
            )
        },
        "/v1/agent/health": {
            "get": op(
                "Agent health",
                {"200": as_json("healthy", ref("AgentHealth")), "500": as_json("unhealthy", ref("AgentHealth"))},
                upstream_5xx=["500 with {server: {ok: false}} when the agent cannot serve (Nomad's agent health)"],
            )
        },
        "/v1/agent/members": {
            "get": op(
                "The servers and their liveness", {"200": as_json("members", ref("AgentMembers"))}, acl="node:read"
            )
        },
        "/v1/metrics": {
            "get": op(
                "Metrics (JSON, or Prometheus text with ?format=prometheus); no ACL, as Nomad",
                {
                    "200": {
                        "description": "metrics",
                        "content": {"application/json": {"schema": ANY_OBJECT}, "text/plain": {"schema": STRING}},
                    }
                },
                params=[query("format", STRING)],
            )
        },
        "/v1/var/{path}": {"parameters": [VARIABLE_PATH], **variable_ops()},
        "/v1/var/": {
            method: op("A variable path is required", {"400": text("missing variable path")})
            for method in ("get", "put", "post", "delete")
        },
        "/v1/vars": {
            "get": op(
                "List variables the caller may list",
                {
                    "200": as_json("metadata, no items", array(ref("VariableMetadata"))),
                    "400": BAD_REQUEST,
                    "500": NO_LEADER,
                },
                acl="authenticated (filtered by variables:list)",
                params=[NAMESPACE, query("prefix"), query("per_page"), query("next_token"), *BLOCKING],
                upstream_5xx=NOMAD_500,
            )
        },
        "/v1/operator/raft/configuration": {
            "get": op(
                "Raft configuration: the etcd members",
                {"200": as_json("configuration", ref("RaftConfiguration")), "400": BAD_REQUEST, "500": NO_LEADER},
                acl="management",
                params=[STALE],
                upstream_5xx=raft_500,
            )
        },
        "/v1/operator/raft/peer": {
            "delete": op(
                "Remove a peer by ?id= (or the older ?address=)",
                {
                    "200": no_body("removed"),
                    "400": BAD_REQUEST,
                    "500": text("unknown peer, the last voter, or no leader"),
                    "503": text("etcd refuses reconfiguration while a voter is down"),
                },
                acl="management",
                params=[query("id"), query("address")],
                upstream_5xx=[
                    'id "<id>" was not found in the Raft configuration',
                    'address "<addr>" was not found in the Raft configuration',
                    "need at least one voter in configuration: ...",
                    "No cluster leader",
                ],
            )
        },
        "/v1/operator/raft/transfer-leadership": {
            method: op(
                "Transfer leadership to ?id= or ?address=",
                {
                    "200": as_json("result", ref("LeadershipTransferResponse")),
                    "400": BAD_REQUEST,
                    "500": text("failed to transfer leadership"),
                    "503": text("No cluster leader"),
                },
                acl="management",
                params=[query("id", {"type": "string", "format": "uuid"}), query("address")],
                upstream_5xx=["503 No cluster leader", "500 failed to transfer leadership in 3 attempts. ..."],
            )
            for method in ("put", "post")
        },
        "/v1/operator/raft/join": {
            method: op(
                "raftops extension: add a new etcd member as a learner",
                {
                    "200": as_json("the learner and its --initial-cluster", ref("JoinResponse")),
                    "400": BAD_REQUEST,
                    "500": text("etcd refused the member"),
                    "503": text("etcd refuses reconfiguration while a voter is down"),
                },
                acl="management",
                body=ref("JoinRequest"),
                upstream_5xx=["not in Nomad (servers join by gossip); etcd's refusal, as for peer removal"],
            )
            for method in ("put", "post")
        },
        "/v1/operator/autopilot/configuration": {
            "get": op(
                "Autopilot configuration",
                {"200": as_json("configuration", ref("AutopilotConfiguration")), "500": NO_LEADER},
                acl="operator:read",
                upstream_5xx=["autopilot config not initialized yet", "No cluster leader"],
            ),
            "put": op(
                "Replace the autopilot configuration (?cas=)",
                {"200": as_json("true, or the CAS result", BOOL), "400": BAD_REQUEST, "500": NO_LEADER},
                acl="operator:write",
                params=[CAS],
                body=ref("AutopilotConfiguration"),
                upstream_5xx=["No cluster leader"],
            ),
        },
        "/v1/operator/autopilot/health": {
            "get": op(
                "Autopilot health: 200 when every server is healthy, else 429 (text/plain, as Nomad)",
                {"200": as_json("healthy", ref("OperatorHealthReply")), "429": text("unhealthy: the same JSON body")},
                acl="operator:read",
            )
        },
        "/v1/operator/scheduler/configuration": {
            "get": op(
                "Scheduler configuration",
                {"200": as_json("configuration", ref("SchedulerConfigurationResponse")), "500": NO_LEADER},
                acl="operator:read",
                upstream_5xx=["scheduler config not initialized yet", "No cluster leader"],
            ),
            **{
                method: op(
                    "Replace the scheduler configuration (?cas=)",
                    {
                        "200": as_json("result", ref("SchedulerSetConfigurationResponse")),
                        "400": BAD_REQUEST,
                        "500": NO_LEADER,
                    },
                    acl="operator:write",
                    params=[CAS],
                    body=ref("SchedulerConfiguration"),
                    upstream_5xx=["No cluster leader"],
                )
                for method in ("put", "post")
            },
        },
        "/v1/operator/license": {
            "get": op(
                "The installed license (204 when none)",
                {"200": as_json("license", ref("LicenseReply")), "204": no_body("no license")},
                acl="operator:read or license-read",
            ),
            "put": op(
                "Install a signed license (the raw blob)",
                {
                    "200": as_json("write index", ref("WriteIndex")),
                    "400": BAD_REQUEST,
                    "409": text("concurrent change"),
                    "501": text("this agent has no license_public_key"),
                },
                acl="operator:write",
                body=STRING,
                body_type="text/plain",
                upstream_5xx=["501: raftops only, an agent configured without license_public_key"],
            ),
        },
        "/v1/operator/snapshot": {
            "get": op(
                "Save a snapshot (gzip(tar(meta.json, state.bin, SHA256SUMS)); Digest header)",
                {
                    "200": {
                        "description": "the archive",
                        "content": {"application/x-gzip": {"schema": {"type": "string", "format": "binary"}}},
                    },
                    "400": BAD_REQUEST,
                    "500": NO_LEADER,
                },
                acl="management",
                params=[STALE],
                upstream_5xx=["No cluster leader"],
            ),
            **{
                method: op(
                    "Restore a snapshot",
                    {
                        "200": text("restored (empty body)"),
                        "400": text("failed to read stream: ..."),
                        "500": text("failed to restore from snapshot: ..."),
                    },
                    acl="management",
                    body={"type": "string", "format": "binary"},
                    body_type="application/octet-stream",
                    upstream_5xx=["failed to restore from snapshot: <reason>", "No cluster leader"],
                )
                for method in ("put", "post")
            },
        },
        "/v1/acl/bootstrap": {
            method: op(
                "Bootstrap the ACL system (once)",
                {"200": as_json("the management token", ref("ACLToken")), "400": acl_disabled},
                body=ref("ACLTokenBootstrap"),
            )
            for method in ("put", "post")
        },
        "/v1/acl/policies": {
            "get": op(
                "List policies (all for management, the caller's own otherwise)",
                {"200": as_json("stubs", array(ref("ACLPolicyListStub"))), "400": acl_disabled},
                acl="authenticated",
                params=[query("prefix"), *BLOCKING],
            )
        },
        "/v1/acl/policy/self": {
            "get": op(
                "The caller's policies",
                {"200": as_json("stubs", array(ref("ACLPolicyListStub"))), "400": acl_disabled},
                acl="authenticated",
            )
        },
        "/v1/acl/policy/{name}": {
            "parameters": [POLICY_NAME],
            "get": op(
                "Read a policy",
                {"200": as_json("policy", ref("ACLPolicy")), "400": acl_disabled, "404": text("ACL policy not found")},
                acl="management, or a token holding the policy",
                params=BLOCKING,
            ),
            **{
                method: op(
                    "Create or update a policy",
                    {"200": no_body("written"), "400": acl_disabled},
                    acl="management",
                    body=ref("ACLPolicyWrite"),
                )
                for method in ("put", "post")
            },
            "delete": op("Delete a policy", {"200": no_body("deleted"), "400": acl_disabled}, acl="management"),
        },
        "/v1/acl/policy/": {
            method: op("A policy name is required", {"400": text("Missing Policy Name")})
            for method in ("get", "put", "post", "delete")
        },
        "/v1/acl/token/": {
            method: op("A token accessor is required", {"400": text("Missing Token Accessor")})
            for method in ("get", "put", "post", "delete")
        },
        "/v1/acl/tokens": {
            "get": op(
                "List tokens (no secrets)",
                {"200": as_json("stubs", array(ref("ACLToken"))), "400": acl_disabled},
                acl="management",
                params=[query("prefix"), query("global"), query("reverse"), *BLOCKING],
            )
        },
        "/v1/acl/token": {
            method: op(
                "Create a token",
                {"200": as_json("the token with its secret", ref("ACLToken")), "400": acl_disabled},
                acl="management",
                body=ref("ACLTokenWrite"),
            )
            for method in ("put", "post")
        },
        "/v1/acl/token/self": {
            "get": op(
                "The caller's own token",
                {"200": as_json("the token", ref("ACLToken")), "400": acl_disabled},
                acl="authenticated",
            )
        },
        "/v1/acl/token/{accessor}": {"parameters": [ACCESSOR], **acl_token_ops()},
        "/v1/raftops/state": {
            "get": op(
                "raftops extension: the state revision and versions (the backup sidecar's change check)",
                {"200": as_json("state", ref("RaftopsState")), "500": NO_LEADER},
                acl="operator:read",
                upstream_5xx=["No cluster leader (as any Nomad read)"],
            )
        },
        PATH: {"get": op("This document", {"200": as_json("OpenAPI 3.0", ANY_OBJECT)})},
    }


UNROUTABLE = text("404 page not found: a path parameter the router cannot match (for example a newline)")


def with_unroutable(all_paths: dict[str, Any]) -> dict[str, Any]:
    """Templated paths also answer Go's 404 for parameters no route matches."""
    for path, item in all_paths.items():
        if "{" in path:
            for name, operation in item.items():
                if name != "parameters":
                    operation["responses"].setdefault("404", UNROUTABLE)
    return all_paths


def document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "raftops: Nomad operator API on etcd",
            "version": __version__,
            "description": (
                "The Nomad-family HTTP API of a raftops agent. Errors are text/plain. With ACLs on, send a "
                "token in X-Nomad-Token (or Authorization: Bearer). x-raftops-acl: the capability needed; "
                "x-upstream-5xx: the 5xx answers upstream Nomad defines for the operation."
            ),
        },
        "servers": [{"url": "http://127.0.0.1:4646"}],
        "paths": with_unroutable(paths()),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"NomadToken": {"type": "apiKey", "in": "header", "name": "X-Nomad-Token"}},
        },
    }


def openapi(request: Request, ctx: bytes) -> Response:
    return Response(ctx, status=200, content_type="application/json")


def register(app: App, ctx: object) -> None:
    """The document is built once; its handler's context is the encoded document itself."""
    app.route(PATH, bind(openapi, json.dumps(document()).encode()), methods=["GET"])


if __name__ == "__main__":
    json.dump(document(), sys.stdout, indent=2)
    sys.stdout.write("\n")
