"""Who may talk to what: the agents' HTTPS client-certificate check, and the backup sidecar's callers.

Findings: the HTTP API ignored client certificates even with a client CA configured; anyone who reached
the sidecar could download the whole state (GET /v1/backup) or make it write backups (/v1/backupnow).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from raftops import pki
from raftops.etcdproc import free_port

from ..conftest import wait_for
from .secure import SecureCluster, start_secure_cluster


@pytest.fixture(scope="module")
def secure(cluster_root: Path) -> Iterator[SecureCluster]:
    target = start_secure_cluster(cluster_root, "authn")
    try:
        yield target
    finally:
        target.cluster.destroy()


# -- the agents' HTTPS ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def verifying(cluster_root: Path) -> Iterator[SecureCluster]:
    """One server whose API requires a client certificate signed by the cluster CA."""
    ca = str(cluster_root / "verifying" / "tls" / "ca.pem")
    config = {"tls": {"http": {"ca_file": ca, "verify_https_client": True}}}
    # The CA does not exist yet: LocalCluster makes it before it starts the first agent.
    target = start_secure_cluster(cluster_root, "verifying", hosts=1, agent_config=config)
    try:
        yield target
    finally:
        target.cluster.destroy()


def test_verify_https_client_refuses_a_caller_without_a_certificate(verifying: SecureCluster) -> None:
    # TLS 1.3 finishes the client's side of the handshake before the server checks the certificate: the
    # refusal shows as a TLS alert or as a connection closed before any answer.
    with pytest.raises(requests.exceptions.ConnectionError):
        verifying.get("/v1/agent/health")
    client = verifying.cluster.client_tls
    assert client is not None
    resp = verifying.get("/v1/agent/health", cert=(client.cert_file, client.key_file))
    assert resp.status_code == 200


def test_verify_https_client_refuses_a_certificate_from_another_ca(verifying: SecureCluster, tmp_path: Path) -> None:
    other = pki.create_ca(tmp_path / "other-ca.pem", tmp_path / "other-ca-key.pem", common_name="not the cluster")
    stranger = pki.issue(other, pki.Pair(tmp_path / "s.pem", tmp_path / "s-key.pem"), "stranger", server=False)
    with pytest.raises(requests.exceptions.ConnectionError):
        verifying.get("/v1/agent/health", cert=(str(stranger.cert), str(stranger.key)))


# -- the sidecar ------------------------------------------------------------------------------------------
class SecureSidecar:
    def __init__(self, target: SecureCluster, workdir: Path):
        cluster = target.cluster
        tls_dir = cluster.tls_dir
        ca = pki.Pair(tls_dir / "ca.pem", tls_dir / "ca-key.pem")
        own = pki.issue(
            ca, pki.Pair(workdir / "sidecar.pem", workdir / "sidecar-key.pem"), "sidecar", ip_addresses=["127.0.0.1"]
        )
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.ca = cluster.ca_file
        config = {
            "addr": cluster.api_addresses,
            "tls": {"ca_file": cluster.ca_file},
            "dir": str(workdir / "backups"),
            "bind": "127.0.0.1",
            "port": self.port,
            "backup_interval_in_second": 3600,
            "http_tls": {"cert_file": str(own.cert), "key_file": str(own.key), "ca_file": cluster.ca_file},
        }
        path = workdir / "sidecar.json"
        path.write_text(json.dumps(config))
        self.log = workdir / "sidecar.log"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "raftops.cli", "backup-sidecar", "-config", str(path)],
                stdout=log,
                stderr=log,
                env={**os.environ, "RAFTOPS_TOKEN": target.token},
                start_new_session=True,
            )
        wait_for(self._answering, timeout=30, message="sidecar answering")

    def _answering(self) -> bool:
        assert self.proc.poll() is None, self.log.read_text()[-2000:]
        try:
            return self.get("/metrics").status_code == 200
        except requests.ConnectionError:
            return False

    def get(self, path: str, token: str | None = None, **kw) -> requests.Response:
        headers = {"X-Nomad-Token": token} if token else {}
        return requests.get(self.url + path, headers=headers, verify=self.ca, timeout=60, **kw)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


@pytest.fixture(scope="module")
def sidecar(secure: SecureCluster, cluster_root: Path) -> Iterator[SecureSidecar]:
    workdir = cluster_root / "authn-sidecar"
    workdir.mkdir()
    running = SecureSidecar(secure, workdir)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def reader_token(secure: SecureCluster) -> str:
    """A client token with operator:read only."""
    policy = {"Name": "op-read", "Rules": 'operator { policy = "read" }'}
    assert secure.call("PUT", "/v1/acl/policy/op-read", token=secure.token, json=policy).status_code == 200
    body = {"Name": "reader", "Type": "client", "Policies": ["op-read"]}
    return secure.call("PUT", "/v1/acl/token", token=secure.token, json=body).json()["SecretID"]


@pytest.mark.parametrize("path", ["/v1/backup", "/v1/backupnow", "/v1/status"])
def test_the_sidecar_answers_401_without_credentials(sidecar: SecureSidecar, path: str) -> None:
    resp = sidecar.get(path)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", ["/v1/backup", "/v1/backupnow", "/v1/status"])
def test_the_sidecar_answers_403_to_an_unknown_token(sidecar: SecureSidecar, path: str) -> None:
    assert sidecar.get(path, token="0f0e0d0c-0000-4000-8000-000000000000").status_code == 403


def test_operator_read_sees_the_status_but_gets_no_backup(sidecar: SecureSidecar, reader_token: str) -> None:
    assert sidecar.get("/v1/status", token=reader_token).status_code == 200
    assert sidecar.get("/v1/backup", token=reader_token).status_code == 403
    assert sidecar.get("/v1/backupnow", token=reader_token).status_code == 403


def test_a_management_token_takes_and_downloads_a_backup(sidecar: SecureSidecar, secure: SecureCluster) -> None:
    taken = sidecar.get("/v1/backupnow", token=secure.token)
    assert taken.status_code == 200, taken.text
    download = sidecar.get("/v1/backup", token=secure.token)
    assert download.status_code == 200 and download.content[:2] == b"\x1f\x8b"


def test_a_client_certificate_from_the_cluster_ca_is_a_credential(sidecar: SecureSidecar, secure: SecureCluster):
    sidecar.get("/v1/backupnow", token=secure.token)
    client = secure.cluster.client_tls
    assert client is not None
    resp = sidecar.get("/v1/backup", cert=(client.cert_file, client.key_file))
    assert resp.status_code == 200


def test_a_client_certificate_from_another_ca_is_refused(sidecar: SecureSidecar, tmp_path: Path) -> None:
    other = pki.create_ca(tmp_path / "o.pem", tmp_path / "o-key.pem", common_name="other")
    stranger = pki.issue(other, pki.Pair(tmp_path / "s.pem", tmp_path / "s-key.pem"), "stranger", server=False)
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        sidecar.get("/v1/backup", cert=(str(stranger.cert), str(stranger.key)))


def test_the_sidecar_speaks_https_only(sidecar: SecureSidecar) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{sidecar.port}/v1/status", timeout=5)
    assert sidecar.get("/metrics").status_code == 200  # metrics stay open, like the agents'
