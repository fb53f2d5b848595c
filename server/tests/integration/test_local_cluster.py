"""The 3-server local cluster: status endpoints, agent loss and restart, launcher bookkeeping."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from raftops.localcluster import LocalCluster, http_json
from raftops.store.etcd import Etcd
from raftops.store.state import StateStore

from ..conftest import next_hosts, wait_for

ROOT = Path(__file__).resolve().parents[3]


def test_peers_and_leader(local_cluster: LocalCluster) -> None:
    peers = None
    for node in local_cluster.nodes:
        code, peers_here = http_json(f"{node.api}/v1/status/peers")
        assert code == 200
        assert sorted(peers_here) == sorted(f"{n.host}:{n.peer_port}" for n in local_cluster.nodes)
        peers = peers_here
        code, leader = http_json(f"{node.api}/v1/status/leader")
        assert code == 200 and leader in peers


def test_agent_self_health_and_metrics(local_cluster: LocalCluster) -> None:
    node = local_cluster.nodes[0]
    code, info = http_json(f"{node.api}/v1/agent/self")
    assert code == 200
    assert info["member"]["Name"] == node.name
    assert info["config"]["AdvertiseAddrs"]["RPC"] == f"{node.host}:{node.peer_port}"
    assert info["stats"]["raft"]["state"] in ("Leader", "Follower")
    code, health = http_json(f"{node.api}/v1/agent/health")
    assert code == 200 and health == {"server": {"ok": True, "message": "ok"}}
    import urllib.request

    with urllib.request.urlopen(f"{node.api}/v1/metrics?format=prometheus", timeout=2) as r:
        text = r.read().decode()
        assert r.headers["Content-Type"].startswith("text/plain")
    assert "raftops_http_requests_total" in text and "raftops_raft_leader_known 1.0" in text


def test_exactly_one_agent_runs_cluster_duties(local_cluster: LocalCluster) -> None:
    def holders() -> list[str]:
        return [
            n.name
            for n in local_cluster.nodes
            if http_json(f"{n.api}/v1/agent/self")[1]["stats"]["raftops"]["cluster_duties"] == "true"
        ]

    wait_for(lambda: len(holders()) == 1, timeout=15, message="one duty holder")


def test_killed_agent_loses_nothing_and_keeps_its_uuid(local_cluster: LocalCluster) -> None:
    node = local_cluster.nodes[1]
    other = local_cluster.nodes[0]
    etcd = Etcd([n.etcd.client_url for n in local_cluster.nodes])
    state = StateStore(etcd)
    written = state.put("test/survivor", b"payload")
    uuid_before = http_json(f"{node.api}/v1/agent/self")[1]["member"]["Tags"]["id"]

    local_cluster.signal(node, "agent", signal.SIGKILL)
    # The other agents keep serving, and the killed one is reported failed once its lease expires.
    assert http_json(f"{other.api}/v1/status/peers")[0] == 200

    def status_of(name: str) -> str:
        members = http_json(f"{other.api}/v1/agent/members")[1]["Members"]
        return next(m["Status"] for m in members if m["Name"] == name)

    wait_for(lambda: status_of(node.name) == "failed", timeout=15, message="failed status")

    local_cluster.start(node, "agent")
    local_cluster.wait_ready(timeout=30)
    assert http_json(f"{node.api}/v1/agent/self")[1]["member"]["Tags"]["id"] == uuid_before
    wait_for(lambda: status_of(node.name) == "alive", timeout=10, message="alive status")
    item = state.get("test/survivor")
    assert item is not None and item.value == b"payload" and item.modify_index == written.index
    members = http_json(f"{other.api}/v1/agent/members")[1]["Members"]
    assert len(members) == 3 and len({m["Tags"]["id"] for m in members}) == 3
    etcd.close()


def test_status_endpoints_survive_an_etcd_member_loss(local_cluster: LocalCluster) -> None:
    node = local_cluster.nodes[2]
    local_cluster.signal(node, "etcd", signal.SIGKILL)
    try:
        # The agent beside the dead member answers through the other members.
        wait_for(lambda: http_json(f"{node.api}/v1/status/leader")[1] != "", timeout=15, message="a leader")
        code, peers = http_json(f"{node.api}/v1/status/peers")
        assert code == 200 and len(peers) == 3
    finally:
        local_cluster.start(node, "etcd")
        local_cluster.wait_ready(timeout=30)


def test_launcher_cli_up_status_down_twice(tmp_path: Path) -> None:
    hosts = next_hosts(3)
    env = {
        **os.environ,
        "RAFTOPS_LOCAL_CLUSTER_DIR": str(tmp_path / "lc"),
        "RAFTOPS_LOCAL_CLUSTER_HOSTS": ",".join(hosts),
    }
    script = str(ROOT / "scripts" / "local-cluster")
    try:
        up = subprocess.run([script, "up"], capture_output=True, text=True, timeout=90, env=env)
        assert up.returncode == 0, up.stderr
        assert [f"http://{h}:4646" for h in hosts] == [line.strip() for line in up.stdout.splitlines()[1:]]
        st = subprocess.run([script, "status"], capture_output=True, text=True, timeout=30, env=env)
        assert st.returncode == 0
        rows = json.loads(st.stdout)
        assert len({r["leader"] for r in rows}) == 1 and all(r["healthy"] for r in rows)
        pids = [r[k] for r in rows for k in ("etcd_pid", "agent_pid")]
    finally:
        down = subprocess.run([script, "down"], capture_output=True, text=True, timeout=90, env=env)
    assert down.returncode == 0 and down.stdout.startswith("stopped:")
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    again = subprocess.run([script, "down"], capture_output=True, text=True, timeout=30, env=env)
    assert again.returncode == 0 and again.stdout.strip() == "nothing was running"


def test_stale_pidfile_never_signals_a_stranger(tmp_path: Path) -> None:
    cluster = LocalCluster(tmp_path, next_hosts(1))
    node = cluster.nodes[0]
    node.dir.mkdir(parents=True)
    # Our own PID with a wrong start time: what a recycled PID looks like.
    node.pidfile("agent").write_text(f"{os.getpid()} 1\n")
    assert cluster.pid(node, "agent") is None
    assert cluster.down() == []
