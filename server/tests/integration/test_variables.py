"""Nomad Variables (/v1/var/:path, /v1/vars) on the real 3-server cluster, with python-nomad too."""

from __future__ import annotations

import json

import nomad
import pytest
from raftops.localcluster import LocalCluster
from raftops.store.etcd import Etcd
from raftops.store.state import StateStore

from ..conftest import run_cli
from .nomadhttp import call, race


def var_url(cluster: LocalCluster, path: str, node: int = 0) -> str:
    return f"{cluster.nodes[node].api}/v1/var/{path}"


def list_url(cluster: LocalCluster, node: int = 0) -> str:
    return f"{cluster.nodes[node].api}/v1/vars"


def state_revision(cluster: LocalCluster) -> int:
    etcd = Etcd([n.etcd.client_url for n in cluster.nodes])
    try:
        return StateStore(etcd).state_revision()
    finally:
        etcd.close()


def test_create_read_update(local_cluster: LocalCluster) -> None:
    resp = call("PUT", var_url(local_cluster, "app/db"), body={"Items": {"user": "admin", "pass": "s3cret"}})
    assert resp.status_code == 200, resp.text
    created = resp.json()
    assert list(created) == ["Namespace", "Path", "CreateIndex", "CreateTime", "ModifyIndex", "ModifyTime", "Items"]
    assert created["Namespace"] == "default" and created["Path"] == "app/db"
    assert created["CreateIndex"] == created["ModifyIndex"] == int(resp.headers["X-Nomad-Index"])
    assert created["CreateTime"] == created["ModifyTime"] > 0

    resp = call("GET", var_url(local_cluster, "app/db", node=2))
    assert resp.status_code == 200
    assert resp.json() == created
    assert resp.headers["X-Nomad-Index"] == str(created["ModifyIndex"])
    assert resp.headers["X-Nomad-KnownLeader"] == "true"

    resp = call("POST", var_url(local_cluster, "app/db", node=1), body={"Items": {"user": "root"}})
    updated = resp.json()
    assert updated["Items"] == {"user": "root"}
    assert updated["CreateIndex"] == created["CreateIndex"] and updated["CreateTime"] == created["CreateTime"]
    assert updated["ModifyIndex"] > created["ModifyIndex"] and updated["ModifyTime"] > created["ModifyTime"]


def test_namespaces_are_separate_and_the_body_namespace_wins(local_cluster: LocalCluster) -> None:
    call("PUT", var_url(local_cluster, "shared"), body={"Items": {"ns": "default"}})
    resp = call("PUT", var_url(local_cluster, "shared"), body={"Items": {"ns": "prod"}}, params={"namespace": "prod"})
    assert resp.json()["Namespace"] == "prod"
    resp = call(
        "PUT",
        var_url(local_cluster, "shared"),
        body={"Namespace": "dev", "Items": {"ns": "dev"}},
        params={"namespace": "prod"},
    )
    assert resp.json()["Namespace"] == "dev"
    for ns in ("default", "prod", "dev"):
        got = call("GET", var_url(local_cluster, "shared"), params={"namespace": ns}).json()
        assert got["Items"] == {"ns": ns} and got["Namespace"] == ns
    assert call("GET", var_url(local_cluster, "shared"), params={"namespace": "qa"}).status_code == 404


def test_list_prefix_namespaces_and_pages(local_cluster: LocalCluster) -> None:
    for path in ("list/b", "list/a", "list/c/d", "listing"):
        assert call("PUT", var_url(local_cluster, path), body={"Items": {"k": path}}).status_code == 200
    call("PUT", var_url(local_cluster, "list/x"), body={"Items": {"k": "v"}}, params={"namespace": "other"})

    resp = call("GET", list_url(local_cluster), params={"prefix": "list/"})
    assert resp.status_code == 200
    metas = resp.json()
    assert [m["Path"] for m in metas] == ["list/a", "list/b", "list/c/d"]
    assert all(set(m) == {"Namespace", "Path", "CreateIndex", "CreateTime", "ModifyIndex", "ModifyTime"} for m in metas)
    assert int(resp.headers["X-Nomad-Index"]) >= max(m["ModifyIndex"] for m in metas)

    everywhere = call("GET", list_url(local_cluster), params={"prefix": "list/", "namespace": "*"}).json()
    assert [(m["Namespace"], m["Path"]) for m in everywhere] == [
        ("default", "list/a"),
        ("default", "list/b"),
        ("default", "list/c/d"),
        ("other", "list/x"),
    ]

    page1 = call("GET", list_url(local_cluster), params={"prefix": "list", "per_page": 2})
    assert [m["Path"] for m in page1.json()] == ["list/a", "list/b"]
    token = page1.headers["X-Nomad-NextToken"]
    assert token == "default.list/c/d"
    page2 = call("GET", list_url(local_cluster), params={"prefix": "list", "per_page": 2, "next_token": token})
    assert [m["Path"] for m in page2.json()] == ["list/c/d", "listing"]
    assert "X-Nomad-NextToken" not in page2.headers
    assert call("GET", list_url(local_cluster), params={"prefix": "nothing-here"}).json() == []


def test_cas_conflicts_return_409_with_the_conflicting_variable(local_cluster: LocalCluster) -> None:
    url = var_url(local_cluster, "cas/one")
    resp = call("PUT", url, body={"Items": {"v": "1"}}, params={"cas": "0"})  # create only if absent
    assert resp.status_code == 200
    first = resp.json()

    resp = call("PUT", url, body={"Items": {"v": "2"}}, params={"cas": "0"})
    assert resp.status_code == 409
    assert resp.json() == {**first}
    assert resp.headers["X-Nomad-Index"] == str(first["ModifyIndex"])

    resp = call("PUT", url, body={"Items": {"v": "2"}}, params={"cas": first["ModifyIndex"] + 1000})
    assert resp.status_code == 409 and resp.json()["Items"] == {"v": "1"}

    resp = call("PUT", url, body={"Items": {"v": "2"}}, params={"cas": first["ModifyIndex"]})
    assert resp.status_code == 200
    second = resp.json()

    # A CAS against a variable that does not exist conflicts with Nomad's zero value.
    resp = call("PUT", var_url(local_cluster, "cas/missing"), body={"Items": {"v": "1"}}, params={"cas": "7"})
    assert resp.status_code == 409
    assert resp.json() == {
        "Namespace": "default",
        "Path": "cas/missing",
        "CreateIndex": 0,
        "CreateTime": 0,
        "ModifyIndex": 0,
        "ModifyTime": 0,
    }

    # Deletes: wrong index -> 409 with the current variable; cas=0 on a missing variable -> 204; right index -> 204.
    resp = call("DELETE", url, params={"cas": first["ModifyIndex"]})
    assert resp.status_code == 409 and resp.json()["ModifyIndex"] == second["ModifyIndex"]
    resp = call("DELETE", url, params={"cas": "0"})
    assert resp.status_code == 409
    assert call("DELETE", var_url(local_cluster, "cas/missing"), params={"cas": "0"}).status_code == 204
    assert call("DELETE", var_url(local_cluster, "cas/missing"), params={"cas": "3"}).status_code == 409
    resp = call("DELETE", url, params={"cas": second["ModifyIndex"]})
    assert (resp.status_code, resp.text) == (204, "")
    assert int(resp.headers["X-Nomad-Index"]) > second["ModifyIndex"]
    resp = call("GET", url)
    assert (resp.status_code, resp.text) == (404, "variable not found")
    assert call("DELETE", url).status_code == 204  # deleting what is gone succeeds


@pytest.mark.parametrize(
    ("method", "path", "query", "data", "message"),
    [
        ("PUT", "v/x", {}, None, "Request body is empty"),
        ("PUT", "v/x", {}, "{}", "variable missing required Items object"),
        ("PUT", "v/x", {}, '{"Items": {}}', "variable missing required Items object"),
        (
            "PUT",
            "v/x",
            {},
            '{"Items": {"a": 1}}',
            "json: cannot unmarshal number 1 into Go struct field VariableDecrypted.Items of type string",
        ),
        ("PUT", "v x", {}, '{"Items": {"a": "b"}}', 'invalid path "v x"'),
        ("PUT", "v.x", {}, '{"Items": {"a": "b"}}', 'invalid path "v.x"'),
        ("PUT", "a" * 129, {}, '{"Items": {"a": "b"}}', f'invalid path "{"a" * 129}"'),
        (
            "PUT",
            "nomad",
            {},
            '{"Items": {"a": "b"}}',
            '"nomad" is a reserved top-level directory path, but you may write variables to "nomad/jobs", '
            '"nomad/job-templates", "nomad/sentinel", or below',
        ),
        (
            "PUT",
            "nomad/other",
            {},
            '{"Items": {"a": "b"}}',
            'only paths at "nomad/jobs" or "nomad/job-templates" and below are valid paths under the top-level '
            '"nomad" directory',
        ),
        (
            "PUT",
            "nomad/job-templates",
            {},
            '{"Items": {"a": "b"}}',
            '"nomad/job-templates" is a reserved directory path, but you may write variables at the level below it, '
            'for example, "nomad/job-templates/template-name"',
        ),
        ("PUT", "v/x", {"namespace": "*"}, '{"Items": {"a": "b"}}', 'can not target wildcard ("*")namespace'),
        (
            "PUT",
            "v/x",
            {"cas": "x"},
            '{"Items": {"a": "b"}}',
            'can not parse cas: strconv.ParseUint: parsing "x": invalid syntax',
        ),
        ("PUT", "v/x", {"lock-acquire": "", "lock-release": ""}, '{"Items": {"a": "b"}}', "multiple lock operations"),
        ("PUT", "v/x", {"lock-acquire": "", "cas": "1"}, "{}", "CAS can't be used with lock operations"),
        (
            "PUT",
            "v/x",
            {},
            '{"Items": {"a": "b"}, "Lock": {"TTL": "15s"}}',
            "variable should not contain lock definition",
        ),
        ("DELETE", "v/x", {"cas": "-2"}, None, 'can not parse cas: strconv.ParseUint: parsing "-2": invalid syntax'),
        ("PATCH", "v/x", {}, None, "Invalid method"),
        ("GET", "", {}, None, "missing variable path"),
    ],
)
def test_bad_requests_are_400_and_change_nothing(local_cluster, method, path, query, data, message) -> None:
    before = state_revision(local_cluster)
    resp = call(method, var_url(local_cluster, path), data=data, params=query)
    assert (resp.status_code, resp.text) == (400, message)
    assert state_revision(local_cluster) == before


def test_size_limit_is_64_kib_of_keys_and_values(local_cluster: LocalCluster) -> None:
    exact = {"k": "x" * (65536 - 1)}
    assert call("PUT", var_url(local_cluster, "big/ok"), body={"Items": exact}).status_code == 200
    resp = call("PUT", var_url(local_cluster, "big/no"), body={"Items": {"k": "x" * 65536}})
    assert (resp.status_code, resp.text) == (400, "variables are limited to 64KiB in total size")
    assert call("GET", var_url(local_cluster, "big/no")).status_code == 404


def test_wrong_method_on_the_list(local_cluster: LocalCluster) -> None:
    resp = call("PUT", list_url(local_cluster), data="{}")
    assert (resp.status_code, resp.text) == (405, "Invalid method")


def test_concurrent_cas_writers_exactly_one_wins(local_cluster: LocalCluster) -> None:
    url_of = [var_url(local_cluster, "race/v", node=i) for i in range(3)]
    index = call("PUT", url_of[0], body={"Items": {"w": "init"}}).json()["ModifyIndex"]
    writers = 8
    for _ in range(3):
        replies = race(
            writers,
            lambda i, x=index: call("PUT", url_of[i % 3], body={"Items": {"w": str(i)}}, params={"cas": x}),
        )
        winners = [i for i, r in enumerate(replies) if r.status_code == 200]
        losers = [r.json() for r in replies if r.status_code == 409]
        assert len(winners) == 1 and len(losers) == writers - 1, [(r.status_code, r.text) for r in replies]
        won = replies[winners[0]].json()
        assert call("GET", url_of[1]).json()["Items"] == {"w": str(winners[0])}
        # Every loser saw either the value it raced against or the winner's write.
        assert all(b["ModifyIndex"] in (index, won["ModifyIndex"]) for b in losers)
        index = won["ModifyIndex"]


def test_python_nomad_client(local_cluster: LocalCluster) -> None:
    """python-nomad 2.x used unchanged: Variable (get/create/delete, cas, in) and Variables (list)."""
    client = nomad.Nomad(address=local_cluster.nodes[1].api, timeout=10)
    created = client.variable.create_variable("pn/app", {"Items": {"k": "v"}})
    assert created["Path"] == "pn/app" and created["Items"] == {"k": "v"}
    assert client.variable.get_variable("pn/app")["Items"] == {"k": "v"}
    assert "pn/app" in client.variable and "pn/none" not in client.variable
    with pytest.raises(nomad.api.exceptions.VariableConflict):
        client.variable.create_variable("pn/app", {"Items": {"k": "w"}}, cas=created["ModifyIndex"] + 99)
    updated = client.variable.create_variable("pn/app", {"Items": {"k": "w"}}, cas=created["ModifyIndex"])
    assert updated["Items"] == {"k": "w"}
    client.variable.create_variable("pn/app", {"Items": {"n": "1"}}, namespace="pn")
    assert [v["Path"] for v in client.variables.get_variables(prefix="pn/")] == ["pn/app"]
    assert [v["Namespace"] for v in client.variables.get_variables(prefix="pn/", namespace="*")] == ["default", "pn"]
    assert "pn/app" in client.variables
    with pytest.raises(nomad.api.exceptions.VariableConflict):
        client.variable.delete_variable("pn/app", cas=created["ModifyIndex"])
    assert client.variable.delete_variable("pn/app", cas=updated["ModifyIndex"]).status_code == 204
    with pytest.raises(nomad.api.exceptions.URLNotFoundNomadException):
        client.variable.get_variable("pn/app")
    with pytest.raises(nomad.api.exceptions.BadRequestNomadException):
        client.variable.create_variable("nomad/nope", {"Items": {"a": "b"}})
    client.variable.delete_variable("pn/app", namespace="pn")


def test_cli_put_get_list_purge(local_cluster: LocalCluster, tmp_path) -> None:
    env = {"RAFTOPS_ADDR": local_cluster.nodes[0].api}
    items_file = tmp_path / "items.json"
    items_file.write_text(json.dumps({"from": "file"}))
    done = run_cli("var", "put", "cli/app", "user=admin", "pass=x=y", f"@{items_file}", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('Created variable "cli/app" with modify index ')
    got = json.loads(run_cli("var", "get", "-json", "cli/app", env=env).stdout)
    assert got["Items"] == {"user": "admin", "pass": "x=y", "from": "file"}
    assert run_cli("var", "get", "-item", "pass", "cli/app", env=env).stdout == "x=y\n"
    shown = run_cli("var", "get", "cli/app", env=env).stdout
    assert "Path         = cli/app" in shown and "user = admin" in shown
    listing = run_cli("var", "list", "cli/", env=env)
    assert listing.returncode == 0 and "cli/app" in listing.stdout
    stale = run_cli("var", "put", "-check-index", "1", "cli/app", "user=other", env=env)
    assert stale.returncode == 1 and "does not match the current modify index" in stale.stderr
    bad = run_cli("var", "put", "nomad/bad", "a=b", env=env)
    assert bad.returncode == 1 and "Unexpected response code: 400" in bad.stderr
    purged = run_cli("var", "purge", "-check-index", str(got["ModifyIndex"]), "cli/app", env=env)
    assert purged.returncode == 0, purged.stderr
    assert run_cli("var", "get", "cli/app", env=env).returncode == 1
