"""Snapshot save/restore benchmark: raftops' API against ``etcdctl snapshot save`` on the same data.

Starts its own 3-server LocalCluster in a temp dir on loopback addresses of its own, loads a state
of N items of SIZE bytes (default 50,000 x 1 KiB, ~50 MB) in 127-write txns, then measures:

* save through ``GET /v1/operator/snapshot`` on agent 1 (body streamed to a file, Digest checked);
* ``etcdctl snapshot save`` of the same etcd (the leader) in the same run;
* restore through ``PUT /v1/operator/snapshot`` on agent 2, and that the state is byte-for-byte equal;
* the peak RSS (VmHWM) of the agents that served the save and the restore (fresh agents: the load
  went straight to etcd, so their high-water mark before the request is their idle size).

Usage: ``.venv/bin/python bench/snapshot.py [--items N] [--size BYTES] [--runs R]`` (``make bench``).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import urllib3
from raftops.localcluster import LocalCluster
from raftops.snapshot import archive, service
from raftops.store.etcd import Etcd
from raftops.store.state import StateStore, Write

SNAPSHOT = "/v1/operator/snapshot"
ETCDCTL = shutil.which("etcdctl") or "/usr/bin/etcdctl"
MB = 1_000_000


def free_hosts() -> tuple[str, ...]:
    """Three loopback addresses nothing listens on (other clusters may run on this machine)."""
    busy = Path("/proc/net/tcp").read_text()
    for third in range(240, 255):
        hosts = tuple(f"127.0.{third}.{i}" for i in (21, 22, 23))
        hexes = [f"{int.from_bytes(bytes(map(int, h.split('.'))), 'little'):08X}" for h in hosts]
        if not any(h in busy for h in hexes):
            return hosts
    raise RuntimeError("no free 127.0.24x.0/24 block")


def cpu_seconds(pid: int) -> float:
    """User+system CPU time of a process (fields 14 and 15 of /proc/PID/stat)."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CPUMeter:
    """CPU seconds the serving agent, the etcd members and child processes (etcdctl) spend."""

    def __init__(self, agent_pid: int, etcd_pids: list[int]):
        self.agent_pid, self.etcd_pids = agent_pid, etcd_pids

    def sample(self) -> tuple[float, float, float]:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (
            cpu_seconds(self.agent_pid),
            sum(cpu_seconds(p) for p in self.etcd_pids),
            children.ru_utime + children.ru_stime,
        )


def per_run(
    before: tuple[float, float, float], after: tuple[float, float, float], runs: int, child: bool = False
) -> str:
    """CPU per run: the client (the agent, this process, or etcdctl) / the three etcd members."""
    agent, etcd, children = ((a - b) / runs for a, b in zip(after, before, strict=True))
    return f"{children if child else agent:.1f} / {etcd:.1f}"


def proc_status(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = int(value.split()[0]) * 1024
    return out


def make_value(rnd: random.Random, i: int, size: int) -> bytes:
    """A Nomad-variable-like JSON document of exactly ``size`` bytes with incompressible-ish content."""
    head = json.dumps({"Namespace": "default", "Path": f"bench/item-{i:05d}", "Items": {"data": ""}})
    filler = base64.b64encode(rnd.randbytes(size)).decode()[: max(0, size - len(head))]
    return (head[:-3] + filler + '"}}').encode()[:size].ljust(size, b" ")


def load(state: StateStore, items: int, size: int, threads: int = 4) -> float:
    rnd = random.Random(42)
    batches = []
    for start in range(0, items, 127):
        batches.append(
            [
                Write(f"vars/default/bench/item-{i:05d}", make_value(rnd, i, size))
                for i in range(start, min(items, start + 127))
            ]
        )
    started = time.monotonic()
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if not batches:
                    return
                batch = batches.pop()
            assert state.commit([], batch).succeeded

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.monotonic() - started


def state_digest(state: StateStore) -> tuple[int, int, str]:
    """(items, bytes of paths and values, sha256 over them) of the whole state."""
    h = hashlib.sha256()
    count = total = 0
    _, _, items = state.iter_all(page=5000)
    for item in items:
        h.update(len(item.path).to_bytes(4, "big") + item.path.encode() + len(item.value).to_bytes(4, "big"))
        h.update(item.value)
        count += 1
        total += len(item.path.encode()) + len(item.value)
    return count, total, h.hexdigest()


def gateway_read(state: StateStore, page: int) -> float:
    """The floor of any gateway-based save: range the whole state at one revision, pack nothing."""
    started = time.monotonic()
    _, _, pages = state.iter_pages(page=page)
    for _ in pages:
        pass
    return time.monotonic() - started


def api_save(http: urllib3.PoolManager, api: str, path: Path) -> tuple[float, int]:
    started = time.monotonic()
    resp = http.request("GET", api + SNAPSHOT, preload_content=False)
    if resp.status != 200:
        raise RuntimeError(f"save failed: {resp.status} {resp.read()[:300]!r}")
    sha = hashlib.sha256()
    with open(path, "wb") as f:
        for chunk in resp.stream(1 << 20):
            sha.update(chunk)
            f.write(chunk)
    resp.release_conn()
    elapsed = time.monotonic() - started
    archive.check_digest(resp.headers["Digest"], sha.digest())
    return elapsed, path.stat().st_size


def api_restore(http: urllib3.PoolManager, api: str, path: Path) -> float:
    with open(path, "rb") as f:
        started = time.monotonic()
        resp = http.request("PUT", api + SNAPSHOT, body=f, headers={"Content-Length": str(path.stat().st_size)})
        elapsed = time.monotonic() - started
    if resp.status != 200:
        raise RuntimeError(f"restore failed: {resp.status} {resp.data[:300]!r}")
    return elapsed


def etcdctl_save(endpoint: str, path: Path) -> tuple[float, int]:
    path.unlink(missing_ok=True)
    started = time.monotonic()
    subprocess.run(
        [ETCDCTL, "--endpoints", endpoint, "snapshot", "save", str(path)],
        check=True,
        capture_output=True,
        env={**os.environ, "ETCDCTL_API": "3"},
    )
    return time.monotonic() - started, path.stat().st_size


def rss_row(label: str, before: dict[str, int], after: dict[str, int], state_mb: float) -> tuple[str, ...]:
    delta = (after["VmHWM"] - before["VmHWM"]) / MB
    notes = f"idle {before['VmHWM'] / MB:.1f} MB, delta {delta:.1f} MB; goal < {2 * state_mb:.0f} MB"
    return (label, f"{after['VmHWM'] / MB:.1f} MB", "", "", "", notes)


def machine() -> str:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) * 1024
    load1 = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} CPUs ({model}), {mem / 2**30:.1f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, load average {load1:.2f} at start"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--size", type=int, default=1024, help="bytes per value")
    parser.add_argument("--runs", type=int, default=3, help="saves and etcdctl saves (the median is shown)")
    parser.add_argument("--keep", action="store_true", help="keep the cluster directory")
    parser.add_argument(
        "--gzip-level", type=int, default=None, help="RAFTOPS_SNAPSHOT_GZIP_LEVEL for the agents (default: theirs)"
    )
    args = parser.parse_args()

    print(f"machine: {machine()}")
    if args.gzip_level is not None:
        os.environ["RAFTOPS_SNAPSHOT_GZIP_LEVEL"] = str(args.gzip_level)  # inherited by the agents
    level = os.environ.get("RAFTOPS_SNAPSHOT_GZIP_LEVEL") or str(archive.DEFAULT_COMPRESSION_LEVEL)
    print(f"archive gzip level: {level}")
    base = Path(tempfile.mkdtemp(prefix="raftops-bench-"))
    cluster = LocalCluster(base / "cluster", free_hosts(), token=f"raftops-bench-{os.getpid()}")
    http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=600))
    try:
        cluster.up(timeout=90)
        etcd = Etcd([n.etcd.client_url for n in cluster.nodes], timeout=30.0)
        state = StateStore(etcd)
        load_s = load(state, args.items, args.size)
        items, state_bytes, before = state_digest(state)
        state_mb = state_bytes / MB
        print(
            f"loaded {items} items, {state_mb:.1f} MB of paths+values in {load_s:.1f}s (127 writes per txn, 4 threads)"
        )

        saver, restorer = cluster.nodes[0], cluster.nodes[1]
        saver_pid, restorer_pid = cluster.pid(saver, "agent"), cluster.pid(restorer, "agent")
        etcd_pids = [cluster.pid(n, "etcd") for n in cluster.nodes]
        saver_before, restorer_before = proc_status(saver_pid), proc_status(restorer_pid)
        saver_cpu, restorer_cpu = CPUMeter(saver_pid, etcd_pids), CPUMeter(restorer_pid, etcd_pids)

        snap = base / "raftops.snap"
        saves = []
        cpu0 = saver_cpu.sample()
        for _ in range(args.runs):
            snap.unlink(missing_ok=True)
            saves.append(api_save(http, saver.api, snap))
        save_cpu = per_run(cpu0, saver_cpu.sample(), args.runs)
        save_s = statistics.median(s for s, _ in saves)
        archive_bytes = saves[-1][1]
        saver_after = proc_status(saver_pid)

        own = CPUMeter(os.getpid(), etcd_pids)
        cpu0 = own.sample()
        reads = [gateway_read(state, service.PAGE_ITEMS) for _ in range(args.runs)]
        read_cpu = per_run(cpu0, own.sample(), args.runs)
        read_s = statistics.median(reads)

        leader = etcd.status().leader
        leader_url = next(m.client_urls[0] for m in etcd.members()[1] if m.id == leader)
        cpu0 = saver_cpu.sample()
        runs = [etcdctl_save(leader_url, base / "etcd.db") for _ in range(args.runs)]
        etcdctl_cpu = per_run(cpu0, saver_cpu.sample(), args.runs, child=True)
        etcdctl_s = statistics.median(s for s, _ in runs)
        db_bytes = runs[-1][1]

        cpu0 = restorer_cpu.sample()
        restore_s = api_restore(http, restorer.api, snap)
        restore_cpu = per_run(cpu0, restorer_cpu.sample(), 1)
        restorer_after = proc_status(restorer_pid)
        after_items, _, after = state_digest(StateStore(Etcd([n.etcd.client_url for n in cluster.nodes], timeout=30.0)))
        equal = after == before and after_items == items

        def timings(values: list[float]) -> str:
            return f"median of {len(values)}: " + ", ".join(f"{v:.2f}" for v in values)

        rows = [
            ("operation", "time", "MB/s of state", "bytes", "CPU s: client / 3 etcd", "notes"),
            (
                "raftops save (GET, agent 1)",
                f"{save_s:.2f} s",
                f"{state_mb / save_s:.1f}",
                f"{archive_bytes:,}",
                save_cpu,
                timings([s for s, _ in saves]),
            ),
            (
                "etcdctl snapshot save (leader)",
                f"{etcdctl_s:.2f} s",
                f"{state_mb / etcdctl_s:.1f}",
                f"{db_bytes:,}",
                etcdctl_cpu,
                timings([s for s, _ in runs]) + f"; {db_bytes / MB / etcdctl_s:.1f} MB/s of db",
            ),
            ("save time ratio (raftops / etcdctl)", f"{save_s / etcdctl_s:.2f}x", "", "", "", "goal: <= 1.00x"),
            (
                "gateway range of all keys, no packing",
                f"{read_s:.2f} s",
                f"{state_mb / read_s:.1f}",
                "",
                read_cpu,
                timings(reads) + f"; pages of {service.PAGE_ITEMS}: the floor of any gateway-based save",
            ),
            (
                "raftops restore (PUT, agent 2)",
                f"{restore_s:.2f} s",
                f"{state_mb / restore_s:.1f}",
                f"{archive_bytes:,}",
                restore_cpu,
                f"goal: < 10 s; state equal after restore: {'yes' if equal else 'NO'}",
            ),
            rss_row("agent 1 peak RSS (VmHWM), save", saver_before, saver_after, state_mb),
            rss_row("agent 2 peak RSS (VmHWM), restore", restorer_before, restorer_after, state_mb),
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        print()
        for n, row in enumerate(rows):
            print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |")
            if n == 0:
                print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        print(f"\nload average at the end: {os.getloadavg()[0]:.2f} (2 CPUs shared with etcd and everything else)")
        etcd.close()
        return 0 if equal else 1
    finally:
        cluster.down()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
