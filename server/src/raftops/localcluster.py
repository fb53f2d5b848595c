"""A 3-server raftops cluster on loopback, for development, tests and the demo.

One "host" per loopback address (127.0.0.11-13 by default): an etcd member on :2379/:2380
and a raftops agent on :4646. State and logs live under one directory. Every process is
recorded in a pid file together with its kernel start time, so ``down`` stops exactly the
processes it started (a recycled PID is never signalled) and is safe to run twice.

Usage: ``python -m raftops.localcluster up|down|status|start|stop|kill ...``
(``scripts/local-cluster`` is the wrapper).

``up --tls`` runs it the way roles/server deploys a cluster: a cluster CA and certificates under
``<dir>/tls/`` (``ca.pem``, ``<server>.pem``/``<server>-key.pem`` per server, ``client.pem``/
``client-key.pem`` for tools), etcd peer and client traffic over TLS with client certificates
required, and the agents' API on HTTPS. A directory that holds ``tls/ca.pem`` keeps using TLS.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import pki
from .etcdproc import EtcdMemberSpec, MemberTLS, start_etcd, wait_healthy

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
    tls: MemberTLS | None = None

    @property
    def etcd(self) -> EtcdMemberSpec:
        return EtcdMemberSpec(self.name, self.host, self.client_port, self.peer_port, str(self.dir / "etcd"), self.tls)

    @property
    def api(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.http_port}"

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
        tls: bool | None = None,
    ):
        self.base = Path(base_dir).resolve()
        self.token = token
        self.tls_dir = self.base / "tls"
        self.tls = (self.tls_dir / "ca.pem").exists() if tls is None else tls
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
        for node in self.nodes:
            node.tls = self._member_tls(node)

    # -- TLS ---------------------------------------------------------------------------------------------
    @property
    def ca_file(self) -> str:
        return str(self.tls_dir / "ca.pem")

    @property
    def client_tls(self) -> MemberTLS | None:
        """A client certificate for tools and tests (etcd requires one; the agents accept one)."""
        if not self.tls:
            return None
        return MemberTLS(self.ca_file, str(self.tls_dir / "client.pem"), str(self.tls_dir / "client-key.pem"))

    def ssl_context(self) -> ssl.SSLContext | None:
        """What an HTTPS client of the agents needs: the cluster CA, and the client certificate for agents
        configured with ``verify_https_client``."""
        client = self.client_tls
        if client is None:
            return None
        ctx = ssl.create_default_context(cafile=client.ca_file)
        ctx.load_cert_chain(client.cert_file, client.key_file)
        return ctx

    def _member_tls(self, node: Node) -> MemberTLS | None:
        if not self.tls:
            return None
        return MemberTLS(
            self.ca_file, str(self.tls_dir / f"{node.name}.pem"), str(self.tls_dir / f"{node.name}-key.pem")
        )

    def _ensure_certificates(self, nodes: list[Node]) -> None:
        """The CA once, then a certificate for each server (its address, localhost) and one for clients."""
        if not self.tls:
            return
        ca = pki.Pair(self.tls_dir / "ca.pem", self.tls_dir / "ca-key.pem")
        if not ca.cert.exists():
            self.tls_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            pki.create_ca(ca.cert, ca.key, common_name="raftops local cluster CA")
        for node in nodes:
            assert node.tls is not None
            out = pki.Pair(Path(node.tls.cert_file), Path(node.tls.key_file))
            if not out.cert.exists():
                pki.issue(ca, out, node.name, dns_names=[node.name, "localhost"], ip_addresses=[node.host, "127.0.0.1"])
        client = self.client_tls
        assert client is not None
        if not Path(client.cert_file).exists():
            pki.issue(ca, pki.Pair(Path(client.cert_file), Path(client.key_file)), "client", server=False)

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
        self._ensure_certificates([node])
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
        }
        if node.tls is not None:
            files = {"ca_file": node.tls.ca_file, "cert_file": node.tls.cert_file, "key_file": node.tls.key_file}
            config["etcd"]["tls"] = files
            config["tls"] = {"http": {"cert_file": node.tls.cert_file, "key_file": node.tls.key_file}}
        config = _merge(config, self.agent_config)
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
        wait_healthy([n.etcd.client_url for n in self.nodes], timeout=timeout, tls=self.client_tls)
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
        node.tls = self._member_tls(node)
        via = via or next(n for n in self.nodes if self.pid(n, "agent"))
        code, reply = http_request_json(
            "PUT",
            f"{via.api}/v1/operator/raft/join",
            {"Name": name, "PeerURLs": [node.etcd.peer_url]},
            context=self.ssl_context(),
        )
        if code != 200:
            raise RuntimeError(f"join of {name} through {via.name} failed: {code} {reply}")
        node.initial_cluster = reply["InitialCluster"]
        node.dir.mkdir(parents=True, exist_ok=True)
        self.nodes.append(node)
        self.start(node, "etcd")
        wait_healthy([node.etcd.client_url], timeout=timeout, tls=self.client_tls)
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
        context = self.ssl_context()
        last = ""
        while time.monotonic() < deadline:
            try:
                leaders = set()
                for n in nodes:
                    code, health = http_json(f"{n.api}/v1/agent/health", context=context)
                    if code != 200:
                        raise RuntimeError(f"{n.name}: {health}")
                    leaders.add(http_json(f"{n.api}/v1/status/leader", context=context)[1])
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
        from .store.configdocs import AUTOPILOT, SCHEDULER, ConfigDocuments
        from .store.etcd import EtcdError
        from .store.state import StateStore

        etcd = self.etcd_client()
        try:
            documents = ConfigDocuments(StateStore(etcd))
            return all(documents.get(name) is not None for name in (AUTOPILOT, SCHEDULER))
        except EtcdError:
            return False
        finally:
            etcd.close()

    def etcd_client(self, **kwargs: Any) -> Any:
        """An etcd client for every member, with the client certificate when the cluster runs TLS."""
        from .store.etcd import Etcd

        client = self.client_tls
        return Etcd([n.etcd.client_url for n in self.nodes], tls=vars(client) if client else None, **kwargs)

    def status(self) -> list[dict[str, Any]]:
        rows = []
        context = self.ssl_context()
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
                    row["leader"] = http_json(f"{n.api}/v1/status/leader", context=context)[1]
                    row["peers"] = http_json(f"{n.api}/v1/status/peers", context=context)[1]
                    row["healthy"] = http_json(f"{n.api}/v1/agent/health", context=context)[0] == 200
                except (OSError, ValueError) as exc:
                    row["error"] = str(exc)
            rows.append(row)
        return rows


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` over ``base``, mappings merged key by key (``acl_enabled`` or ``etcd.timeout`` alone)."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def http_json(url: str, timeout: float = 2.0, context: ssl.SSLContext | None = None) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            return exc.code, json.loads(body)
        except ValueError:
            return exc.code, body.decode(errors="replace")


def http_request_json(
    method: str, url: str, body: Any = None, timeout: float = 30.0, context: ssl.SSLContext | None = None
) -> tuple[int, Any]:
    """One JSON request; (status, decoded body or text)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
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
        "--tls",
        action="store_true",
        help="TLS everywhere, as roles/server deploys it: a CA and certificates under <dir>/tls/",
    )
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
    cluster = LocalCluster(args.dir, hosts, tls=True if args.cmd == "up" and args.tls else None)
    if args.cmd == "up":
        try:
            addresses = cluster.up(timeout=args.timeout)
        except (TimeoutError, OSError) as exc:
            print(f"local-cluster: {exc}\nlogs: {cluster.base}/*/*.log", file=sys.stderr)
            return 1
        print("raftops local cluster is up; API addresses:")
        for a in addresses:
            print(f"  {a}")
        if cluster.tls:
            print(f"TLS: CA {cluster.ca_file}; client certificate {cluster.tls_dir}/client.pem (+ client-key.pem)")
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
