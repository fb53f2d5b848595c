"""A 3-server raftops cluster on loopback, for development, tests and the demo.

One "host" per loopback address (127.0.0.11-13 by default): an etcd member on :2379/:2380
and a raftops agent on :4646. State and logs live under one directory. Every process is
recorded in a pid file together with its kernel start time, so ``down`` stops exactly the
processes it started (a recycled PID is never signalled) and is safe to run twice.

Usage: ``python -m raftops.localcluster up|down|status|start|stop|kill ...``
(``scripts/local-cluster`` is the wrapper).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .etcdproc import EtcdMemberSpec, start_etcd, wait_healthy

DEFAULT_HOSTS = ("127.0.0.11", "127.0.0.12", "127.0.0.13")
PROCESS_KINDS = ("etcd", "agent")


@dataclass
class Node:
    name: str
    host: str
    dir: Path
    http_port: int
    client_port: int
    peer_port: int
    # Set for a server added to a running cluster (add_server): its etcd starts as "existing" with this list.
    initial_cluster: str = ""

    @property
    def etcd(self) -> EtcdMemberSpec:
        return EtcdMemberSpec(self.name, self.host, self.client_port, self.peer_port, str(self.dir / "etcd"))

    @property
    def api(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    def pidfile(self, kind: str) -> Path:
        return self.dir / f"{kind}.pid"

    def logfile(self, kind: str) -> Path:
        return self.dir / f"{kind}.log"


def _start_time(pid: int) -> str | None:
    """The process start time in clock ticks (field 22 of /proc/PID/stat), None if gone or a zombie."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2 :].split()
    if fields[0] == "Z":
        return None
    return fields[19]


class LocalCluster:
    def __init__(
        self,
        base_dir: str | Path,
        hosts: tuple[str, ...] = DEFAULT_HOSTS,
        *,
        http_port: int = 4646,
        client_port: int = 2379,
        peer_port: int = 2380,
        token: str = "raftops-local",
        agent_config: dict[str, Any] | None = None,
    ):
        self.base = Path(base_dir).resolve()
        self.token = token
        # Settings merged into every agent's config; kept in the state directory so that a later
        # `start` (another process) starts agents the same way.
        overrides = self.base / "agent-overrides.yaml"
        if agent_config is None and overrides.exists():
            agent_config = yaml.safe_load(overrides.read_text()) or {}
        self.agent_config = agent_config or {}
        self.nodes = [
            Node(f"server{i + 1}", host, self.base / f"server{i + 1}", http_port, client_port, peer_port)
            for i, host in enumerate(hosts)
        ]

    @property
    def initial_cluster(self) -> str:
        return ",".join(f"{n.name}={n.etcd.peer_url}" for n in self.nodes if not n.initial_cluster)

    @property
    def api_addresses(self) -> list[str]:
        return [n.api for n in self.nodes]

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if name in (n.name, n.host):
                return n
        raise KeyError(f"no node {name!r}; nodes are {', '.join(n.name for n in self.nodes)}")

    # -- process bookkeeping ------------------------------------------------------------------------
    def pid(self, node: Node, kind: str) -> int | None:
        """PID of a running process this cluster started, or None."""
        try:
            pid_s, started = node.pidfile(kind).read_text().split()
            pid = int(pid_s)
        except (OSError, ValueError):
            return None
        return pid if _start_time(pid) == started else None

    def _record(self, node: Node, kind: str, proc: subprocess.Popen) -> None:
        started = _start_time(proc.pid)
        node.pidfile(kind).write_text(f"{proc.pid} {started}\n")

    def start(self, node: Node, kind: str) -> None:
        if self.pid(node, kind):
            return
        node.dir.mkdir(parents=True, exist_ok=True)
        if kind == "etcd":
            proc = start_etcd(
                node.etcd,
                node.initial_cluster or self.initial_cluster,
                state="existing" if node.initial_cluster else "new",
                log_path=str(node.logfile("etcd")),
                token=self.token,
            )
        else:
            proc = self._start_agent(node)
        self._record(node, kind, proc)

    def _start_agent(self, node: Node) -> subprocess.Popen:
        others = [n.etcd.client_url for n in self.nodes if n is not node]
        config = {
            "node_name": node.name,
            "bind_addr": node.host,
            "ports": {"http": node.http_port},
            "advertise": {"http": f"{node.host}:{node.http_port}", "raft": f"{node.host}:{node.peer_port}"},
            "etcd": {"endpoints": [node.etcd.client_url, *others], "timeout": 2.0},
            "data_dir": str(node.dir / "agent"),
            "heartbeat_ttl": 5,
            "log_level": "INFO",
        } | self.agent_config
        cfg_path = node.dir / "agent.yaml"
        cfg_path.write_text(yaml.safe_dump(config, sort_keys=False))
        with open(node.logfile("agent"), "ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "raftops.cli", "agent", "-config", str(cfg_path)],
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def signal(self, node: Node, kind: str, sig: int = signal.SIGTERM, timeout: float = 15.0) -> bool:
        """Send ``sig`` and wait (bounded) until the process is gone; SIGKILL after the timeout."""
        pid = self.pid(node, kind)
        if pid is None:
            node.pidfile(kind).unlink(missing_ok=True)
            return False
        os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while _start_time(pid) is not None:
            _reap(pid)
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 5
            time.sleep(0.05)
        _reap(pid)
        node.pidfile(kind).unlink(missing_ok=True)
        return True

    # -- whole cluster ------------------------------------------------------------------------------
    def up(self, timeout: float = 60.0) -> list[str]:
        self.base.mkdir(parents=True, exist_ok=True)
        for n in self.nodes:
            self.start(n, "etcd")
        wait_healthy([n.etcd.client_url for n in self.nodes], timeout=timeout)
        for n in self.nodes:
            self.start(n, "agent")
        self.wait_ready(timeout=timeout)
        return self.api_addresses

    def add_server(self, host: str, *, name: str = "", via: Node | None = None, timeout: float = 60.0) -> Node:
        """Add a server the way an operator does: join its etcd member as a learner through the API
        (``PUT /v1/operator/raft/join``), then start its etcd as "existing" and its agent."""
        ref = self.nodes[0]
        name = name or f"server{len(self.nodes) + 1}"
        node = Node(name, host, self.base / name, ref.http_port, ref.client_port, ref.peer_port)
        via = via or next(n for n in self.nodes if self.pid(n, "agent"))
        code, reply = http_request_json(
            "PUT", f"{via.api}/v1/operator/raft/join", {"Name": name, "PeerURLs": [node.etcd.peer_url]}
        )
        if code != 200:
            raise RuntimeError(f"join of {name} through {via.name} failed: {code} {reply}")
        node.initial_cluster = reply["InitialCluster"]
        node.dir.mkdir(parents=True, exist_ok=True)
        self.nodes.append(node)
        self.start(node, "etcd")
        wait_healthy([node.etcd.client_url], timeout=timeout)
        self.start(node, "agent")
        self.wait_ready(timeout=timeout, nodes=[node])
        return node

    def down(self) -> list[str]:
        stopped = []
        for kind in ("agent", "etcd"):  # agents first: they revoke their leases while etcd still runs
            for n in self.nodes:
                if self.signal(n, kind):
                    stopped.append(f"{n.name}/{kind}")
        return stopped

    def destroy(self) -> None:
        self.down()
        shutil.rmtree(self.base, ignore_errors=True)

    def wait_ready(self, timeout: float = 60.0, nodes: list[Node] | None = None) -> None:
        """Wait until every agent reports healthy and all agree on one leader (bounded)."""
        deadline = time.monotonic() + timeout
        nodes = nodes or self.nodes
        last = ""
        while time.monotonic() < deadline:
            try:
                leaders = set()
                for n in nodes:
                    code, health = http_json(f"{n.api}/v1/agent/health")
                    if code != 200:
                        raise RuntimeError(f"{n.name}: {health}")
                    leaders.add(http_json(f"{n.api}/v1/status/leader")[1])
                if len(leaders) != 1 or "" in leaders:
                    last = f"agents disagree on the leader: {sorted(leaders)}"
                elif not self._configs_initialised():
                    last = "the cluster duties have not written the operator configurations yet"
                else:
                    return
            except (OSError, RuntimeError, ValueError) as exc:
                last = str(exc)
            time.sleep(0.2)
        raise TimeoutError(f"cluster not ready after {timeout:.0f}s: {last}")

    def _configs_initialised(self) -> bool:
        """Whether the duty holder has written the autopilot and scheduler defaults: until then a fresh cluster's
        state revision still moves on its own, which tests of "nothing changed" would take for their own writes."""
        from .api.operator_config import AUTOPILOT_PATH, SCHEDULER_PATH
        from .store.etcd import Etcd
        from .store.gateway import EtcdError
        from .store.state import StateStore

        etcd = Etcd([n.etcd.client_url for n in self.nodes])
        try:
            state = StateStore(etcd)
            return all(state.get(path) is not None for path in (AUTOPILOT_PATH, SCHEDULER_PATH))
        except EtcdError:
            return False
        finally:
            etcd.close()

    def status(self) -> list[dict[str, Any]]:
        rows = []
        for n in self.nodes:
            row: dict[str, Any] = {
                "node": n.name,
                "api": n.api,
                "etcd": n.etcd.client_url,
                "etcd_pid": self.pid(n, "etcd"),
                "agent_pid": self.pid(n, "agent"),
            }
            if row["agent_pid"]:
                try:
                    row["leader"] = http_json(f"{n.api}/v1/status/leader")[1]
                    row["peers"] = http_json(f"{n.api}/v1/status/peers")[1]
                    row["healthy"] = http_json(f"{n.api}/v1/agent/health")[0] == 200
                except (OSError, ValueError) as exc:
                    row["error"] = str(exc)
            rows.append(row)
        return rows


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def http_json(url: str, timeout: float = 2.0) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            return exc.code, json.loads(body)
        except ValueError:
            return exc.code, body.decode(errors="replace")


def http_request_json(method: str, url: str, body: Any = None, timeout: float = 30.0) -> tuple[int, Any]:
    """One JSON request; (status, decoded body or text)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, raw.decode(errors="replace")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="local-cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dir",
        default=os.environ.get("RAFTOPS_LOCAL_CLUSTER_DIR", ".local-cluster"),
        help="state and logs (default .local-cluster)",
    )
    parser.add_argument(
        "--hosts",
        default=os.environ.get("RAFTOPS_LOCAL_CLUSTER_HOSTS", ",".join(DEFAULT_HOSTS)),
        help="comma-separated loopback addresses, one per server (default 127.0.0.11-13)",
    )
    parser.add_argument("--timeout", type=float, default=60.0)
    sub = parser.add_subparsers(dest="cmd", required=True)
    up_parser = sub.add_parser("up", help="start 3 etcd members and 3 agents, wait until healthy")
    up_parser.add_argument(
        "--agent-config",
        metavar="FILE",
        help="YAML settings merged into every agent's config (kept for later starts), e.g. 'acl_enabled: true'",
    )
    sub.add_parser("down", help="stop exactly the processes this cluster started")
    sub.add_parser("status", help="show processes, leader and peers")
    sub.add_parser("destroy", help="down, then remove the state directory")
    for verb in ("start", "stop", "kill"):
        p = sub.add_parser(verb, help=f"{verb} one process of one node")
        p.add_argument("node", help="server1..3 or its address")
        p.add_argument("kind", choices=PROCESS_KINDS)
    args = parser.parse_args(argv)
    hosts = tuple(h for h in args.hosts.split(",") if h)
    if len(hosts) < 1:
        parser.error("--hosts names no address")
    if args.cmd == "up" and args.agent_config:
        try:
            overrides = yaml.safe_load(Path(args.agent_config).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            parser.error(f"--agent-config {args.agent_config}: {exc}")
        if not isinstance(overrides, dict):
            parser.error(f"--agent-config {args.agent_config} must hold a mapping")
        Path(args.dir).mkdir(parents=True, exist_ok=True)
        (Path(args.dir) / "agent-overrides.yaml").write_text(yaml.safe_dump(overrides))
    cluster = LocalCluster(args.dir, hosts)
    if args.cmd == "up":
        try:
            addresses = cluster.up(timeout=args.timeout)
        except (TimeoutError, OSError) as exc:
            print(f"local-cluster: {exc}\nlogs: {cluster.base}/*/*.log", file=sys.stderr)
            return 1
        print("raftops local cluster is up; API addresses:")
        for a in addresses:
            print(f"  {a}")
        return 0
    if args.cmd == "down":
        stopped = cluster.down()
        print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")
        return 0
    if args.cmd == "destroy":
        cluster.destroy()
        print(f"removed {cluster.base}")
        return 0
    if args.cmd == "status":
        rows = cluster.status()
        print(json.dumps(rows, indent=2))
        return 0 if all(r["etcd_pid"] and r["agent_pid"] for r in rows) else 3
    node = cluster.node(args.node)
    if args.cmd == "start":
        cluster.start(node, args.kind)
    else:
        cluster.signal(node, args.kind, signal.SIGTERM if args.cmd == "stop" else signal.SIGKILL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
