"""The agent's HTTP front under the attacks of issue 12, on a real TLS cluster with ACLs on.

What an attacker without a token tried: idle sockets, slowloris headers and slow bodies to starve the
agent; huge bodies to blow its memory; made-up methods to blow up the metrics. Latency and memory
targets are measured by bench/hostile.py; these tests hold the behaviour (the agent keeps answering,
bodies are refused unread, series stay bounded).
"""

from __future__ import annotations

import random
import socket
import string
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .secure import (
    SecureCluster,
    closing_all,
    metric_series,
    raise_own_fd_limit,
    read_answer,
    rss_kib,
    start_secure_cluster,
    status_of,
)


@pytest.fixture(scope="module")
def secure(cluster_root: Path) -> Iterator[SecureCluster]:
    target = start_secure_cluster(cluster_root, "front")
    try:
        yield target
    finally:
        target.cluster.destroy()


def evicted(target: SecureCluster) -> float:
    text = target.get("/v1/metrics?format=prometheus").text
    for line in text.splitlines():
        if line.startswith("raftops_http_connections_evicted_total "):
            return float(line.split()[1])
    return 0.0


def test_health_answers_through_idle_slowloris_and_slow_body_connections(secure: SecureCluster) -> None:
    raise_own_fd_limit(8192)
    host, port = secure.node.host, secure.node.http_port
    socks: list[socket.socket] = []
    slow: list[socket.socket] = []
    before = evicted(secure)
    stop = threading.Event()

    def dribble() -> None:  # one byte per slow connection every half second, as slowloris does
        while not stop.wait(0.5):
            for s in list(slow):
                try:
                    s.send(b"a")
                except OSError:
                    slow.remove(s)

    with closing_all(socks):
        for _ in range(1000):  # idle: connect, never start TLS
            socks.append(socket.create_connection((host, port), timeout=10))
        for _ in range(200):  # slowloris: a TLS session whose headers never end
            s = secure.tls_socket()
            s.sendall(b"GET /v1/agent/health HTTP/1.1\r\nHost: x\r\nX-A: ")
            socks.append(s)
            slow.append(s)
        for _ in range(200):  # slow body: an anonymous PUT whose body trickles in
            s = secure.tls_socket()
            s.sendall(b"PUT /v1/var/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n{")
            socks.append(s)
            slow.append(s)
        thread = threading.Thread(target=dribble, daemon=True)
        thread.start()
        try:
            took = []
            for _ in range(4):
                started = time.monotonic()
                resp = secure.get("/v1/agent/health")
                took.append(time.monotonic() - started)
                assert resp.status_code == 200 and resp.json()["server"]["ok"]
                time.sleep(0.5)
            # An authenticated API call works too, not only the health endpoint.
            assert secure.get("/v1/operator/raft/configuration", token=secure.token).status_code == 200
        finally:
            stop.set()
            thread.join(timeout=5)
    assert max(took) < 5.0, f"health took {took}"
    assert evicted(secure) > before  # room was made by closing stalled connections, not by refusing new ones


def test_slowloris_headers_are_cut_at_the_header_deadline(secure: SecureCluster) -> None:
    s = secure.tls_socket()
    with closing_all([s]):
        s.sendall(b"GET /v1/agent/health HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        answer = read_answer(s, timeout=15)  # the agent closes it; no answer to an unfinished request
        assert answer == b""
        assert time.monotonic() - started < 10  # 2 s header deadline in this cluster


def test_a_declared_oversized_body_is_refused_before_a_byte_is_read(secure: SecureCluster) -> None:
    s = secure.tls_socket()
    with closing_all([s]):
        s.sendall(
            b"PUT /v1/var/big HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 104857600\r\n\r\n"
        )
        answer = read_answer(s, timeout=5)
    assert status_of(answer) == 413, answer[:300]


def test_a_chunked_body_over_the_cap_is_refused_and_memory_stays_bounded(secure: SecureCluster) -> None:
    pid = secure.agent_pid()
    before = rss_kib(pid)

    def chunks() -> Iterator[bytes]:
        block = b"x" * (1024 * 1024)
        for _ in range(100):  # 100 MiB, no Content-Length
            yield block

    try:
        resp = secure.call("PUT", "/v1/var/big", token=secure.token, data=chunks(), timeout=60)
        status = resp.status_code
    except requests.ConnectionError:
        status = 413  # the agent may close while the client is still sending; it answered first
    assert status == 413
    grown_mib = (rss_kib(pid) - before) / 1024
    assert grown_mib < 64, f"the agent grew by {grown_mib:.0f} MiB for a refused body"
    assert secure.get("/v1/var/big", token=secure.token).status_code == 404  # nothing was written


BOGUS = "0f0e0d0c-0000-4000-8000-000000000000"
# Every route that takes a body (docs/openapi.json for the Nomad family, docs/api/sm.md for OpenSearch's),
# except PUT /v1/acl/bootstrap, which is anonymous by design (its body is a bootstrap secret at most).
BODY_ROUTES = [
    ("PUT", "/v1/var/x"),
    ("POST", "/v1/var/x"),
    ("PUT", "/v1/operator/raft/transfer-leadership"),
    ("PUT", "/v1/operator/raft/join"),
    ("PUT", "/v1/operator/autopilot/configuration"),
    ("PUT", "/v1/operator/scheduler/configuration"),
    ("POST", "/v1/operator/scheduler/configuration"),
    ("PUT", "/v1/operator/license"),
    ("PUT", "/v1/operator/snapshot"),
    ("POST", "/v1/operator/snapshot"),
    ("PUT", "/v1/acl/policy/p"),
    ("PUT", "/v1/acl/token"),
    ("PUT", f"/v1/acl/token/{BOGUS}"),
    ("POST", "/_plugins/_sm/policies/p"),
    ("PUT", "/_plugins/_sm/policies/p"),
    ("PUT", "/_snapshot/repo"),
    ("POST", "/_snapshot/repo"),
    ("PUT", "/_snapshot/repo/snap"),
    ("POST", "/_snapshot/repo/snap/_restore"),
    ("POST", "/_plugins/_notifications/configs"),
    ("PUT", "/_plugins/_notifications/configs/c1"),
]


def _headers_only(secure: SecureCluster, method: str, path: str, token: str) -> bytes:
    """The headers promise a body that never comes: an answer can only come before any body was read."""
    s = secure.tls_socket()
    with closing_all([s]):
        head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n"
        if token:
            head += f"X-Nomad-Token: {token}\r\n"
        s.sendall(head.encode() + b"\r\n")
        return read_answer(s, timeout=5)


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_an_unknown_token_is_refused_before_the_body_is_read(secure: SecureCluster, method: str, path: str) -> None:
    answer = _headers_only(secure, method, path, BOGUS)
    assert status_of(answer) == 403, answer[:400]
    assert b"ACL token not found" in answer


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_an_anonymous_caller_is_refused_before_the_body_is_read(secure: SecureCluster, method: str, path: str) -> None:
    answer = _headers_only(secure, method, path, "")
    assert status_of(answer) == 403, answer[:400]
    assert b"Permission denied" in answer


def test_made_up_methods_do_not_grow_the_metrics(secure: SecureCluster) -> None:
    series_before = metric_series(secure.get("/v1/metrics?format=prometheus").text)
    rng = random.Random(12)
    with requests.Session() as session:
        for _ in range(3000):
            method = "".join(rng.choice(string.ascii_uppercase) for _ in range(8))
            session.request(method, f"{secure.api}/v1/agent/health", timeout=10, verify=secure.ca)
    series_after = metric_series(secure.get("/v1/metrics?format=prometheus").text)
    assert series_after - series_before < 50, (series_before, series_after)


def test_plain_http_to_the_https_port_serves_nothing(secure: SecureCluster) -> None:
    s = socket.create_connection((secure.node.host, secure.node.http_port), timeout=5)
    with closing_all([s]):
        s.sendall(b"GET /v1/agent/health HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = read_answer(s, timeout=5)
    assert b'"server"' not in answer and status_of(answer) != 200


@pytest.mark.parametrize(
    "host",
    [b"a" * 64 + b".example", b"x" * 300, b"[::1", b"\xff\xfe", b"host:notaport", b"a..b"],
)
def test_a_strange_host_header_does_not_break_a_request(secure: SecureCluster, host: bytes) -> None:
    """Routing never looks at Host (a 64-character label used to be a 500 with an empty body)."""
    s = secure.tls_socket()
    with closing_all([s]):
        s.sendall(b"GET /v1/agent/health HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
        answer = read_answer(s, timeout=5)
    assert status_of(answer) in (200, 400), answer[:300]
    assert not answer.startswith(b"HTTP/1.1 5")
