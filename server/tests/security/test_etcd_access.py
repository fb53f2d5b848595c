"""No path around the ACLs through etcd: the cluster as roles/server deploys it by default.

The finding: etcd listened without TLS or client authentication, and one key written under
``acl/secret/<sha256>`` minted a management token; after that key was deleted, an agent still accepted
the secret from its cache.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from raftops.store.acl import SECRET_PREFIX
from raftops.store.state import StateStore

from .secure import SecureCluster, closing_all, read_answer, start_secure_cluster


@pytest.fixture(scope="module")
def secure(cluster_root: Path) -> Iterator[SecureCluster]:
    target = start_secure_cluster(cluster_root, "etcd-access")
    try:
        yield target
    finally:
        target.cluster.destroy()


def _handshake(host: str, port: int, ca: str, cert: tuple[str, str] | None) -> bytes:
    """An HTTPS request to etcd; b"" when the connection is refused at the TLS layer."""
    ctx = ssl.create_default_context(cafile=ca)
    if cert:
        ctx.load_cert_chain(*cert)
    raw = socket.create_connection((host, port), timeout=5)
    try:
        s = ctx.wrap_socket(raw, server_hostname=host)
        with closing_all([s]):
            s.sendall(f"GET /version HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            return read_answer(s, timeout=5)
    except (ssl.SSLError, ConnectionError):
        return b""
    finally:
        raw.close()


@pytest.mark.parametrize("which", ["client", "peer"])
def test_etcd_refuses_a_client_without_a_certificate(secure: SecureCluster, which: str) -> None:
    node = secure.node
    port = node.client_port if which == "client" else node.peer_port
    tls = secure.cluster.client_tls
    assert tls is not None
    assert _handshake(node.host, port, tls.ca_file, None) == b""
    # Plain HTTP is no way in either.
    plain = socket.create_connection((node.host, port), timeout=5)
    with closing_all([plain]):
        plain.sendall(f"GET /version HTTP/1.1\r\nHost: {node.host}\r\n\r\n".encode())
        assert b"etcdserver" not in read_answer(plain, timeout=3)
    if which == "client":  # the certificate the agents hold opens it
        assert b"etcdserver" in _handshake(node.host, port, tls.ca_file, (tls.cert_file, tls.key_file))


def test_a_secret_mapping_written_into_etcd_grants_nothing(secure: SecureCluster) -> None:
    """Even someone who could write to etcd cannot mint a token by pointing a secret at a management
    token: the agents accept a token only when its stored SecretHash matches the secret presented."""
    me = secure.get("/v1/acl/token/self", token=secure.token).json()
    forged = str(uuid.uuid4())
    etcd = secure.cluster.etcd_client()
    try:
        state = StateStore(etcd)
        state.put(SECRET_PREFIX + hashlib.sha256(forged.encode()).hexdigest(), me["AccessorID"].encode())
        for node in secure.cluster.nodes:
            resp = secure.get("/v1/acl/tokens", token=forged, url=node.api)
            assert resp.status_code == 403, resp.text
            assert resp.text == "ACL token not found"
            assert secure.get("/v1/operator/snapshot", token=forged, url=node.api).status_code == 403
    finally:
        etcd.close()


def test_a_deleted_secret_mapping_stops_the_token_at_once_on_every_agent(secure: SecureCluster) -> None:
    created = secure.call(
        "PUT", "/v1/acl/token", token=secure.token, json={"Name": "short-lived", "Type": "management"}
    ).json()
    secret = created["SecretID"]
    for node in secure.cluster.nodes:  # every agent has it cached now
        assert secure.get("/v1/acl/token/self", token=secret, url=node.api).status_code == 200
    etcd = secure.cluster.etcd_client()
    try:
        StateStore(etcd).delete(SECRET_PREFIX + hashlib.sha256(secret.encode()).hexdigest())
    finally:
        etcd.close()
    for node in secure.cluster.nodes:
        resp = secure.get("/v1/acl/token/self", token=secret, url=node.api)
        assert resp.status_code == 403 and resp.text == "ACL token not found", (node.name, resp.text)


def test_etcd_holds_no_usable_secret(secure: SecureCluster) -> None:
    """A read of the whole keyspace (what a stolen client certificate or a backup gives) shows hashes only."""
    secret = secure.token
    etcd = secure.cluster.etcd_client()
    try:
        values = [kv.key + kv.value for kv in etcd.range_all(b"/raftops")]
    finally:
        etcd.close()
    assert values, "the keyspace is not empty"
    assert not any(secret.encode() in v for v in values)
