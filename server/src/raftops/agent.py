"""The raftops agent: a stateless HTTP server in front of the etcd member beside it.

It registers itself (its UUID survives restarts in the data dir), keeps a liveness key on a
lease, campaigns for the once-per-cluster duties, and serves the API families.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import __version__, metrics
from .acl import ACLResolver
from .api import register_all
from .api.http import App
from .cluster import guard, view
from .cluster.autopilot import AutopilotDuty
from .cluster.configs import InitializeConfigs
from .cluster.health import HealthPoller
from .cluster.service import ClusterService
from .config import Config
from .httpfront import HTTPFront, TLSFiles
from .sm.service import SMService
from .snapshot.service import GenerationCollector
from .store.etcd import Etcd, EtcdError
from .store.lease import LeaseKeeper, cluster_duties_election
from .store.members import ClusterMembers
from .store.state import StateStore
from .store.watch import WatchHub
from .variables import VariableService

log = logging.getLogger(__name__)

SERVER_ID_FILE = "server-id"
ETCD_WAIT_SECONDS = 120.0
DUTY_INTERVAL = 1.0

# A duty runs in the one agent that holds the election; it is called every DUTY_INTERVAL.
Duty = Callable[["Agent"], None]


def load_server_id(data_dir: str) -> str:
    """The server UUID kept in the data dir, created on first start (like Nomad's node-id)."""
    path = Path(data_dir) / SERVER_ID_FILE
    if path.exists():
        value = path.read_text().strip()
        try:
            return str(uuid.UUID(value))
        except ValueError as exc:
            raise RuntimeError(f"{path} holds {value!r}, not a UUID; remove it to get a new server ID") from exc
    Path(data_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
    value = str(uuid.uuid4())
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as f:
        f.write(value + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return value


class Agent:
    def __init__(self, config: Config):
        self.config = config
        tls = config.etcd_tls.as_dict() if config.etcd_tls.configured else None
        self.etcd = Etcd(config.etcd_endpoints, timeout=config.etcd_timeout, tls=tls)
        self.state = StateStore(self.etcd)
        self.members = ClusterMembers(self.etcd)  # the etcd cluster itself: members, status, reconfiguration
        self.cluster = ClusterService(self.members, self.state)  # /v1/status, /v1/operator/raft, /v1/raftops
        self.acl = ACLResolver(self.state)  # behind raftops.acl.authorize when acl_enabled
        self.watch = WatchHub(self.state)  # wakes blocking queries (api/blocking.py); watches start on first use
        self.variables = VariableService(self.state)  # Nomad variables (api/variables.py)
        self.server_id = load_server_id(config.data_dir)
        self.member_id = 0
        self.raft_address = config.advertise_raft
        self.started_at = time.time()
        self.is_duty_holder = False
        self._stop = threading.Event()
        self._http: HTTPFront | None = None
        self._threads: list[threading.Thread] = []
        self.lease: LeaseKeeper | None = None
        self.election = cluster_duties_election(self.etcd, self.server_id.encode())
        # Autopilot health is computed in every agent, in memory; its actions run in the duty holder.
        self.server_health = HealthPoller(self.members, self.state)
        # Snapshot management: policies, repositories, snapshots and notifications (api/sm.py and kin).
        self.sm = SMService(self)
        # Every once-per-cluster duty, in the order the duty holder runs them each DUTY_INTERVAL.
        self.duties: list[Duty] = [
            AutopilotDuty(config.autopilot_dead_server_threshold),  # autopilot actions on the health report
            InitializeConfigs(),  # autopilot and scheduler configuration defaults (cluster/configs.py)
            GenerationCollector(),  # old data generations after a restore (snapshot/service.py)
            self.sm.executor,  # SM policies' snapshots and deletions (sm/executor.py)
        ]
        # The HTTP API: every family's route table, its handlers bound to this agent's services.
        self.app = App(self)
        register_all(self.app, self)

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        self._warn_if_insecure()
        self._wait_for_etcd()
        # A removed, wiped or re-bootstrapped etcd member must not serve: the guard refuses with what to do.
        guard.verify_local_member(self.members, self.config.etcd_endpoints, self.config.data_dir, self.config.node_name)
        self.state.generation()
        self.register()
        self.lease = LeaseKeeper(self.etcd, self.config.heartbeat_ttl, self._attach_liveness, name="heartbeat")
        self.lease.start()
        self.server_health.start()
        self._spawn(self._duty_loop, "duties")
        self._serve_http()
        log.info(
            "agent %s (%s) serving on %s:%d, raft address %s",
            self.config.node_name,
            self.server_id,
            self.config.bind_addr,
            self.config.http_port,
            self.raft_address,
        )

    def _warn_if_insecure(self) -> None:
        """Running without TLS or ACLs is allowed, and said loudly, unless nothing but this host can connect."""
        cfg = self.config
        local = cfg.bind_addr.startswith("127.") or cfg.bind_addr in ("::1", "localhost")
        if not cfg.http_tls.enabled and not local:
            log.warning(
                "the HTTP API on %s:%d is plain HTTP: ACL tokens and state cross the network in clear "
                "(set tls.http.cert_file and key_file)",
                cfg.bind_addr,
                cfg.http_port,
            )
        if not cfg.acl_enabled and not cfg.dev:
            log.warning("ACLs are disabled: anyone who reaches the API can read and change everything")
        plain = [u for u in cfg.etcd_endpoints if u.startswith("http://") and "//127." not in u]
        if plain:
            log.warning(
                "etcd endpoints %s are plain HTTP: whoever reaches etcd reads every secret and bypasses the "
                "ACLs (run etcd with client certificates and set etcd.tls)",
                ", ".join(plain),
            )

    def stop(self) -> None:
        self._stop.set()
        self.watch.close()
        if self._http is not None:
            self._http.stop()
        for t in self._threads:
            t.join(timeout=5)
        self.server_health.stop()
        if self.is_duty_holder:
            try:
                self.election.resign()
            except EtcdError as exc:
                log.info("could not resign cluster duties: %s", exc)
        if self.lease is not None:
            self.lease.stop(revoke=True)
        self.etcd.close()

    def wait(self) -> None:
        while not self._stop.wait(0.5):
            pass

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        t = threading.Thread(target=target, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    def _wait_for_etcd(self) -> None:
        deadline = time.monotonic() + ETCD_WAIT_SECONDS
        delay = 0.1
        next_report = time.monotonic() + 5.0
        endpoint = self.config.etcd_endpoints[0]
        while True:
            try:
                self.members.status(endpoint, timeout=2.0)
                return
            except EtcdError as exc:
                now = time.monotonic()
                if now > deadline:
                    raise RuntimeError(
                        f"local etcd member {endpoint} did not answer within {ETCD_WAIT_SECONDS:.0f}s: {exc}"
                    ) from exc
                # A TLS mistake (wrong CA, a certificate etcd refuses) looks like "no answer": say it early.
                if exc.tls_failure or now >= next_report:
                    log.warning("waiting for etcd member %s: %s", endpoint, exc)
                    next_report = now + 10.0
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    # -- registration and liveness ----------------------------------------------------------------
    def register(self) -> None:
        """Record which etcd member this server sits beside; written only when it changed."""
        local = self.members.status(self.config.etcd_endpoints[0])
        self.member_id = local.member_id
        if not self.raft_address:
            _, members = self.members.members()
            for m in members:
                if m.id == self.member_id:
                    self.raft_address = m.peer_address
        record = {
            "ID": self.server_id,
            "Name": self.config.node_name,
            "RaftAddress": self.raft_address,
            "HTTPAddress": self.config.http_address,
            "EtcdMemberID": view.fmt_member_id(self.member_id),
            "Version": __version__,
        }
        self.members.registrations.put(self.server_id, record)

    def _attach_liveness(self, lease_id: int) -> None:
        value = json.dumps({"ID": self.server_id, "Name": self.config.node_name, "Started": int(self.started_at)})
        self.members.registrations.put_alive(self.server_id, value.encode(), lease_id)

    def _duty_loop(self) -> None:
        while not self._stop.wait(DUTY_INTERVAL):
            lease = self.lease
            if lease is None or not lease.healthy.is_set():
                self._set_holder(False)
                continue
            try:
                self._set_holder(self.election.campaign(lease.lease_id))
            except EtcdError as exc:
                log.debug("election campaign failed: %s", exc)
                self._set_holder(False)
                continue
            if not self.is_duty_holder:
                continue
            for duty in list(self.duties):
                try:
                    duty(self)
                except Exception:  # one failing duty must not stop the others
                    log.exception("cluster duty %s failed", getattr(duty, "__name__", duty))

    def _set_holder(self, holder: bool) -> None:
        if holder != self.is_duty_holder:
            log.info("this agent %s the cluster duties", "now runs" if holder else "no longer runs")
        self.is_duty_holder = holder
        metrics.ELECTION_HOLDER.set(1 if holder else 0)

    # -- HTTP -----------------------------------------------------------------------------------
    def _serve_http(self) -> None:
        tls = self.config.http_tls
        server = HTTPFront(
            self.app,
            self.config.bind_addr,
            self.config.http_port,
            limits=self.config.limits.front(),
            tls=TLSFiles(tls.cert_file, tls.key_file, tls.ca_file, bool(tls.verify_https_client))
            if tls.enabled
            else None,
            # Health and metrics keep threads of their own: they answer while every worker is busy.
            priority_paths=("/v1/agent/health", "/v1/metrics"),
            registry=metrics.REGISTRY,
            name="http",
        )  # binds now, so a busy port fails the start instead of a thread
        server.start()
        self._http = server

    # -- views used by the API ------------------------------------------------------------------
    def health(self) -> tuple[bool, str]:
        try:
            status = self.members.status()
        except EtcdError as exc:
            return False, f"etcd unreachable: {exc}"
        if not status.leader:
            return False, "No cluster leader"
        if self.lease is None or not self.lease.healthy.is_set():
            return False, "liveness lease lost"
        return True, "ok"

    def self_info(self) -> dict[str, Any]:
        try:
            local = self.members.status(self.config.etcd_endpoints[0], timeout=1.0)
            raft = {
                "leader": str(local.leader == local.member_id).lower(),
                "term": str(local.raft_term),
                "applied_index": str(local.raft_applied_index),
                "last_log_index": str(local.raft_index),
                "etcd_version": local.version,
                "etcd_member_id": view.fmt_member_id(local.member_id),
                "is_learner": str(local.is_learner).lower(),
                "state": "Leader"
                if local.leader == local.member_id
                else ("Learner" if local.is_learner else "Follower"),
            }
        except EtcdError as exc:
            raft = {"error": str(exc)}
        return {
            "config": self.config.public_dict()
            | {
                "Version": {"Version": __version__},
                "AdvertiseAddrs": {"HTTP": self.config.http_address, "RPC": self.raft_address},
            },
            "member": self._member_entry(self.server_id, self.config.node_name, "alive"),
            "stats": {
                "raft": raft,
                "raftops": {
                    "server_id": self.server_id,
                    "cluster_duties": str(self.is_duty_holder).lower(),
                    "uptime_seconds": str(int(time.time() - self.started_at)),
                },
            },
        }

    def _member_entry(self, server_id: str, name: str, status: str, reg: dict | None = None) -> dict[str, Any]:
        reg = reg or {
            "HTTPAddress": self.config.http_address,
            "EtcdMemberID": view.fmt_member_id(self.member_id),
            "RaftAddress": self.raft_address,
            "Version": __version__,
        }
        host, _, port = reg.get("HTTPAddress", "").rpartition(":")
        return {
            "Name": name,
            "Addr": host,
            "Port": int(port) if port.isdigit() else 0,
            "Status": status,
            "Tags": {
                "id": server_id,
                "role": "raftops",
                "raft_vsn": "3",
                "build": reg.get("Version", ""),
                "etcd_member_id": reg.get("EtcdMemberID", ""),
                "rpc_addr": reg.get("RaftAddress", ""),
            },
        }

    def members_info(self) -> dict[str, Any]:
        registrations = self.members.registrations
        alive = registrations.alive()
        members = []
        for stored in registrations.list():
            reg = stored.doc
            if reg is None:
                raise ValueError(f"malformed server registration {stored.key!r}")
            status = "alive" if reg["ID"] in alive else "failed"
            members.append(self._member_entry(reg["ID"], reg["Name"], status, reg))
        members.sort(key=lambda m: m["Name"])
        return {"ServerName": self.config.node_name, "ServerRegion": "global", "ServerDC": "dc1", "Members": members}

    def refresh_metrics(self) -> None:
        try:
            local = self.members.status(self.config.etcd_endpoints[0], timeout=1.0)
        except EtcdError:
            metrics.ETCD_LEADER_KNOWN.set(0)
            return
        metrics.ETCD_LEADER_KNOWN.set(1 if local.leader else 0)
        metrics.ETCD_RAFT_TERM.set(local.raft_term)
        metrics.ETCD_APPLIED_INDEX.set(local.raft_applied_index)
        metrics.HEARTBEAT_OK.set(1 if self.lease is not None and self.lease.healthy.is_set() else 0)
