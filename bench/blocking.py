"""Blocking queries: agent memory with 1,000 parked ``GET /v1/var/<p>?index=N&wait=`` and the time from
the write that wakes them to each answer, side by side with etcd's own watch of the same key.

raftops: one agent (beside its etcd member) holds ``--waiters`` blocking reads of one variable, each on
a connection of its own, opened from one asyncio client; then one ``PUT`` of the variable through the
agent. Measured: the agent's RSS (``/proc/<pid>/status`` VmRSS) before and with the parked requests, and
for every parked request the time from sending the PUT to the complete answer (and from the PUT's own
answer). etcd: one watch of a key on the member's v3 gateway and a ``kv/put`` of it: the time from
sending the put to the event, the floor any watch-based wake sits on.

    .venv/bin/python bench/blocking.py [--waiters 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import urllib3  # noqa: E402
from common import EtcdDirect, b64, free_hosts, ms, table  # noqa: E402
from raftops.localcluster import LocalCluster  # noqa: E402

MEMORY_TARGET_MB = 100.0
LATENCY_TARGET = 0.050
PATH = "bench/blocking"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, int]:
    """(status, X-Nomad-Index) of one HTTP/1.1 answer with a Content-Length."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    await reader.readexactly(int(headers.get("content-length", "0")))
    return status, int(headers.get("x-nomad-index", "0"))


async def park_and_wake(host: str, port: int, waiters: int, index: int, put, pid: int) -> dict:
    """Open ``waiters`` blocking reads, measure memory, write once, time every answer."""
    conns = []
    for i in range(waiters):
        for attempt in range(50):  # a burst of connects can overflow the accept queue on a loaded machine
            try:
                conns.append(await asyncio.open_connection(host, port))
                break
            except OSError:
                await asyncio.sleep(0.05 * (attempt + 1))
        else:
            raise RuntimeError(f"could not open connection {i}")
    request = f"GET /v1/var/{PATH}?index={index}&wait=300s HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    for _, writer in conns:
        writer.write(request)
    await asyncio.gather(*(writer.drain() for _, writer in conns))
    await asyncio.sleep(3.0)  # every request reaches its handler and parks
    parked_rss = rss_mb(pid)
    answers = [asyncio.ensure_future(read_answer(reader)) for reader, _ in conns]
    done_at: list[float] = [0.0] * waiters

    async def timed(i: int) -> tuple[int, int]:
        result = await answers[i]
        done_at[i] = time.perf_counter()
        return result

    timers = [asyncio.ensure_future(timed(i)) for i in range(waiters)]
    await asyncio.sleep(0.2)
    if any(t.done() for t in timers):
        raise RuntimeError("a blocking query answered before the write")
    loop = asyncio.get_running_loop()
    sent = time.perf_counter()
    written_index, acked = await loop.run_in_executor(None, put)
    results = await asyncio.wait_for(asyncio.gather(*timers), 120)
    for _, writer in conns:
        writer.close()
    bad = [r for r in results if r != (200, written_index)]
    if bad:
        raise RuntimeError(f"{len(bad)} answers were not the write's: {bad[:3]}")
    return {
        "parked_rss": parked_rss,
        "from_sent": [t - sent for t in done_at],
        "from_ack": [t - acked for t in done_at],
    }


def etcd_watch_latency(endpoint: str, rounds: int) -> list[float]:
    """Time from sending a kv/put to its event on an already established gateway watch."""
    pool = urllib3.PoolManager(retries=False)
    direct = EtcdDirect(endpoint, pool)
    key = "/bench-blocking/watched"
    samples = []
    for i in range(rounds):
        got = threading.Event()
        created = threading.Event()
        resp = pool.request(
            "POST",
            f"{endpoint}/v3/watch",
            body=json.dumps({"create_request": {"key": b64(key)}}).encode(),
            preload_content=False,
            timeout=urllib3.Timeout(connect=2, read=30),
        )
        arrival: list[float] = []

        def reader(r=resp, a=arrival, c=created, g=got) -> None:
            buf = b""
            for chunk in r.stream(4096):
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    item = json.loads(line).get("result", {})
                    if item.get("created"):
                        c.set()
                    if item.get("events"):
                        a.append(time.perf_counter())
                        g.set()
                        return

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        created.wait(10)
        time.sleep(0.2)
        t0 = time.perf_counter()
        direct.put(key, f"v{i}".encode())
        got.wait(10)
        samples.append(arrival[0] - t0)
        resp.release_conn()
        resp.close()
    return samples


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waiters", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # this client holds one socket per waiter
    wanted = args.waiters + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(
            resource.RLIMIT_NOFILE, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard)
        )

    base = Path(tempfile.mkdtemp(prefix="raftops-bench-blocking-"))
    hosts = free_hosts((41,))
    limits = {"http_max_conns_per_client": args.waiters + 64, "http_max_conns": max(4096, args.waiters + 128)}
    cluster = LocalCluster(
        base / "cluster", hosts, token=f"raftops-bench-blocking-{os.getpid()}", agent_config={"limits": limits}
    )
    print(
        f"load average at the start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; command: {' '.join(sys.argv)}"
    )
    rows = [("measure", "raftops", "etcd", "ratio / target", "goal")]
    try:
        cluster.up(timeout=120)
        node = cluster.nodes[0]
        pid = cluster.pid(node, "agent")
        assert pid is not None
        http = urllib3.PoolManager(retries=False)
        url = f"{node.api}/v1/var/{PATH}"

        def put() -> tuple[int, float]:
            resp = http.request("PUT", url, json={"Items": {"v": str(time.time())}})
            acked = time.perf_counter()
            assert resp.status == 200, resp.data[:200]
            return json.loads(resp.data)["ModifyIndex"], acked

        idle_rss = rss_mb(pid)
        runs = []
        for _ in range(args.rounds):
            index, _ = put()
            host, port = node.api.split("//")[1].rsplit(":", 1)
            runs.append(asyncio.run(park_and_wake(host, int(port), args.waiters, index, put, pid)))
        etcd_samples = etcd_watch_latency(node.etcd.client_url, args.rounds * 5)
    finally:
        cluster.down()
        shutil.rmtree(base, ignore_errors=True)

    parked = max(r["parked_rss"] for r in runs)
    rows.append(
        (
            f"agent RSS, {args.waiters} parked queries (max of {args.rounds})",
            f"{parked:.1f} MB (idle {idle_rss:.1f} MB, {1024 * (parked - idle_rss) / args.waiters:.1f} KiB each)",
            "",
            f"{parked / MEMORY_TARGET_MB:.2f} of {MEMORY_TARGET_MB:.0f} MB",
            f"< {MEMORY_TARGET_MB:.0f} MB: {'met' if parked < MEMORY_TARGET_MB else 'MISSED'}",
        )
    )
    for n, run in enumerate(runs, 1):
        sent, acked = run["from_sent"], run["from_ack"]
        last = max(sent)
        rows.append(
            (
                f"round {n}: PUT sent -> each of {args.waiters} answers",
                f"p50 {ms(statistics.median(sent))}, p99 {ms(pct(sent, 0.99))}, last {ms(last)}"
                f" (from the PUT's answer: last {ms(max(acked))})",
                f"watch event p50 {ms(statistics.median(etcd_samples))}",
                f"last / target {last / LATENCY_TARGET:.2f}",
                f"all <= {LATENCY_TARGET * 1000:.0f} ms: {'met' if last <= LATENCY_TARGET else 'MISSED'}",
            )
        )
    print()
    print(table(rows))
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
