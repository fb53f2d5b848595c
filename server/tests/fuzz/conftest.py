"""Two one-server clusters for the fuzz suite: ACLs off, and ACLs on with planted data to guard."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from raftops.localcluster import LocalCluster

from ..conftest import next_hosts


@dataclass
class Target:
    cluster: LocalCluster
    acl: bool
    management: str = ""  # the bootstrap token's secret (ACLs on)
    planted: list[str] = field(default_factory=list)  # strings only a management token may ever see

    @property
    def api(self) -> str:
        return self.cluster.nodes[0].api


def license_key_pem() -> str:
    # A key of our own, so that PUT /v1/operator/license answers as it does when configured (400s, not 501).
    key = Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def start(root: Path, name: str, acl: bool) -> LocalCluster:
    config = {"license": {"public_key": license_key_pem()}}
    if acl:
        config["acl"] = {"enabled": True}
    cluster = LocalCluster(root / name, next_hosts(1), token=f"raftops-{name}", agent_config=config)
    cluster.up(timeout=90)
    return cluster


def plant(target: Target) -> None:
    """Data a bad or anonymous token must never see: a variable, a policy, a client token's secret."""
    api, headers = target.api, {"X-Nomad-Token": target.management}
    secret_value = f"PLANTED-{uuid.uuid4()}"
    r = requests.put(f"{api}/v1/var/planted/secret", json={"Items": {"k": secret_value}}, headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    rules = 'namespace "default" { policy = "read" }'
    policy = f"planted-{uuid.uuid4().hex[:8]}"
    r = requests.put(
        f"{api}/v1/acl/policy/{policy}", json={"Name": policy, "Rules": rules}, headers=headers, timeout=10
    )
    assert r.status_code == 200, r.text
    r = requests.put(
        f"{api}/v1/acl/token",
        json={"Name": "planted", "Type": "client", "Policies": [policy]},
        headers=headers,
        timeout=10,
    )
    assert r.status_code == 200, r.text
    target.planted += [secret_value, policy, r.json()["SecretID"], r.json()["AccessorID"], target.management]


@pytest.fixture(scope="session")
def acl_off(cluster_root: Path) -> Iterator[Target]:
    cluster = start(cluster_root, "fuzz-acl-off", acl=False)
    try:
        yield Target(cluster, acl=False)
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def acl_on(cluster_root: Path) -> Iterator[Target]:
    cluster = start(cluster_root, "fuzz-acl-on", acl=True)
    try:
        r = requests.put(f"{cluster.nodes[0].api}/v1/acl/bootstrap", timeout=10)
        assert r.status_code == 200, r.text
        target = Target(cluster, acl=True, management=r.json()["SecretID"])
        plant(target)
        yield target
    finally:
        cluster.destroy()
