"""A cluster deployed the way roles/server deploys it by default (TLS everywhere, client certificates
to etcd, ACLs on), and the raw tools an attacker uses against it: sockets, TLS by hand, /proc."""

from __future__ import annotations

import json
import re
import resource
import socket
import ssl
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from raftops.localcluster import LocalCluster

from ..conftest import next_hosts

# Shorter than the defaults (10 s for headers, 30 s for a body) so that the tests that wait for a
# deadline finish quickly; the defaults themselves are measured by bench/hostile.py.
FAST_LIMITS = {"http_header_timeout": 2, "http_body_timeout": 3, "http_idle_timeout": 5}


@dataclass
class SecureCluster:
    cluster: LocalCluster
    token: str  # management

    @property
    def node(self):
        return self.cluster.nodes[0]

    @property
    def api(self) -> str:
        return self.node.api

    @property
    def ca(self) -> str:
        return self.cluster.ca_file

    def get(self, path: str, token: str | None = None, **kw: Any) -> requests.Response:
        return self.call("GET", path, token=token, **kw)

    def call(self, method: str, path: str, token: str | None = None, url: str | None = None, **kw: Any):
        headers = kw.pop("headers", {})
        if token is not None:
            headers["X-Nomad-Token"] = token
        kw.setdefault("timeout", 10)
        return requests.request(method, (url or self.api) + path, headers=headers, verify=self.ca, **kw)

    def agent_pid(self, node=None) -> int:
        pid = self.cluster.pid(node or self.node, "agent")
        assert pid, "the agent is not running"
        return pid

    def tls_socket(self, host: str | None = None, port: int | None = None, timeout: float = 10) -> ssl.SSLSocket:
        ctx = ssl.create_default_context(cafile=self.ca)
        raw = socket.create_connection((host or self.node.host, port or self.node.http_port), timeout=timeout)
        return ctx.wrap_socket(raw, server_hostname=host or self.node.host)


def start_secure_cluster(root: Path, name: str, *, hosts: int = 3, agent_config: dict | None = None) -> SecureCluster:
    config = {"acl_enabled": True, "limits": dict(FAST_LIMITS)} | (agent_config or {})
    cluster = LocalCluster(root / name, next_hosts(hosts), token=f"sec-{name}", agent_config=config, tls=True)
    try:
        cluster.up(timeout=90)
        client = cluster.client_tls
        assert client is not None
        resp = requests.post(
            f"{cluster.nodes[0].api}/v1/acl/bootstrap",
            verify=cluster.ca_file,
            cert=(client.cert_file, client.key_file),  # accepted everywhere, required with verify_https_client
            timeout=10,
        )
        resp.raise_for_status()
    except BaseException:
        cluster.destroy()
        raise
    return SecureCluster(cluster, resp.json()["SecretID"])


def rss_kib(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", text, re.MULTILINE).group(1))


def raise_own_fd_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def read_answer(sock: socket.socket, timeout: float) -> bytes:
    """Whatever the server sends until it closes or ``timeout`` passes."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except (ConnectionError, ssl.SSLError, OSError):
            break
        if not chunk:
            break
        data += chunk
        if b"\r\n\r\n" in data:
            head, _, body = data.partition(b"\r\n\r\n")
            match = re.search(rb"content-length: (\d+)", head, re.IGNORECASE)
            if match and len(body) >= int(match.group(1)):
                break
    return data


def status_of(answer: bytes) -> int:
    match = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
    return int(match.group(1)) if match else 0


def metric_series(text: str) -> int:
    return sum(1 for line in text.splitlines() if line and not line.startswith("#"))


@contextmanager
def closing_all(socks: list[socket.socket]):
    try:
        yield socks
    finally:
        for s in socks:
            with suppress(OSError):
                s.close()


def json_of(resp: requests.Response) -> Any:
    return json.loads(resp.content) if resp.content else None
