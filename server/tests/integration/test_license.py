"""GET|PUT /v1/operator/license on a real cluster whose agents hold the license public key."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from raftops import gotime
from raftops import license as lic
from raftops.localcluster import LocalCluster

from ..conftest import run_cli, wait_for
from .nomadhttp import call, started_cluster

PATH = "/v1/operator/license"
HOUR = 3600 * 1_000_000_000


@pytest.fixture(scope="module")
def keys(cluster_root: Path) -> dict[str, Path]:
    out = {}
    for name in ("vendor", "other"):
        private, public = lic.generate_keypair()
        out[f"{name}.key"] = cluster_root / f"license-{name}.key"
        out[f"{name}.pub"] = cluster_root / f"license-{name}.pub"
        out[f"{name}.key"].write_bytes(private)
        out[f"{name}.pub"].write_bytes(public)
    return out


@pytest.fixture(scope="module")
def cluster(cluster_root: Path, keys: dict[str, Path]) -> Iterator[LocalCluster]:
    with started_cluster(cluster_root, "license", {"license_public_key": str(keys["vendor.pub"])}) as c:
        yield c


def blob(keys: dict[str, Path], signer: str = "vendor", **overrides) -> str:
    now = gotime.now_ns()
    fields = {
        "license_id": "lic-1",
        "customer_id": "acme",
        "issue_ns": now - HOUR,
        "start_ns": now - HOUR,
        "expiration_ns": now + 24 * HOUR,
        "features": ["Preemption", "Audit Logging"],
        "modules": ["governance-policy"],
    } | overrides
    key = lic.load_private_key(keys[f"{signer}.key"].read_bytes())
    return lic.sign(lic.new_license(**fields), key)


def get(cluster: LocalCluster, node: int = 0):
    return call("GET", cluster.nodes[node].api + PATH)


def test_no_license_is_204_like_nomad_ce(cluster: LocalCluster) -> None:
    resp = get(cluster)
    assert (resp.status_code, resp.text) == (204, "")


def test_put_then_get_shows_the_seed_shape(cluster: LocalCluster, keys) -> None:
    resp = call("PUT", cluster.nodes[1].api + PATH, data=blob(keys))
    assert resp.status_code == 200, resp.text
    index = resp.json()["Index"]
    assert resp.json() == {"Index": index} and resp.headers["X-Nomad-Index"] == str(index)
    for node in range(3):
        reply = get(cluster, node)
        assert reply.status_code == 200
        body = reply.json()
        assert set(body) == {"KnownLeader", "LastContact", "LastIndex", "License", "ConfigOutdated", "RequestTime"}
        assert body["LastIndex"] == index and reply.headers["X-Nomad-Index"] == str(index)
        license_ = body["License"]
        assert list(license_) == [
            "LicenseID", "CustomerID", "InstallationID", "IssueTime", "StartTime", "ExpirationTime",
            "TerminationTime", "NonProduction", "Product", "Flags", "Modules", "Features",
        ]  # fmt: skip
        assert license_["Product"] == "nomad" and license_["CustomerID"] == "acme"
        assert license_["Flags"] == {"modules": ["governance-policy"]}
        assert license_["Features"] == ["Preemption", "Audit Logging"]
        assert license_["TerminationTime"] == license_["ExpirationTime"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda k: blob(k, signer="other"),
            "invalid license: the signature does not match this cluster's license public key",
        ),
        (lambda k: blob(k, product="consul"), 'invalid license: it is for product "consul", not "nomad"'),
        (
            lambda k: blob(k, start_ns=gotime.now_ns() - 3 * HOUR, expiration_ns=gotime.now_ns() - HOUR),
            "invalid license: it expired at",
        ),
        (lambda k: blob(k, start_ns=gotime.now_ns() + HOUR), "invalid license: it is not valid before"),
        (lambda k: "not-a-license", "invalid license: expected <payload>.<signature>"),
        (lambda k: "@@@.###", "invalid license: cannot decode it"),
        (lambda k: "", "Request body is empty"),
    ],
)
def test_bad_licenses_are_400_and_change_nothing(cluster: LocalCluster, keys, make, message) -> None:
    before = get(cluster).json()
    resp = call("PUT", cluster.nodes[0].api + PATH, data=make(keys))
    assert resp.status_code == 400
    assert resp.text.startswith(message)
    assert get(cluster).json() == before


def test_a_tampered_payload_fails_the_signature(cluster: LocalCluster, keys) -> None:
    payload, sig = blob(keys).split(".")
    doc = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    doc["CustomerID"] = "mallory"
    forged_payload = base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()
    forged = forged_payload + "." + sig
    resp = call("PUT", cluster.nodes[0].api + PATH, data=forged)
    assert resp.status_code == 400 and "signature does not match" in resp.text


def test_an_older_license_needs_force(cluster: LocalCluster, keys) -> None:
    current = get(cluster).json()["License"]
    older = blob(keys, license_id="lic-0", issue_ns=gotime.parse_ns(current["IssueTime"]) - HOUR)
    resp = call("PUT", cluster.nodes[0].api + PATH, data=older)
    assert (resp.status_code, resp.text) == (400, "requested license is older than current one, use force to override")
    assert get(cluster).json()["License"]["LicenseID"] == "lic-1"
    resp = call("PUT", cluster.nodes[0].api + PATH, data=older, params={"force": "true"})
    assert resp.status_code == 200
    assert get(cluster).json()["License"]["LicenseID"] == "lic-0"


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_wrong_method(cluster: LocalCluster, method: str) -> None:
    resp = call(method, cluster.nodes[0].api + PATH)
    assert (resp.status_code, resp.text) == (405, "Invalid method")


def test_cli_keygen_sign_put_get(cluster: LocalCluster, tmp_path: Path, keys) -> None:
    env = {"RAFTOPS_ADDR": cluster.nodes[2].api}
    priv, pub = tmp_path / "k.pem", tmp_path / "k.pub"
    done = run_cli("license", "keygen", "-private-key", str(priv), "-public-key", str(pub))
    assert done.returncode == 0, done.stderr
    assert priv.stat().st_mode & 0o777 == 0o600
    again = run_cli("license", "keygen", "-private-key", str(priv), "-public-key", str(pub))
    assert again.returncode == 1 and "exists" in again.stderr
    # A license signed with a key the cluster does not trust is refused ...
    foreign = tmp_path / "foreign.lic"
    assert (
        run_cli("license", "sign", "-private-key", str(priv), "-customer-id", "x", "-out", str(foreign)).returncode == 0
    )
    refused = run_cli("license", "put", str(foreign), env=env)
    assert refused.returncode == 1 and "400" in refused.stderr
    # ... one signed with the vendor key is installed, and shown like `nomad license get`.
    good = tmp_path / "good.lic"
    signed = run_cli(
        "license",
        "sign",
        "-private-key",
        str(keys["vendor.key"]),
        "-customer-id",
        "globex",
        "-license-id",
        "lic-cli",
        "-expires-in",
        "48h",
        "-feature",
        "Namespaces",
        "-out",
        str(good),
    )
    assert signed.returncode == 0, signed.stderr
    put = run_cli("license", "put", str(good), env=env)
    assert put.returncode == 0, put.stderr
    shown = run_cli("license", "get", env=env)
    assert shown.returncode == 0, shown.stderr
    kv = {k.strip(): v for k, v in (line.split(" = ", 1) for line in shown.stdout.splitlines() if " = " in line)}
    assert kv["License ID"] == "lic-cli" and kv["Customer ID"] == "globex" and kv["License Status"] == "valid"
    assert json.loads(run_cli("license", "get", "-json", env=env).stdout)["License"]["Features"] == ["Namespaces"]


def test_an_agent_without_the_public_key_cannot_install_licenses(cluster: LocalCluster, keys) -> None:
    """Restart one agent without license_public_key: it still serves GET, but PUT is 501."""
    node = cluster.nodes[2]
    saved = dict(cluster.agent_config)
    try:
        cluster.signal(node, "agent")
        cluster.agent_config = {k: v for k, v in saved.items() if k != "license_public_key"}
        cluster.start(node, "agent")
        cluster.wait_ready(timeout=30)
        assert get(cluster, 2).status_code == 200
        resp = call("PUT", node.api + PATH, data=blob(keys, issue_ns=gotime.now_ns()))
        assert resp.status_code == 501
        assert resp.text == "this agent cannot verify licenses: set license_public_key in its configuration"
    finally:
        cluster.signal(node, "agent")
        cluster.agent_config = saved
        cluster.start(node, "agent")
        cluster.wait_ready(timeout=30)
    wait_for(lambda: get(cluster, 2).status_code == 200, 10)
