"""raftops against etcd itself, side by side in one run on one local cluster (``make bench``).

1. variable writes and reads through the API vs the same operations on etcd's v3 gateway (urllib3
   for both), 1 and 8 clients: throughput, p50/p99 latency, the API's overhead as a ratio;
2. write recovery after SIGKILL of the etcd leader, raftops vs a direct etcd write;
3. transfer-leadership latency vs ``etcdctl move-leader``;
4. snapshot save MB/s vs ``etcdctl snapshot save``, and restore, with bench/snapshot.py's functions.

Starts its own 3-server LocalCluster on free loopback addresses and stops it at the end. Results and
the machine go to docs/performance.md. Usage: ``.venv/bin/python bench/run.py [--only NAME ...]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import failover  # noqa: E402
import overhead  # noqa: E402
import snapshot as snapshot_bench  # noqa: E402  (bench/snapshot.py)
import transfer  # noqa: E402
import urllib3  # noqa: E402
from common import free_hosts, table, verdict  # noqa: E402
from raftops.localcluster import LocalCluster  # noqa: E402
from raftops.store.etcd import Etcd  # noqa: E402
from raftops.store.state import StateStore  # noqa: E402

SECTIONS = ("overhead", "failover", "transfer", "snapshot")


def snapshot_rows(cluster: LocalCluster, base: Path, items: int, runs: int) -> list[tuple[str, ...]]:
    etcd = Etcd([n.etcd.client_url for n in cluster.nodes], timeout=30.0)
    http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=600))
    try:
        state = StateStore(etcd)
        snapshot_bench.load(state, items, 1024)
        _, state_bytes, before = snapshot_bench.state_digest(state)
        mb = state_bytes / snapshot_bench.MB
        path = base / "raftops.snap"
        saves = []
        for _ in range(runs):
            path.unlink(missing_ok=True)
            saves.append(snapshot_bench.api_save(http, cluster.nodes[0].api, path)[0])
        leader = etcd.status().leader
        url = next(m.client_urls[0] for m in etcd.members()[1] if m.id == leader)
        etcdctl = [snapshot_bench.etcdctl_save(url, base / "etcd.db")[0] for _ in range(runs)]
        restore = snapshot_bench.api_restore(http, cluster.nodes[1].api, path)
        _, _, after = snapshot_bench.state_digest(StateStore(Etcd([cluster.nodes[2].etcd.client_url], timeout=30.0)))
    finally:
        etcd.close()
    save_s, etcdctl_s = statistics.median(saves), statistics.median(etcdctl)
    return [
        (
            f"snapshot save, {mb:.1f} MB of state",
            f"{mb / save_s:.1f} MB/s ({save_s:.2f} s)",
            f"{mb / etcdctl_s:.1f} MB/s ({etcdctl_s:.2f} s, etcdctl snapshot save)",
            f"time {save_s / etcdctl_s:.2f}x",
            f"{verdict(save_s / etcdctl_s, 1.0)} (snapshot goal); median of {runs}",
        ),
        (
            "snapshot restore (PUT, online)",
            f"{mb / restore:.1f} MB/s ({restore:.2f} s)",
            "offline only (etcdutl snapshot restore)",
            "",
            f"state equal after restore: {'yes' if after == before else 'NO'}",
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=SECTIONS, help="run only these comparisons")
    parser.add_argument("--ops", type=int, default=300, help="operations per system and kind, 1 client")
    parser.add_argument("--failover-trials", type=int, default=3)
    parser.add_argument("--transfer-trials", type=int, default=5)
    parser.add_argument("--snapshot-items", type=int, default=20_000, help="1 KiB values in the snapshot state")
    parser.add_argument("--runs", type=int, default=3, help="snapshot saves per tool")
    args = parser.parse_args()
    wanted = args.only or SECTIONS

    print(f"machine: {snapshot_bench.machine()}")
    base = Path(tempfile.mkdtemp(prefix="raftops-bench-run-"))
    cluster = LocalCluster(base / "cluster", free_hosts(), token=f"raftops-bench-run-{os.getpid()}")
    print(f"cluster: {', '.join(cluster.api_addresses)} (etcd beside each agent); command: {' '.join(sys.argv)}")
    rows = [("comparison", "raftops", "etcd", "ratio (raftops/etcd)", "goal")]
    started = time.monotonic()
    try:
        cluster.up(timeout=120)
        if "overhead" in wanted:
            rows += overhead.run(cluster, ops_single=args.ops, ops_each=args.ops // 3)
            print(f"  overhead done ({time.monotonic() - started:.0f}s)", flush=True)
        if "transfer" in wanted:
            rows += transfer.run(cluster, trials=args.transfer_trials)
            print(f"  transfer done ({time.monotonic() - started:.0f}s)", flush=True)
        if "failover" in wanted:
            rows += failover.run(cluster, trials=args.failover_trials)
            print(f"  failover done ({time.monotonic() - started:.0f}s)", flush=True)
        if "snapshot" in wanted:
            rows += snapshot_rows(cluster, base, args.snapshot_items, args.runs)
            print(f"  snapshot done ({time.monotonic() - started:.0f}s)", flush=True)
    finally:
        cluster.down()
        shutil.rmtree(base, ignore_errors=True)
    print()
    print(table(rows))
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}; total {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
