"""ACLs on a real 3-server cluster started with acl_enabled: bootstrap, policies, tokens, and the
allow/deny matrix of every endpoint (this part's and the raft/autopilot ones)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import nomad
import pytest
from raftops import gotime
from raftops import license as lic
from raftops.localcluster import LocalCluster
from raftops.store.acl import ACLStore, Stored, token_hash
from raftops.store.etcd import Etcd
from raftops.store.state import StateStore

from ..conftest import run_cli, wait_for
from .nomadhttp import call, race, started_cluster, wait_configs_ready

POLICIES = {
    "op-read": 'operator { policy = "read" }',
    "op-write": 'operator {\n  policy = "write"\n}',
    "lic-read": 'operator { capabilities = ["license-read"] }',
    "vars": """
namespace "default" {
  variables {
    path "app/*" { capabilities = ["read", "write", "list", "destroy"] }
  }
}""",
}


@pytest.fixture(scope="module")
def license_keys(cluster_root: Path) -> tuple[Path, Path]:
    private, public = lic.generate_keypair()
    priv, pub = cluster_root / "acl-license.key", cluster_root / "acl-license.pub"
    priv.write_bytes(private)
    pub.write_bytes(public)
    return priv, pub


@pytest.fixture(scope="module")
def cluster(cluster_root: Path, license_keys) -> Iterator[LocalCluster]:
    config = {"acl_enabled": True, "license_public_key": str(license_keys[1])}
    with started_cluster(cluster_root, "acl", config) as c:
        yield c


@pytest.fixture(scope="module")
def bootstrap_race(cluster: LocalCluster) -> list:
    """8 concurrent bootstraps against the 3 agents, before anything else touches ACLs."""
    return race(8, lambda i: call("POST", f"{cluster.nodes[i % 3].api}/v1/acl/bootstrap"))


@pytest.fixture(scope="module")
def tokens(cluster: LocalCluster, bootstrap_race) -> dict[str, str | None]:
    mgmt = next(r.json()["SecretID"] for r in bootstrap_race if r.status_code == 200)
    api = cluster.nodes[0].api
    out: dict[str, str | None] = {"mgmt": mgmt, "anon": None, "unknown": str(uuid.uuid4())}
    for name, rules in POLICIES.items():
        resp = call("POST", f"{api}/v1/acl/policy/{name}", token=mgmt, body={"Name": name, "Rules": rules})
        assert resp.status_code == 200, resp.text
        token = call(
            "POST", f"{api}/v1/acl/token", token=mgmt, body={"Name": name, "Type": "client", "Policies": [name]}
        )
        assert token.status_code == 200, token.text
        out[name.replace("-", "_")] = token.json()["SecretID"]
    wait_configs_ready(cluster, token=mgmt)
    return out


def api(cluster: LocalCluster, node: int = 0) -> str:
    return cluster.nodes[node].api


# -- bootstrap ----------------------------------------------------------------------------------------
def test_bootstrap_exactly_once_under_concurrency(cluster: LocalCluster, bootstrap_race) -> None:
    ok = [r for r in bootstrap_race if r.status_code == 200]
    assert len(ok) == 1
    token = ok[0].json()
    assert token["Type"] == "management" and token["Name"] == "Bootstrap Token" and token["Global"] is True
    assert uuid.UUID(token["SecretID"]) and uuid.UUID(token["AccessorID"])
    assert ok[0].headers["X-Nomad-Index"] == str(token["CreateIndex"])
    refused = {r.text for r in bootstrap_race if r.status_code == 400}
    assert refused == {f"ACL bootstrap already done (reset index: {token['CreateIndex']})"}
    again = call("POST", f"{api(cluster)}/v1/acl/bootstrap")
    assert (again.status_code, again.text) == (400, f"ACL bootstrap already done (reset index: {token['CreateIndex']})")


def test_bootstrap_reset_file(cluster: LocalCluster, tokens) -> None:
    node = cluster.nodes[1]
    reset_file = node.dir / "agent" / "acl-bootstrap-reset"
    first = call("GET", f"{node.api}/v1/acl/token/self", token=tokens["mgmt"]).json()
    reset_index = first["CreateIndex"]
    try:
        reset_file.write_text(f"{reset_index + 5}\n")
        resp = call("POST", f"{node.api}/v1/acl/bootstrap")
        assert (resp.status_code, resp.text) == (
            400,
            f"Invalid bootstrap reset index (specified {reset_index + 5}, reset index: {reset_index})",
        )
        reset_file.write_text(f"{reset_index}\n")
        secret = str(uuid.uuid4())
        resp = call("POST", f"{node.api}/v1/acl/bootstrap", body={"BootstrapSecret": secret})
        assert resp.status_code == 200, resp.text
        assert resp.json()["SecretID"] == secret
        # Both management tokens work; the reset index moved, so the same file no longer allows it.
        assert call("GET", f"{api(cluster)}/v1/acl/tokens", token=secret).status_code == 200
        assert call("GET", f"{api(cluster)}/v1/acl/tokens", token=tokens["mgmt"]).status_code == 200
        resp = call("POST", f"{node.api}/v1/acl/bootstrap")
        assert resp.status_code == 400 and "Invalid bootstrap reset index" in resp.text
        resp = call("POST", f"{node.api}/v1/acl/bootstrap", body={"BootstrapSecret": "not-a-uuid"})
        assert resp.status_code == 400
    finally:
        reset_file.unlink(missing_ok=True)
    resp = call("POST", f"{node.api}/v1/acl/bootstrap", data="{bad")
    assert resp.status_code == 400 and resp.text.startswith("failed to decode request body: ")


# -- the allow/deny matrix ----------------------------------------------------------------------------
MGMT = {"mgmt"}
OP_READ = {"mgmt", "op_read", "op_write"}
OP_WRITE = {"mgmt", "op_write"}
LICENSE_READ = OP_READ | {"lic_read"}
VARS = {"mgmt", "vars"}
ANY_TOKEN = {"mgmt", "op_read", "op_write", "lic_read", "vars", "anon"}
CALLERS = ["mgmt", "op_read", "op_write", "lic_read", "vars", "anon", "unknown"]


def matrix(cluster: LocalCluster, tokens, license_keys) -> list[tuple[str, str, dict, object, set[str]]]:
    base = api(cluster)
    mgmt = tokens["mgmt"]
    raft = call("GET", f"{base}/v1/operator/raft/configuration", token=mgmt).json()
    leader_id = next(s["ID"] for s in raft["Servers"] if s["Leader"])
    autopilot = call("GET", f"{base}/v1/operator/autopilot/configuration", token=mgmt).json()
    scheduler = call("GET", f"{base}/v1/operator/scheduler/configuration", token=mgmt).json()["SchedulerConfig"]
    call("PUT", f"{base}/v1/var/app/x", token=mgmt, body={"Items": {"a": "b"}})
    call("PUT", f"{base}/v1/var/other", token=mgmt, body={"Items": {"a": "b"}})
    key = lic.load_private_key(license_keys[0].read_bytes())
    now = gotime.now_ns()
    hour = 3600 * 10**9
    blob = lic.sign(lic.new_license(license_id="m", customer_id="c", issue_ns=now, start_ns=now - hour,
                                    expiration_ns=now + 24 * hour), key)  # fmt: skip
    token_body = {"Name": "made-in-matrix", "Type": "client", "Policies": ["op-read"]}
    return [
        ("GET", "/v1/operator/raft/configuration", {}, None, MGMT),
        ("DELETE", "/v1/operator/raft/peer", {"id": str(uuid.uuid4())}, None, MGMT),
        ("PUT", "/v1/operator/raft/transfer-leadership", {"id": leader_id}, None, MGMT),
        ("PUT", "/v1/operator/raft/join", {}, None, MGMT),  # allowed: 400, the body is empty
        ("GET", "/v1/operator/autopilot/health", {}, None, OP_READ),
        ("GET", "/v1/operator/autopilot/configuration", {}, None, OP_READ),
        ("PUT", "/v1/operator/autopilot/configuration", {"cas": "0"}, autopilot, OP_WRITE),
        ("GET", "/v1/operator/scheduler/configuration", {}, None, OP_READ),
        ("PUT", "/v1/operator/scheduler/configuration", {"cas": "0"}, scheduler, OP_WRITE),
        ("POST", "/v1/operator/scheduler/configuration", {"cas": "0"}, scheduler, OP_WRITE),
        ("PUT", "/v1/operator/license", {}, blob, OP_WRITE),
        ("GET", "/v1/operator/license", {}, None, LICENSE_READ),
        ("GET", "/v1/var/app/x", {}, None, VARS),
        ("PUT", "/v1/var/app/x", {}, {"Items": {"a": "c"}}, VARS),
        ("DELETE", "/v1/var/app/gone", {}, None, VARS),
        ("GET", "/v1/var/other", {}, None, MGMT),
        ("PUT", "/v1/var/other", {}, {"Items": {"a": "c"}}, MGMT),
        ("DELETE", "/v1/var/other-gone", {}, None, MGMT),
        ("GET", "/v1/vars", {}, None, ANY_TOKEN),
        ("GET", "/v1/acl/policies", {}, None, ANY_TOKEN),
        ("GET", "/v1/acl/policy/op-read", {}, None, {"mgmt", "op_read"}),
        ("POST", "/v1/acl/policy/matrix", {}, {"Name": "matrix", "Rules": ""}, MGMT),
        ("DELETE", "/v1/acl/policy/matrix", {}, None, MGMT),
        ("GET", "/v1/acl/tokens", {}, None, MGMT),
        ("POST", "/v1/acl/token", {}, token_body, MGMT),
        ("GET", "/v1/acl/token/self", {}, None, ANY_TOKEN),
    ]


def test_every_endpoint_allows_and_denies_by_acl(cluster: LocalCluster, tokens, license_keys) -> None:
    failures = []
    for method, path, params, body, allowed in matrix(cluster, tokens, license_keys):
        for who in CALLERS:
            data = body if isinstance(body, str) else (json.dumps(body) if body is not None else None)
            resp = call(
                method, api(cluster, CALLERS.index(who) % 3) + path, token=tokens[who], data=data, params=params
            )
            if who in allowed:
                ok = resp.status_code != 403
            elif who == "unknown":
                ok = (resp.status_code, resp.text) == (403, "ACL token not found")
            else:
                ok = (resp.status_code, resp.text) == (403, "Permission denied")
            if not ok:
                failures.append(f"{method} {path} as {who}: {resp.status_code} {resp.text[:80]}")
    assert not failures, "\n".join(failures)


def test_list_endpoints_filter_instead_of_denying(cluster: LocalCluster, tokens) -> None:
    base = api(cluster)
    call("PUT", f"{base}/v1/var/app/listed", token=tokens["mgmt"], body={"Items": {"a": "b"}})
    seen = {m["Path"] for m in call("GET", f"{base}/v1/vars", token=tokens["vars"]).json()}
    assert "app/listed" in seen and "other" not in seen
    assert call("GET", f"{base}/v1/vars", token=tokens["op_read"]).json() == []
    everything = {m["Path"] for m in call("GET", f"{base}/v1/vars", token=tokens["mgmt"]).json()}
    assert {"app/listed", "other"} <= everything
    names = [p["Name"] for p in call("GET", f"{base}/v1/acl/policies", token=tokens["vars"]).json()]
    assert names == ["vars"]
    assert len(call("GET", f"{base}/v1/acl/policies", token=tokens["mgmt"]).json()) >= len(POLICIES)
    assert call("GET", f"{base}/v1/acl/policy/self", token=tokens["op_read"]).json()[0]["Name"] == "op-read"


def test_token_from_authorization_bearer(cluster: LocalCluster, tokens) -> None:
    url = f"{api(cluster)}/v1/operator/scheduler/configuration"
    assert call("GET", url, token=tokens["op_read"], bearer=True).status_code == 200
    assert call("GET", url, token=tokens["vars"], bearer=True).status_code == 403


def test_a_variable_conflict_hides_items_the_caller_cannot_read(cluster: LocalCluster, tokens) -> None:
    base = api(cluster)
    mgmt = tokens["mgmt"]
    rules = 'namespace "default" {\n variables {\n path "wo/*" { capabilities = ["write"] }\n }\n}'
    call("POST", f"{base}/v1/acl/policy/write-only", token=mgmt, body={"Name": "write-only", "Rules": rules})
    writer = call("POST", f"{base}/v1/acl/token", token=mgmt,
                  body={"Name": "w", "Type": "client", "Policies": ["write-only"]}).json()["SecretID"]  # fmt: skip
    first = call("PUT", f"{base}/v1/var/wo/x", token=writer, body={"Items": {"secret": "1"}})
    assert first.status_code == 200
    conflict = call("PUT", f"{base}/v1/var/wo/x", token=writer, body={"Items": {"secret": "2"}}, params={"cas": "0"})
    assert conflict.status_code == 409 and "Items" not in conflict.json()
    assert conflict.json()["ModifyIndex"] == first.json()["ModifyIndex"]
    assert call("GET", f"{base}/v1/var/wo/x", token=writer).status_code == 403


# -- policies -----------------------------------------------------------------------------------------
def test_policy_crud_and_shapes(cluster: LocalCluster, tokens) -> None:
    base, mgmt = api(cluster), tokens["mgmt"]
    rules_json = json.dumps({"namespace": {"default": {"policy": "read"}}, "operator": {"policy": "read"}})
    resp = call("PUT", f"{base}/v1/acl/policy/from-json", token=mgmt,
                body={"Name": "from-json", "Description": "json rules", "Rules": rules_json})  # fmt: skip
    assert resp.status_code == 200 and resp.text == "" and int(resp.headers["X-Nomad-Index"]) > 0
    got = call("GET", f"{base}/v1/acl/policy/from-json", token=mgmt)
    policy = got.json()
    assert list(policy) == ["Name", "Description", "Rules", "RulesJSON", "JobACL", "Hash", "CreateIndex", "ModifyIndex"]
    assert policy["RulesJSON"]["Operator"]["Policy"] == "read"
    assert "read-job" in policy["RulesJSON"]["Namespaces"][0]["Capabilities"]
    assert got.headers["X-Nomad-Index"] == str(policy["ModifyIndex"])
    stubs = {p["Name"]: p for p in call("GET", f"{base}/v1/acl/policies", token=mgmt).json()}
    assert set(stubs["from-json"]) == {"Name", "Description", "JobACL", "Hash", "CreateIndex", "ModifyIndex"}
    assert stubs["from-json"]["Hash"] == policy["Hash"]
    assert call("DELETE", f"{base}/v1/acl/policy/from-json", token=mgmt).status_code == 200
    missing = call("GET", f"{base}/v1/acl/policy/from-json", token=mgmt)
    assert (missing.status_code, missing.text) == (404, "ACL policy not found")
    assert call("DELETE", f"{base}/v1/acl/policy/never-was", token=mgmt).status_code == 200


@pytest.mark.parametrize(
    ("path_name", "body", "message"),
    [
        ("a", {"Name": "b", "Rules": ""}, "ACL policy name does not match request path"),
        ("bad_name", {"Name": "bad_name", "Rules": ""},
         "policy 0 invalid: 1 error occurred:\n\t* invalid name 'bad_name'\n\n"),
        ("p", {"Name": "p", "Rules": 'operator { policy = "admin" }'},
         "policy 0 invalid: 1 error occurred:\n\t* failed to parse rules: Invalid operator policy: 'admin'\n\n"),
        ("p", {"Name": "p", "Rules": 'bogus { x = "y" }\noperator { policy = "read" }'},
         "policy 0 invalid: 1 error occurred:\n\t* failed to parse rules: Invalid or duplicate policy keys: bogus\n\n"),
        ("p", {"Name": "p", "Rules": "", "Description": "d" * 257},
         "policy 0 invalid: 1 error occurred:\n\t* description longer than 256\n\n"),
        ("bad_name", {"Name": "bad_name", "Rules": "namespace {", "Description": "d" * 257},
         "policy 0 invalid: 3 errors occurred:"),
        ("p", {"Name": "p", "Rules": 1},
         "json: cannot unmarshal number 1 into Go struct field ACLPolicy.Rules of type string"),
    ],
)  # fmt: skip
def test_policy_validation(cluster: LocalCluster, tokens, path_name, body, message) -> None:
    resp = call("POST", f"{api(cluster)}/v1/acl/policy/{path_name}", token=tokens["mgmt"], body=body)
    assert resp.status_code == 400
    assert resp.text.startswith(message)
    assert call("GET", f"{api(cluster)}/v1/acl/policy/{path_name}", token=tokens["mgmt"]).status_code == 404


def test_a_policy_change_applies_at_once_on_every_agent(cluster: LocalCluster, tokens) -> None:
    base, mgmt = api(cluster), tokens["mgmt"]
    call(
        "POST", f"{base}/v1/acl/policy/flip", token=mgmt, body={"Name": "flip", "Rules": 'operator { policy = "read" }'}
    )
    secret = call("POST", f"{base}/v1/acl/token", token=mgmt,
                  body={"Name": "flip", "Type": "client", "Policies": ["flip"]}).json()["SecretID"]  # fmt: skip
    urls = [f"{n.api}/v1/operator/scheduler/configuration" for n in cluster.nodes]
    assert [call("GET", u, token=secret).status_code for u in urls] == [200, 200, 200]  # now cached everywhere
    call(
        "POST", f"{base}/v1/acl/policy/flip", token=mgmt, body={"Name": "flip", "Rules": 'operator { policy = "deny" }'}
    )
    assert [call("GET", u, token=secret).status_code for u in urls] == [403, 403, 403]
    call("DELETE", f"{base}/v1/acl/policy/flip", token=mgmt)
    assert [call("GET", u, token=secret).status_code for u in urls] == [403, 403, 403]
    call(
        "POST",
        f"{base}/v1/acl/policy/flip",
        token=mgmt,
        body={"Name": "flip", "Rules": 'operator { policy = "write" }'},
    )
    assert [call("GET", u, token=secret).status_code for u in urls] == [200, 200, 200]


def test_the_anonymous_policy_applies_to_requests_without_a_token(cluster: LocalCluster, tokens) -> None:
    base, mgmt = api(cluster), tokens["mgmt"]
    url = f"{base}/v1/operator/scheduler/configuration"
    assert call("GET", url).status_code == 403
    call(
        "POST",
        f"{base}/v1/acl/policy/anonymous",
        token=mgmt,
        body={"Name": "anonymous", "Rules": 'operator { policy = "read" }'},
    )
    try:
        assert call("GET", url).status_code == 200
        assert call("PUT", url, body={}).status_code == 403
        assert call("GET", f"{base}/v1/acl/policy/anonymous").status_code == 200
        me = call("GET", f"{base}/v1/acl/token/self").json()
        assert me["AccessorID"] == "anonymous" and me["Policies"] == ["anonymous"] and me["SecretID"] == ""
    finally:
        call("DELETE", f"{base}/v1/acl/policy/anonymous", token=mgmt)
    assert call("GET", url).status_code == 403


# -- tokens -------------------------------------------------------------------------------------------
def test_token_lifecycle_and_secret_visibility(cluster: LocalCluster, tokens) -> None:
    base, mgmt = api(cluster), tokens["mgmt"]
    resp = call(
        "POST", f"{base}/v1/acl/token", token=mgmt, body={"Name": "life", "Type": "client", "Policies": ["op-read"]}
    )
    assert resp.status_code == 200
    created = resp.json()
    assert list(created) == ["AccessorID", "SecretID", "Name", "Type", "Policies", "Roles", "Global", "Hash",
                             "CreateTime", "ExpirationTime", "ExpirationTTL", "CreateIndex", "ModifyIndex"]  # fmt: skip
    assert resp.headers["X-Nomad-Index"] == str(created["ModifyIndex"])
    accessor, secret = created["AccessorID"], created["SecretID"]
    # The secret is shown on creation and to its own holder; a management read shows "" (only hashes are stored).
    by_admin = call("GET", f"{base}/v1/acl/token/{accessor}", token=mgmt).json()
    assert by_admin["SecretID"] == "" and by_admin["Hash"] == created["Hash"]
    assert call("GET", f"{base}/v1/acl/token/{accessor}", token=secret).json()["SecretID"] == secret
    assert call("GET", f"{base}/v1/acl/token/self", token=secret).json()["AccessorID"] == accessor
    other = call("GET", f"{base}/v1/acl/token/{accessor}", token=tokens["vars"])
    assert (other.status_code, other.text) == (403, "Permission denied")
    stubs = {t["AccessorID"]: t for t in call("GET", f"{base}/v1/acl/tokens", token=mgmt).json()}
    assert "SecretID" not in stubs[accessor]
    # Update: the name changes, the secret and create time stay, the hash follows the new fields.
    change = {"AccessorID": accessor, "Name": "renamed", "Type": "client", "Policies": ["op-write"]}
    upd = call("POST", f"{base}/v1/acl/token/{accessor}", token=mgmt, body=change).json()
    assert upd["Name"] == "renamed" and upd["CreateTime"] == created["CreateTime"] and upd["Hash"] != created["Hash"]
    assert upd["CreateIndex"] == created["CreateIndex"] and upd["ModifyIndex"] > created["ModifyIndex"]
    assert (
        call(
            "PUT", f"{base}/v1/operator/scheduler/configuration", token=secret, params={"cas": "0"}, body={}
        ).status_code
        == 200
    )
    # Delete: the token stops working on every agent at once.
    assert call("DELETE", f"{base}/v1/acl/token/{accessor}", token=mgmt).status_code == 200
    for node in cluster.nodes:
        gone = call("GET", f"{node.api}/v1/acl/token/self", token=secret)
        assert (gone.status_code, gone.text) == (403, "ACL token not found")
    again = call("DELETE", f"{base}/v1/acl/token/{accessor}", token=mgmt)
    assert (again.status_code, again.text) == (400, f"Cannot delete nonexistent tokens: {accessor}")
    missing = call("GET", f"{base}/v1/acl/token/{accessor}", token=mgmt)
    assert (missing.status_code, missing.text) == (404, "ACL token not found")


def test_token_upload_and_expiry(cluster: LocalCluster, tokens) -> None:
    base, mgmt = api(cluster), tokens["mgmt"]
    accessor, secret = str(uuid.uuid4()), str(uuid.uuid4())
    body = {"AccessorID": accessor, "SecretID": secret, "Name": "up", "Type": "client", "Policies": ["vars"],
            "ExpirationTTL": "2h"}  # fmt: skip
    up = call("POST", f"{base}/v1/acl/token/{accessor}", token=mgmt, body=body).json()
    assert up["AccessorID"] == accessor and up["SecretID"] == secret and up["ExpirationTTL"] == "2h0m0s"
    expires = gotime.parse_ns(up["ExpirationTime"]) - gotime.parse_ns(up["CreateTime"])
    assert expires == 2 * 3600 * 10**9
    assert call("GET", f"{base}/v1/var/app/x", token=secret).status_code == 200
    # A token whose expiration time has passed is refused (written straight into the store: the API
    # only accepts expirations at least a minute ahead).
    etcd = Etcd([n.etcd.client_url for n in cluster.nodes])
    try:
        store = ACLStore(StateStore(etcd))
        stored = store.token(accessor)
        doc = {k: v for k, v in stored.doc.items() if k != "SecretHash"}
        doc["ExpirationTime"] = gotime.format_ns(gotime.now_ns() - 10**9)
        doc["Hash"] = token_hash(doc)
        assert store.update_token(Stored(stored.doc, stored.create_index, stored.modify_index), doc).succeeded
    finally:
        etcd.close()
    for node in cluster.nodes:
        resp = call("GET", f"{node.api}/v1/var/app/x", token=secret)
        assert (resp.status_code, resp.text) == (403, "ACL token expired")


def test_a_secret_that_moved_to_another_accessor_by_a_restore_works_at_once(cluster: LocalCluster, tokens) -> None:
    """After a restore the same secret can belong to another AccessorID: the agents' token caches must resolve it
    again rather than answer "ACL token not found" for the accessor they had cached."""
    base, mgmt = api(cluster), tokens["mgmt"]
    secret, first, second = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())

    def upload(accessor: str) -> None:
        body = {"AccessorID": accessor, "SecretID": secret, "Name": "moved", "Type": "client", "Policies": ["vars"]}
        assert call("POST", f"{base}/v1/acl/token/{accessor}", token=mgmt, body=body).status_code == 200

    upload(first)
    archive = call("GET", f"{base}/v1/operator/snapshot", token=mgmt)
    assert archive.status_code == 200
    assert call("DELETE", f"{base}/v1/acl/token/{first}", token=mgmt).status_code == 200
    upload(second)
    urls = [f"{node.api}/v1/acl/token/self" for node in cluster.nodes]
    assert [call("GET", u, token=secret).json()["AccessorID"] for u in urls] == [second] * 3  # cached everywhere
    assert call("PUT", f"{base}/v1/operator/snapshot", token=mgmt, data=archive.content).status_code == 200
    answers = [call("GET", u, token=secret) for u in urls]
    assert [(a.status_code, a.json()["AccessorID"]) for a in answers] == [(200, first)] * 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Type": "client"}, "token 0 invalid: 1 error occurred:\n\t* client token missing policies or roles\n\n"),
        ({"Type": "admin", "Policies": ["x"]},
         "token 0 invalid: 1 error occurred:\n\t* token type must be client or management\n\n"),
        ({"Type": "management", "Policies": ["x"]},
         "token 0 invalid: 1 error occurred:\n\t* management token cannot be associated with policies or roles\n\n"),
        ({"Type": "client", "Policies": ["x"], "Name": "n" * 257},
         "token 0 invalid: 1 error occurred:\n\t* token name too long\n\n"),
        # As in Nomad, the negative TTL also sets an expiration time in the past: three errors.
        ({"Type": "client", "Policies": ["x"], "ExpirationTTL": "-5m"},
         "token 0 invalid: 3 errors occurred:\n\t* token expiration TTL '-5m0s' should not be negative"
         "\n\t* expiration time cannot be before create time"
         "\n\t* expiration time cannot be less than 1m0s in the future (was -5m0s)\n\n"),
        ({"Type": "client", "Policies": ["x"], "ExpirationTTL": "30s"},
         "token 0 invalid: 1 error occurred:\n"
         "\t* expiration time cannot be less than 1m0s in the future (was 30s)\n\n"),
        ({"Type": "client", "Policies": ["x"], "ExpirationTTL": "48h"},
         "token 0 invalid: 1 error occurred:\n"
         "\t* expiration time cannot be more than 24h0m0s in the future (was 48h0m0s)\n\n"),
        ({"Type": "client", "Roles": [{"Name": "ops"}]}, "cannot find role ops"),
        ({"AccessorID": "not-a-uuid", "Type": "client", "Policies": ["x"]}, "cannot find token not-a-uuid"),
        ({"Type": "client", "Policies": "x"},
         "json: cannot unmarshal string into Go struct field ACLToken.Policies of type []string"),
        ({"Type": "client", "Policies": ["x"], "ExpirationTTL": "soon"}, 'time: invalid duration "soon"'),
    ],
)  # fmt: skip
def test_token_validation(cluster: LocalCluster, tokens, body, message) -> None:
    before = len(call("GET", f"{api(cluster)}/v1/acl/tokens", token=tokens["mgmt"]).json())
    resp = call("POST", f"{api(cluster)}/v1/acl/token", token=tokens["mgmt"], body=body)
    assert (resp.status_code, resp.text) == (400, message)
    assert len(call("GET", f"{api(cluster)}/v1/acl/tokens", token=tokens["mgmt"]).json()) == before


def test_path_and_method_errors(cluster: LocalCluster, tokens) -> None:
    base, mgmt = api(cluster), tokens["mgmt"]
    assert call("PUT", f"{base}/v1/acl/token/self", token=mgmt).status_code == 405
    assert call("DELETE", f"{base}/v1/acl/policy/self", token=mgmt).status_code == 405
    assert call("GET", f"{base}/v1/acl/bootstrap").status_code == 405
    assert call("POST", f"{base}/v1/acl/tokens", token=mgmt).status_code == 405
    resp = call("POST", f"{base}/v1/acl/token/abc", token=mgmt, body={"AccessorID": "xyz", "Type": "client"})
    assert (resp.status_code, resp.text) == (400, "ACL token accessor does not match request path")


def test_python_nomad_acl_api(cluster: LocalCluster, tokens) -> None:
    """python-nomad 2.x used unchanged: ACL tokens and policies, and its exceptions for 400/403/404."""
    admin = nomad.Nomad(address=api(cluster, 2), token=tokens["mgmt"], timeout=10)
    with pytest.raises(nomad.api.exceptions.BadRequestNomadException):
        admin.acl.generate_bootstrap()
    assert admin.acl.create_policy("pn", {"Name": "pn", "Rules": 'operator { policy = "read" }'}).status_code == 200
    assert admin.acl.get_policy("pn")["Name"] == "pn"
    assert "pn" in [p["Name"] for p in admin.acl.get_policies()]
    admin.acl.update_policy("pn", {"Name": "pn", "Description": "updated", "Rules": 'operator { policy = "read" }'})
    assert admin.acl.get_policy("pn")["Description"] == "updated"
    token = admin.acl.create_token({"Name": "pn", "Type": "client", "Policies": ["pn"]})
    assert admin.acl.get_token(token["AccessorID"])["Name"] == "pn"
    assert token["AccessorID"] in [t["AccessorID"] for t in admin.acl.get_tokens()]
    updated = admin.acl.update_token(token["AccessorID"], {**token, "Name": "pn2"})
    assert updated["Name"] == "pn2"
    user = nomad.Nomad(address=api(cluster, 1), token=token["SecretID"], timeout=10)
    assert user.acl.get_self_token()["AccessorID"] == token["AccessorID"]
    with pytest.raises(nomad.api.exceptions.URLNotAuthorizedNomadException):
        user.acl.get_tokens()
    assert admin.acl.delete_token(token["AccessorID"]) is True
    with pytest.raises(nomad.api.exceptions.URLNotAuthorizedNomadException):
        user.acl.get_self_token()
    assert admin.acl.delete_policy("pn") is True
    with pytest.raises(nomad.api.exceptions.URLNotFoundNomadException):
        admin.acl.get_policy("pn")
    # The variables API through python-nomad honours the token too.
    assert nomad.Nomad(address=api(cluster), token=tokens["vars"], timeout=10).variable.get_variable("app/x")
    with pytest.raises(nomad.api.exceptions.URLNotAuthorizedNomadException):
        nomad.Nomad(address=api(cluster), token=tokens["vars"], timeout=10).variable.get_variable("other")


def test_cli_acl_commands(cluster: LocalCluster, tokens, tmp_path: Path) -> None:
    env = {"RAFTOPS_ADDR": api(cluster, 1), "RAFTOPS_TOKEN": tokens["mgmt"]}
    rules = tmp_path / "ops.hcl"
    rules.write_text('operator {\n  policy = "write"\n}\n')
    done = run_cli("acl", "policy", "apply", "-description", "ops team", "cli-ops", str(rules), env=env)
    assert done.returncode == 0, done.stderr
    assert "cli-ops" in run_cli("acl", "policy", "list", env=env).stdout
    info = json.loads(run_cli("acl", "policy", "info", "-json", "cli-ops", env=env).stdout)
    assert info["Description"] == "ops team"
    created = json.loads(
        run_cli("acl", "token", "create", "-json", "-name", "cli", "-policy", "cli-ops", env=env).stdout
    )
    assert created["SecretID"]
    user_env = {**env, "RAFTOPS_TOKEN": created["SecretID"]}
    assert "Accessor ID  = " + created["AccessorID"] in run_cli("acl", "token", "self", env=user_env).stdout
    assert run_cli("operator", "scheduler", "set-config", "-pause-eval-broker=false", env=user_env).returncode == 0
    assert run_cli("acl", "token", "list", env=user_env).returncode == 1
    assert created["AccessorID"] in run_cli("acl", "token", "list", env=env).stdout
    renamed = run_cli("acl", "token", "update", "-json", "-name", "cli2", created["AccessorID"], env=env)
    assert json.loads(renamed.stdout)["Name"] == "cli2"
    assert run_cli("acl", "token", "delete", created["AccessorID"], env=env).returncode == 0
    denied = run_cli("operator", "scheduler", "get-config", env=user_env)
    assert denied.returncode == 1 and "ACL token not found" in denied.stderr
    assert run_cli("acl", "policy", "delete", "cli-ops", env=env).returncode == 0
    wait_for(lambda: run_cli("acl", "policy", "info", "cli-ops", env=env).returncode == 1, 5)


# -- in-process agent on one real etcd member (no HTTP server) ------------------------------------------
@pytest.fixture
def make_agent(etcd_member, tmp_path: Path) -> Iterator:
    from raftops.agent import Agent
    from raftops.config import Config

    agents = []

    def make(**settings) -> Agent:
        config = Config(
            node_name=f"solo{len(agents)}",
            etcd_endpoints=[etcd_member.client_url],
            data_dir=str(tmp_path / f"agent{len(agents)}"),
            **settings,
        )
        agents.append(Agent(config))
        return agents[-1]

    yield make
    for agent in agents:
        agent.etcd.close()


def test_with_acls_off_everything_is_allowed_and_the_acl_api_is_disabled(make_agent) -> None:
    from werkzeug.test import Client

    client = Client(make_agent(acl_enabled=False).app)
    for method, path in (("POST", "/v1/acl/bootstrap"), ("GET", "/v1/acl/policies"), ("GET", "/v1/acl/tokens"),
                         ("POST", "/v1/acl/policy/x"), ("DELETE", "/v1/acl/token/x")):  # fmt: skip
        body = json.dumps({"Name": "x", "Rules": ""}) if path == "/v1/acl/policy/x" else None
        resp = client.open(path, method=method, data=body)
        assert (resp.status_code, resp.get_data(as_text=True)) == (400, "ACL support disabled"), path
    me = client.get("/v1/acl/token/self").get_json()
    assert me["AccessorID"] == "acls-disabled" and me["Type"] == "client"
    resp = client.put("/v1/var/any/path", data=json.dumps({"Items": {"a": "b"}}), headers={"X-Nomad-Token": "junk"})
    assert resp.status_code == 200


def test_token_resolution_costs_one_etcd_request_once_cached(make_agent, monkeypatch) -> None:
    from werkzeug.test import Client

    agent = make_agent(acl_enabled=True)
    client = Client(agent.app)
    mgmt = client.post("/v1/acl/bootstrap").get_json()["SecretID"]
    rules = 'namespace "default" {\n variables {\n path "*" { capabilities = ["read"] }\n }\n}'
    headers = {"X-Nomad-Token": mgmt}
    assert (
        client.post("/v1/acl/policy/r", data=json.dumps({"Name": "r", "Rules": rules}), headers=headers).status_code
        == 200
    )
    body = json.dumps({"Name": "r", "Type": "client", "Policies": ["r"]})
    secret = client.post("/v1/acl/token", data=body, headers=headers).get_json()["SecretID"]

    calls = {"n": 0}
    real_call = agent.etcd.gateway.call

    def counting(*args, **kwargs):
        calls["n"] += 1
        return real_call(*args, **kwargs)

    monkeypatch.setattr(agent.etcd.gateway, "call", counting)
    agent.acl.resolve(secret)  # first sight: secret index, then token + policies in one txn
    assert calls["n"] == 2
    for _ in range(5):
        calls["n"] = 0
        assert agent.acl.resolve(secret).allows("variables:read", namespace="default", path="x")
        assert calls["n"] == 1
    # A policy change is seen by the next request, still in one request (the failed compare returns fresh data).
    assert client.post("/v1/acl/policy/r", data=json.dumps({"Name": "r", "Rules": 'operator { policy = "read" }'}),
                       headers=headers).status_code == 200  # fmt: skip
    calls["n"] = 0
    identity = agent.acl.resolve(secret)
    assert calls["n"] == 1
    assert not identity.allows("variables:read", namespace="default", path="x")
    assert identity.allows("operator:read")
