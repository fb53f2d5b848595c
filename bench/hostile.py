"""The agent under hostile traffic, side by side with the same agent at rest (issue "Secure and sturdy").

One TLS cluster with ACLs on and the agent's default limits (as roles/server deploys it), then:

1. ``/v1/agent/health`` latency at rest, and with 1,000 idle + 200 slowloris + 200 slow-body connections
   open against the same agent (target: every probe under 1 s);
2. the agent's memory growth for a 100 MB anonymous body, declared and chunked (target: a 413 and
   under 20 MB), and for four at once;
3. ``GET /_plugins/_sm/policies?queryString=`` with 12 wildcards against a plain list (target: under
   100 ms), over 200 policies with long names;
4. Prometheus series after 3,000 requests with made-up methods (target: fewer than 50 new).

Usage: ``.venv/bin/python bench/hostile.py`` (``make bench`` runs it). Results: docs/performance.md.
"""

from __future__ import annotations

import argparse
import random
import re
import socket
import ssl
import statistics
import string
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests  # noqa: E402
from common import free_hosts, table  # noqa: E402
from raftops.localcluster import LocalCluster  # noqa: E402

MB = 1024 * 1024


def rss_mib(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", text, re.MULTILINE).group(1)) / 1024


class Target:
    def __init__(self, cluster: LocalCluster, token: str):
        self.cluster = cluster
        self.node = cluster.nodes[0]
        self.token = token
        self.ca = cluster.ca_file
        self.session = requests.Session()

    def get(self, path: str, **kw) -> requests.Response:
        return self.session.get(self.node.api + path, verify=self.ca, timeout=30, **kw)

    def tls_socket(self) -> ssl.SSLSocket:
        ctx = ssl.create_default_context(cafile=self.ca)
        raw = socket.create_connection((self.node.host, self.node.http_port), timeout=10)
        return ctx.wrap_socket(raw, server_hostname=self.node.host)

    def probe(self) -> float:
        """One health request on a fresh connection, as a load balancer's probe makes it."""
        started = time.monotonic()
        resp = requests.get(self.node.api + "/v1/agent/health", verify=self.ca, timeout=30)
        resp.raise_for_status()
        return time.monotonic() - started


def health_under_attack(t: Target) -> list[tuple[str, ...]]:
    at_rest = [t.probe() for _ in range(20)]
    socks: list[socket.socket] = []
    slow: list[socket.socket] = []
    stop = threading.Event()

    def dribble() -> None:
        while not stop.wait(1.0):
            for s in list(slow):
                try:
                    s.send(b"a")
                except OSError:
                    slow.remove(s)

    try:
        for _ in range(1000):
            socks.append(socket.create_connection((t.node.host, t.node.http_port), timeout=10))
        for _ in range(200):
            s = t.tls_socket()
            s.sendall(b"GET /v1/agent/health HTTP/1.1\r\nHost: x\r\nX-A: ")
            socks.append(s)
            slow.append(s)
        for _ in range(200):
            s = t.tls_socket()
            s.sendall(b"PUT /v1/var/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n{")
            socks.append(s)
            slow.append(s)
        thread = threading.Thread(target=dribble, daemon=True)
        thread.start()
        attacked = []
        for _ in range(20):
            attacked.append(t.probe())
            time.sleep(0.25)
    finally:
        stop.set()
        for s in socks:
            s.close()
    rest_p50, attack_p50 = statistics.median(at_rest), statistics.median(attacked)
    return [
        (
            "health p50, 1,400 hostile connections open",
            f"{attack_p50 * 1000:.1f} ms",
            f"{rest_p50 * 1000:.1f} ms",
            f"{attack_p50 / rest_p50:.2f}x",
            "< 1 s",
        ),
        (
            "health worst of 20 probes under attack",
            f"{max(attacked) * 1000:.1f} ms",
            f"{max(at_rest) * 1000:.1f} ms",
            f"{max(attacked) / max(at_rest):.2f}x",
            "< 1 s",
        ),
    ]


def big_bodies(t: Target) -> list[tuple[str, ...]]:
    pid = t.cluster.pid(t.node, "agent")
    assert pid
    rows = []
    before = rss_mib(pid)
    s = t.tls_socket()
    s.sendall(b"PUT /v1/var/big HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n")
    status = s.recv(100).split(b" ")[1].decode()
    s.close()
    rows.append(("100 MB declared, anonymous", status, f"+{rss_mib(pid) - before:.1f} MiB", "", "413, < 20 MB"))

    def chunks():
        block = b"x" * MB
        for _ in range(100):
            yield block

    def send(token: str | None) -> str:
        headers = {"X-Nomad-Token": token} if token else {}
        try:
            return str(
                requests.put(t.node.api + "/v1/var/big", data=chunks(), headers=headers, verify=t.ca).status_code
            )
        except requests.ConnectionError:
            return "closed after the answer"

    for label, token in (("anonymous", None), ("management token", t.token)):
        before = rss_mib(pid)
        status = send(token)
        rows.append((f"100 MB chunked, {label}", status, f"+{rss_mib(pid) - before:.1f} MiB", "", "403/413, < 20 MB"))
    before = rss_mib(pid)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(send(t.token))) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    rows.append(
        (
            "4 x 100 MB chunked at once",
            ",".join(sorted(results)),
            f"+{rss_mib(pid) - before:.1f} MiB",
            "",
            "bounded by 4 x 16 MiB",
        )
    )
    return rows


def wildcard_list(t: Target) -> list[tuple[str, ...]]:
    body = {
        "description": "bench",
        "creation": {"schedule": {"cron": {"expression": "0 0 1 1 *", "timezone": "UTC"}}},
        "snapshot_config": {"repository": "bench-repo"},
    }

    def create(first: int, last: int) -> None:
        with requests.Session() as s:
            for i in range(first, last):
                s.post(
                    f"{t.node.api}/_plugins/_sm/policies/{'a' * 60}-{i}",
                    json=body,
                    verify=t.ca,
                    headers={"X-Nomad-Token": t.token},
                    timeout=30,
                )

    def timed(query: str) -> float:
        runs = []
        for _ in range(5):
            started = time.monotonic()
            resp = t.get(
                "/_plugins/_sm/policies",
                params={"queryString": query, "size": 1000},
                headers={"X-Nomad-Token": t.token},
            )
            runs.append(time.monotonic() - started)
            assert resp.status_code == 200, resp.text[:200]
        return statistics.median(runs)

    rows = []
    for first, last in ((0, 20), (20, 200)):
        create(first, last)
        plain, evil = timed("*"), timed("*a" * 12 + "*b")
        rows.append(
            (
                f"SM list, 12 wildcards, {last} long names",
                f"{evil * 1000:.1f} ms",
                f"{plain * 1000:.1f} ms (queryString=*)",
                f"{evil / plain:.2f}x",
                "< 100 ms",
            )
        )
    return rows


def series(t: Target) -> int:
    text = t.get("/v1/metrics", params={"format": "prometheus"}).text
    return sum(1 for line in text.splitlines() if line and not line.startswith("#"))


def odd_methods(t: Target) -> list[tuple[str, ...]]:
    before = series(t)
    rng = random.Random(7)
    with requests.Session() as s:
        for _ in range(3000):
            method = "".join(rng.choice(string.ascii_uppercase) for _ in range(8))
            s.request(method, t.node.api + "/v1/agent/health", verify=t.ca, timeout=30)
    after = series(t)
    return [("metric series after 3,000 odd methods", f"+{after - before}", f"{before} before", "", "< 50 new")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="raftops-bench-hostile-"))
    cluster = LocalCluster(
        base, free_hosts((41, 42, 43)), token="bench-hostile", tls=True, agent_config={"acl_enabled": True}
    )
    try:
        cluster.up(timeout=90)
        client = cluster.client_tls
        assert client is not None
        token = requests.post(f"{cluster.nodes[0].api}/v1/acl/bootstrap", verify=cluster.ca_file, timeout=30).json()[
            "SecretID"
        ]
        t = Target(cluster, token)
        rows = health_under_attack(t) + big_bodies(t) + wildcard_list(t) + odd_methods(t)
        print(table([("measure", "under attack", "at rest / before", "ratio", "target"), *rows]))
    finally:
        cluster.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
