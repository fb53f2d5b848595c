"""Starting etcd members as child processes: for ``agent -dev``, the local cluster and tests.

Production hosts run etcd under systemd (roles/server); this module is for loopback use.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .store.gateway import EtcdError, Gateway

ETCD_CANDIDATES = ("/usr/bin/etcd", "/usr/local/bin/etcd")


def find_etcd() -> str:
    """The etcd binary: $RAFTOPS_ETCD_BIN, then PATH, then the Debian package's location."""
    env = os.environ.get("RAFTOPS_ETCD_BIN")
    if env:
        return env
    found = shutil.which("etcd")
    if found:
        return found
    for cand in ETCD_CANDIDATES:
        if os.access(cand, os.X_OK):
            return cand
    raise FileNotFoundError("etcd not found: install the Debian package etcd-server or set RAFTOPS_ETCD_BIN")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class MemberTLS:
    """TLS for one member: its certificate (server and client use) and the CA that signs the cluster's."""

    ca_file: str
    cert_file: str
    key_file: str


@dataclass
class EtcdMemberSpec:
    name: str
    host: str
    client_port: int
    peer_port: int
    data_dir: str
    tls: MemberTLS | None = None

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def client_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.peer_port}"


def tls_args(tls: MemberTLS) -> list[str]:
    """Client and peer TLS with client certificates required on both, as roles/server configures it."""
    return [
        "--cert-file",
        tls.cert_file,
        "--key-file",
        tls.key_file,
        "--trusted-ca-file",
        tls.ca_file,
        "--client-cert-auth",
        "--peer-cert-file",
        tls.cert_file,
        "--peer-key-file",
        tls.key_file,
        "--peer-trusted-ca-file",
        tls.ca_file,
        "--peer-client-cert-auth",
    ]


def etcd_args(spec: EtcdMemberSpec, initial_cluster: str, *, state: str = "new", token: str = "raftops") -> list[str]:
    return [
        find_etcd(),
        "--name",
        spec.name,
        "--data-dir",
        spec.data_dir,
        "--listen-client-urls",
        spec.client_url,
        "--advertise-client-urls",
        spec.client_url,
        "--listen-peer-urls",
        spec.peer_url,
        "--initial-advertise-peer-urls",
        spec.peer_url,
        "--initial-cluster",
        initial_cluster,
        "--initial-cluster-state",
        state,
        "--initial-cluster-token",
        token,
        # Keep history bounded and the database capped, as production does.
        "--auto-compaction-mode",
        "periodic",
        "--auto-compaction-retention",
        "1h",
        "--quota-backend-bytes",
        str(2 * 1024**3),
        "--logger",
        "zap",
        "--log-outputs",
        "stderr",
        *(tls_args(spec.tls) if spec.tls else []),
    ]


def _die_with_parent() -> None:
    # PR_SET_PDEATHSIG: the child gets SIGTERM if the process that started it dies, even by SIGKILL.
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)
    except OSError:
        pass


def start_etcd(
    spec: EtcdMemberSpec,
    initial_cluster: str,
    *,
    state: str = "new",
    log_path: str | None = None,
    tie_to_parent: bool = False,
    token: str = "raftops",
) -> subprocess.Popen:
    Path(spec.data_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen(
            etcd_args(spec, initial_cluster, state=state, token=token),
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if tie_to_parent else None,
            start_new_session=not tie_to_parent,
        )
    finally:
        if log_path:
            log.close()


def wait_healthy(client_urls: list[str], timeout: float = 30.0, tls: MemberTLS | None = None) -> None:
    """Wait until every member answers /health with health true (bounded)."""
    gw = Gateway(client_urls, timeout=1.0, tls=vars(tls) if tls else None)
    deadline = time.monotonic() + timeout
    pending = list(client_urls)
    try:
        while pending:
            url = pending[0]
            try:
                status, body = gw.plain_get(url, "/health")
                if status == 200 and b'"true"' in body:
                    pending.pop(0)
                    continue
            except EtcdError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"etcd member {url} not healthy after {timeout:.0f}s")
            time.sleep(0.1)
    finally:
        gw.close()


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)
