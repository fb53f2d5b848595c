"""Transport choice for the etcd adapter: the v3 JSON gateway (raftops' own client, store/etcd.py) against
gRPC (python-etcd3, the cslab-etcd3 fork: grpcio and etcd's protos), side by side on one etcd member.

Each measure runs both transports against the same member in the same minute, alternating which goes
first, and prints the two and their ratio (gateway / gRPC: above 1 is gRPC faster):

* put: ``kv/put`` of a 64-byte value, 1 client (``--ops``) and 8 clients (``--ops`` / 8 each, threads on one
  client object, as the agent shares one); p50, p99 and throughput;
* range: a linearizable ``kv/range`` of one key (the read path), 1 client;
* bulk range: every key of a 1,000-key prefix (1 KiB values) in pages of 1,000 (a snapshot page);
* watch: the events of ``--events`` writes replayed by a watch from their first revision (the decode
  rate of each transport's watch stream), and one put's event on an established watch (latency).

gRPC is a bench-only dependency (``.venv/bin/pip install -e 'server[bench]'``, pinned in server/pyproject.toml).

    .venv/bin/python bench/transport.py [--etcd /usr/bin/etcd] [--ops 400] [--events 5000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Latencies, ms, table, wait  # noqa: E402
from raftops.store.etcd import Etcd  # noqa: E402
from raftops.store.gateway import b64, prefix_end  # noqa: E402

try:
    import etcd3  # noqa: E402
except ImportError:  # pragma: no cover - a bench-only dependency
    sys.exit("bench/transport.py needs python-etcd3: .venv/bin/pip install -e 'server[bench]'")

VALUE = b"v" * 64


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_etcd(binary: str, base: Path) -> tuple[subprocess.Popen, str, int]:
    client, peer = free_port(), free_port()
    url = f"http://127.0.0.1:{client}"
    proc = subprocess.Popen(
        [
            binary,
            "--name",
            "bench",
            "--data-dir",
            str(base / "etcd"),
            "--listen-client-urls",
            url,
            "--advertise-client-urls",
            url,
            "--listen-peer-urls",
            f"http://127.0.0.1:{peer}",
            "--initial-advertise-peer-urls",
            f"http://127.0.0.1:{peer}",
            "--initial-cluster",
            f"bench=http://127.0.0.1:{peer}",
        ],
        stdout=open(base / "etcd.log", "wb"),  # noqa: SIM115 - the process holds it
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return proc, url, client


def timed(op: Callable[[int], object], n: int, clients: int) -> Latencies:
    samples: list[float] = []
    lock = threading.Lock()

    def worker(offset: int) -> None:
        mine = []
        for i in range(n // clients):
            t0 = time.perf_counter()
            op(offset + i)
            mine.append(time.perf_counter() - t0)
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=worker, args=(c * 1_000_000,)) for c in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Latencies(samples, time.perf_counter() - start)


def replay_gateway(gw: Etcd, prefix: bytes, first: int, count: int) -> float:
    request = {"key": b64(prefix), "range_end": b64(prefix_end(prefix)), "start_revision": str(first)}
    got = 0
    t0 = time.perf_counter()
    for item in gw.gateway.stream("watch", {"create_request": request}, timeout=30):
        got += len(item.get("events", []))
        if got >= count:
            break
    return time.perf_counter() - t0


def replay_grpc(client: etcd3.Etcd3Client, prefix: bytes, first: int, count: int) -> float:
    t0 = time.perf_counter()
    events, cancel = client.watch_prefix(prefix, start_revision=first)
    for got, _ in enumerate(events, 1):
        if got >= count:
            break
    elapsed = time.perf_counter() - t0
    cancel()
    return elapsed


def event_latency_gateway(gw: Etcd, writer: Etcd, key: bytes, rounds: int) -> list[float]:
    samples = []
    for i in range(rounds):
        stream = gw.gateway.stream("watch", {"create_request": {"key": b64(key)}}, timeout=30)
        next(stream)  # created
        t0 = time.perf_counter()
        writer.put(key, b"%d" % i)
        for item in stream:
            if item.get("events"):
                samples.append(time.perf_counter() - t0)
                break
        stream.close()
    return samples


def event_latency_grpc(client: etcd3.Etcd3Client, writer: Etcd, key: bytes, rounds: int) -> list[float]:
    samples = []
    for i in range(rounds):
        events, cancel = client.watch(key)
        time.sleep(0.05)  # the watch is created asynchronously
        t0 = time.perf_counter()
        writer.put(key, b"%d" % i)
        next(iter(events))
        samples.append(time.perf_counter() - t0)
        cancel()
    return samples


def row(what: str, gw: Latencies, rpc: Latencies, *, throughput: bool = False) -> tuple[str, ...]:
    def cell(lat: Latencies) -> str:
        text = f"p50 {ms(lat.p50)}, p99 {ms(lat.p99)}"
        return f"{text}, {lat.throughput:.0f}/s" if throughput else text

    return (what, cell(gw), cell(rpc), f"{gw.p50 / rpc.p50:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--etcd", default=shutil.which("etcd") or "/usr/bin/etcd")
    parser.add_argument("--ops", type=int, default=400)
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    version = subprocess.run([args.etcd, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    print(f"{version}; load average at the start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"command: {' '.join(sys.argv)}; grpcio {__import__('grpc').__version__}, python-etcd3 (cslab fork)")
    base = Path(tempfile.mkdtemp(prefix="raftops-bench-transport-"))
    proc, url, port = start_etcd(args.etcd, base)
    rows = [("measure", "JSON gateway (raftops client)", "gRPC (python-etcd3)", "gateway / gRPC")]
    try:
        gw = Etcd([url], timeout=10.0)
        wait(lambda: gw.status(url) is not None, 30, what="etcd up")
        rpc = etcd3.client(host="127.0.0.1", port=port, timeout=10)
        ops = {
            "gateway": {
                "put": lambda i: gw.put(b"/bench/put/%d" % i, VALUE),
                "range": lambda i: gw.range(b"/bench/read"),
            },
            "grpc": {
                "put": lambda i: rpc.put(b"/bench/put/%d" % i, VALUE),
                "range": lambda i: rpc.get(b"/bench/read"),
            },
        }
        gw.put(b"/bench/read", VALUE)
        for kind in ("gateway", "grpc"):  # warm both: connections, channels
            for i in range(20):
                ops[kind]["put"](i)
                ops[kind]["range"](i)
        results: dict[tuple[str, str, int], list[Latencies]] = {}
        for round_ in range(2):
            order = ("gateway", "grpc") if round_ == 0 else ("grpc", "gateway")
            for what, clients in (("put", 1), ("put", 8), ("range", 1), ("range", 8)):
                for kind in order:
                    lat = timed(ops[kind][what], args.ops // 2, clients)
                    results.setdefault((kind, what, clients), []).append(lat)

        def merged(kind: str, what: str, clients: int) -> Latencies:
            parts = results[(kind, what, clients)]
            return Latencies([s for p in parts for s in p.samples], sum(p.wall for p in parts))

        for what, clients in (("put", 1), ("put", 8), ("range", 1), ("range", 8)):
            name = f"{what} ({'linearizable, one key' if what == 'range' else '64 B'}), {clients} client(s)"
            rows.append(row(name, merged("gateway", what, clients), merged("grpc", what, clients), throughput=True))

        # Bulk: a 1,000-key prefix of 1 KiB values, one page.
        bulk = b"/bench/bulk/"
        for i in range(0, 1000, 100):
            gw.txn(
                [],
                [
                    {"request_put": {"key": b64(bulk + b"%04d" % j), "value": b64(b"b" * 1024)}}
                    for j in range(i, i + 100)
                ],
            )
        gw_bulk, rpc_bulk = [], []
        for _ in range(5):
            t0 = time.perf_counter()
            n = sum(1 for _ in gw.range_all(bulk, page=1000))
            gw_bulk.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            m = sum(1 for _ in rpc.get_prefix(bulk))
            rpc_bulk.append(time.perf_counter() - t0)
            assert n == m == 1000, (n, m)
        rows.append(
            (
                "bulk range: 1,000 keys x 1 KiB, one page (median of 5)",
                f"{ms(statistics.median(gw_bulk))} ({1000 / statistics.median(gw_bulk):,.0f} keys/s)",
                f"{ms(statistics.median(rpc_bulk))} ({1000 / statistics.median(rpc_bulk):,.0f} keys/s)",
                f"{statistics.median(gw_bulk) / statistics.median(rpc_bulk):.2f}x",
            )
        )

        # Watch replay: --events writes, then each transport replays them from the first revision.
        wprefix = b"/bench/watch/"
        first = 0
        for i in range(0, args.events, 100):
            res = gw.txn(
                [],
                [
                    {"request_put": {"key": b64(wprefix + b"%06d" % j), "value": b64(VALUE)}}
                    for j in range(i, min(i + 100, args.events))
                ],
            )
            first = first or res.revision
        # one txn is one revision with up to 100 events
        gw_replay, rpc_replay = [], []
        for _ in range(3):
            gw_replay.append(replay_gateway(gw, wprefix, first, args.events))
            rpc_replay.append(replay_grpc(rpc, wprefix, first, args.events))
        g, r = statistics.median(gw_replay), statistics.median(rpc_replay)
        rows.append(
            (
                f"watch: replay {args.events:,} events (64 B values; median of 3)",
                f"{ms(g)} ({args.events / g:,.0f} events/s)",
                f"{ms(r)} ({args.events / r:,.0f} events/s)",
                f"{g / r:.2f}x",
            )
        )
        gw_ev = event_latency_gateway(gw, gw, b"/bench/event", 20)
        rpc_ev = event_latency_grpc(rpc, gw, b"/bench/event", 20)
        rows.append(
            (
                "watch: put -> its event on an established watch (20)",
                f"p50 {ms(statistics.median(gw_ev))}",
                f"p50 {ms(statistics.median(rpc_ev))}",
                f"{statistics.median(gw_ev) / statistics.median(rpc_ev):.2f}x",
            )
        )
        rpc.close()
        gw.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(base, ignore_errors=True)
    print()
    print(table(rows))
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
