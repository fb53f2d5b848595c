"""docs/openapi.json against the code and a running server: every route documented, every documented
operation answering as documented (status, content type, body schema)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import requests
import schemathesis
from raftops.agent import Agent
from raftops.api import openapi
from raftops.config import Config
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from . import st_hooks
from .conftest import Target

DOC_PATH = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance, st_hooks.no_undefined_5xx]
# Catch-alls that only answer Nomad's 404 "Invalid method" for sub-paths Nomad does not have.
UNDOCUMENTED_ROUTES = {"/v1/operator/raft/", "/v1/operator/raft/{rest}"}


def test_docs_copy_is_the_generated_document() -> None:
    assert json.loads(DOC_PATH.read_text()) == json.loads(json.dumps(openapi.document())), (
        "docs/openapi.json is stale: run .venv/bin/python -m raftops.api.openapi > docs/openapi.json"
    )


def test_every_nomad_family_route_is_documented(tmp_path: Path) -> None:
    # Building an Agent registers every API family without touching etcd.
    agent = Agent(Config.from_dict({"data_dir": str(tmp_path), "etcd_endpoints": ["http://127.0.0.1:1"]}))
    routed = set()
    for rule in agent.app.url_map.iter_rules():
        if rule.endpoint.startswith("nomad:"):
            routed.add(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
    documented = set(openapi.document()["paths"])
    assert routed - UNDOCUMENTED_ROUTES - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routed == set(), "documented paths with no route"


def test_the_server_serves_the_document(acl_off: Target) -> None:
    r = requests.get(f"{acl_off.api}{openapi.PATH}", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    assert r.json() == json.loads(DOC_PATH.read_text())


class Walker:
    """Sends one request per step through schemathesis' Case and validates the answer against the document."""

    def __init__(self, target: Target):
        self.target = target
        self.schema = schemathesis.openapi.from_dict(openapi.document())
        self.session = requests.Session()
        if target.management:
            self.session.headers["X-Nomad-Token"] = target.management
        self.exercised: set[tuple[str, str]] = set()

    def __call__(self, method: str, path: str, expect: int, **parts: Any) -> requests.Response:
        case = self.schema[path][method].Case(**parts)
        response = case.call(base_url=self.target.api, session=self.session, timeout=30)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text[:300]}"
        case.validate_response(response, checks=CHECKS)
        self.exercised.add((method.lower(), path))
        return response


def documented_operations(acl: bool) -> set[tuple[str, str]]:
    out = set()
    for path, item in openapi.document()["paths"].items():
        if path.startswith("/v1/acl/") != acl:
            continue
        out |= {(method, path) for method in item if method != "parameters"}
    return out


def test_every_documented_operation_answers_as_documented(acl_off: Target) -> None:
    call = Walker(acl_off)
    for path in ("/v1/status/leader", "/v1/status/peers", "/v1/agent/self", "/v1/agent/health", "/v1/agent/members"):
        call("GET", path, 200)
    call("GET", "/v1/metrics", 200)
    call("GET", "/v1/metrics", 200, query={"format": "prometheus"})
    call("GET", openapi.PATH, 200)
    call("GET", "/v1/raftops/state", 200)

    var = {"path_parameters": {"path": "doc-check"}}
    created = call("PUT", "/v1/var/{path}", 200, **var, body={"Items": {"a": "1"}}).json()
    call("GET", "/v1/var/{path}", 200, **var)
    call("POST", "/v1/var/{path}", 200, **var, body={"Items": {"a": "2"}})
    call("PUT", "/v1/var/{path}", 409, **var, query={"cas": str(created["ModifyIndex"])}, body={"Items": {"a": "3"}})
    call("DELETE", "/v1/var/{path}", 204, **var)
    call("GET", "/v1/var/{path}", 404, **var)
    for method in ("GET", "PUT", "POST", "DELETE"):
        call(method, "/v1/var/", 400)
    call("GET", "/v1/vars", 200)

    servers = call("GET", "/v1/operator/raft/configuration", 200).json()["Servers"]
    call("DELETE", "/v1/operator/raft/peer", 500, query={"id": str(uuid.uuid4())})  # upstream: unknown peer is a 500
    for method in ("PUT", "POST"):
        noop = call(method, "/v1/operator/raft/transfer-leadership", 200, query={"id": servers[0]["ID"]}).json()
        assert noop["Noop"] is True
        call(method, "/v1/operator/raft/join", 400, body={})  # a valid body would add a member

    autopilot = call("GET", "/v1/operator/autopilot/configuration", 200).json()
    assert call("PUT", "/v1/operator/autopilot/configuration", 200, body=autopilot).json() is True
    call("GET", "/v1/operator/autopilot/health", 200)
    scheduler = call("GET", "/v1/operator/scheduler/configuration", 200).json()["SchedulerConfig"]
    call("PUT", "/v1/operator/scheduler/configuration", 200, body=scheduler)
    stale = call("POST", "/v1/operator/scheduler/configuration", 200, query={"cas": "1"}, body=scheduler).json()
    assert stale["Updated"] is False

    call("GET", "/v1/operator/license", 204)
    call("PUT", "/v1/operator/license", 400, body="not a license", media_type="text/plain")

    archive = call("GET", "/v1/operator/snapshot", 200).content
    call("PUT", "/v1/operator/snapshot", 200, body=archive, media_type="application/octet-stream")
    call("POST", "/v1/operator/snapshot", 500, body=b"not an archive", media_type="application/octet-stream")

    assert documented_operations(acl=False) - call.exercised == set()


def test_every_documented_acl_operation_answers_as_documented(acl_on: Target) -> None:
    call = Walker(acl_on)
    for method in ("PUT", "POST"):
        call(method, "/v1/acl/bootstrap", 400)  # done by the fixture
    call("GET", "/v1/acl/policies", 200)
    call("GET", "/v1/acl/policy/self", 200)
    name = {"path_parameters": {"name": "doc-check"}}
    rules = 'namespace "default" { policy = "read" }'
    for method in ("PUT", "POST"):
        call(method, "/v1/acl/policy/{name}", 200, **name, body={"Name": "doc-check", "Rules": rules})
    call("GET", "/v1/acl/policy/{name}", 200, **name)
    call("GET", "/v1/acl/tokens", 200)
    token = call("PUT", "/v1/acl/token", 200, body={"Name": "doc", "Type": "client", "Policies": ["doc-check"]}).json()
    call("POST", "/v1/acl/token", 200, body={"Name": "doc2", "Type": "management"})
    accessor = {"path_parameters": {"accessor": token["AccessorID"]}}
    call("GET", "/v1/acl/token/{accessor}", 200, **accessor)
    update = {"AccessorID": token["AccessorID"], "Name": "renamed", "Type": "client", "Policies": ["doc-check"]}
    for method in ("PUT", "POST"):
        call(method, "/v1/acl/token/{accessor}", 200, **accessor, body=update)
    call("GET", "/v1/acl/token/self", 200)
    call("DELETE", "/v1/acl/token/{accessor}", 200, **accessor)
    call("DELETE", "/v1/acl/policy/{name}", 200, **name)
    call("GET", "/v1/acl/policy/{name}", 404, **name)
    for method in ("GET", "PUT", "POST", "DELETE"):
        call(method, "/v1/acl/policy/", 400)
        call(method, "/v1/acl/token/", 400)
    assert documented_operations(acl=True) - call.exercised == set()
