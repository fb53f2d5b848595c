"""raftops.cluster.guard and etcdwal against real etcd members: a removed member, a member whose data vanished, a host
that lost everything while still a member, and a member re-bootstrapped as a cluster of its own are refused, before
etcd starts (``python -m raftops.cluster.guard check``) and when the agent starts; healthy and new members pass."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from raftops.cluster import etcdwal, guard, membership
from raftops.etcdproc import start_etcd, wait_healthy
from raftops.localcluster import LocalCluster, Node
from raftops.store.etcd import Etcd
from raftops.store.members import ClusterMembers

from ..conftest import next_hosts, wait_for


def guard_check(node: Node) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "raftops.cluster.guard",
            "check",
            "--config",
            str(node.dir / "agent.yaml"),
            "--etcd-data-dir",
            node.etcd.data_dir,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def status_of(node: Node) -> dict:
    etcd = Etcd([node.etcd.client_url])
    try:
        st = etcd.status(node.etcd.client_url)
        return {"member_id": st.member_id, "cluster_id": st.cluster_id, "raft_index": st.raft_index}
    finally:
        etcd.close()


@pytest.fixture
def cluster(cluster_root: Path, request: pytest.FixtureRequest) -> Iterator[LocalCluster]:
    """A fresh 3-server cluster per test: these tests remove and break members."""
    c = LocalCluster(cluster_root / f"guard-{request.node.name[:40]}", next_hosts(3), token=f"g-{request.node.name}")
    try:
        c.up(timeout=60)
        yield c
    finally:
        c.destroy()


def test_agents_record_their_member_and_the_wal_names_it(cluster: LocalCluster, tmp_path: Path) -> None:
    for node in cluster.nodes:
        st = status_of(node)
        record = json.loads((node.dir / "agent" / guard.RECORD_FILE).read_text())
        assert record == {"ClusterID": f"{st['cluster_id']:x}", "MemberID": f"{st['member_id']:x}", "Name": node.name}
        wal = etcdwal.read(node.etcd.data_dir)  # read while etcd runs: nothing is locked or written
        assert (wal.member_id, wal.cluster_id) == (st["member_id"], st["cluster_id"])
        assert 0 < wal.commit <= st["raft_index"] and wal.last_index >= wal.commit

    # A stopped member's WAL: what recover_quorum.yml compares. Its commit index is the one it had when it stopped.
    node = cluster.nodes[2]
    before = status_of(node)
    cluster.signal(node, "etcd")
    out = subprocess.run(
        [sys.executable, "-m", "raftops.cluster.guard", "wal", "--etcd-data-dir", node.etcd.data_dir],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 0, out.stderr
    state = json.loads(out.stdout)
    assert (state["member_id"], state["cluster_id"]) == (f"{before['member_id']:x}", f"{before['cluster_id']:x}")
    assert before["raft_index"] - 2 <= state["commit"] <= before["raft_index"] + 2 and not state["torn_tail"]

    # A healthy stopped member passes the check before it starts, listed by the others.
    ok = guard_check(node)
    assert ok.returncode == 0, ok.stderr
    assert "listed by" in ok.stdout

    # Its data vanished (moved away): refused, with the member named and the way out.
    aside = tmp_path / "aside"
    shutil.move(node.etcd.data_dir, aside)
    refused = guard_check(node)
    assert refused.returncode == 1
    assert "no write-ahead log" in refused.stderr and "remove_server.yml" in refused.stderr
    assert f"{state['member_id']}" in refused.stderr

    # Torn tails and foreign files: the reader stops at the first frame that does not parse.
    copy = tmp_path / "copy"
    shutil.copytree(aside, copy)
    wal_file = sorted(etcdwal.wal_dir(copy).glob("*.wal"))[-1]
    data = wal_file.read_bytes()
    end = len(data.rstrip(b"\x00"))
    wal_file.write_bytes(data[: end - 3])  # the last record cut short
    torn = etcdwal.read(copy)
    assert torn.torn_tail and torn.member_id == int(state["member_id"], 16)
    wal_file.write_bytes(b"\xff" * 64)
    with pytest.raises(etcdwal.WALError, match="names no member"):
        etcdwal.read(copy)
    with pytest.raises(etcdwal.WALError, match="no etcd write-ahead log"):
        etcdwal.read(tmp_path / "nothing")

    # Back in place, it starts and serves again.
    shutil.move(aside, node.etcd.data_dir)
    cluster.start(node, "etcd")
    wait_healthy([node.etcd.client_url], timeout=30)


def test_a_removed_member_is_refused_before_etcd_starts(cluster: LocalCluster) -> None:
    node = cluster.nodes[2]
    member_id = status_of(node)["member_id"]
    survivor = cluster.nodes[0]
    etcd = Etcd([survivor.etcd.client_url])
    try:
        _, members = etcd.members()
        target = next(m for m in members if m.id == member_id)
        membership.remove_member(ClusterMembers(etcd), target)  # retries "unhealthy cluster"
    finally:
        etcd.close()
    wait_for(lambda: cluster.pid(node, "etcd") is None, timeout=20, message="the removed member's etcd exits")
    cluster.signal(node, "agent")
    refused = guard_check(node)
    assert refused.returncode == 1, refused.stdout
    assert f"member {member_id:x} was removed" in refused.stderr


def test_a_host_that_lost_everything_while_a_member_is_refused(cluster: LocalCluster) -> None:
    node = cluster.nodes[1]
    cluster.signal(node, "agent")
    cluster.signal(node, "etcd")
    shutil.rmtree(node.etcd.data_dir)
    shutil.rmtree(node.dir / "agent")  # the record too: only the cluster still knows this host
    refused = guard_check(node)
    assert refused.returncode == 1, refused.stdout
    assert "lost its data while it was a member" in refused.stderr
    assert f"{node.host}:{node.peer_port}" in refused.stderr


def test_an_agent_refuses_a_member_bootstrapped_as_a_cluster_of_its_own(cluster: LocalCluster) -> None:
    node = cluster.nodes[2]
    old = status_of(node)
    cluster.signal(node, "agent")
    cluster.signal(node, "etcd")
    shutil.rmtree(node.etcd.data_dir)
    # What a wiped member started with initial-cluster-state new and itself alone does: a second cluster.
    proc = start_etcd(
        node.etcd, f"{node.name}={node.etcd.peer_url}", log_path=str(node.dir / "rogue.log"), token="rogue"
    )
    try:
        wait_healthy([node.etcd.client_url], timeout=30)
        assert status_of(node)["cluster_id"] != old["cluster_id"]
        cluster.start(node, "agent")
        wait_for(lambda: cluster.pid(node, "agent") is None, timeout=60, message="the agent refuses and exits")
        log = node.logfile("agent").read_text()
        assert "agent failed to start" in log and "bootstrapped anew" in log
        # Without the record, the peers' answer gives it away.
        (node.dir / "agent" / guard.RECORD_FILE).unlink()
        cluster.start(node, "agent")
        wait_for(lambda: cluster.pid(node, "agent") is None, timeout=60, message="the agent refuses and exits")
        assert "two clusters where there should be one" in node.logfile("agent").read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_a_new_learner_passes_and_its_agent_records_it(cluster: LocalCluster) -> None:
    host = next_hosts(1)[0]
    node = cluster.add_server(host, name="server4")
    ok = guard_check(node)  # while it runs: its data and the cluster agree
    assert ok.returncode == 0, ok.stderr
    st = status_of(node)
    wait_for(lambda: (node.dir / "agent" / guard.RECORD_FILE).exists(), timeout=30, message="the new agent's record")
    record = guard.read_record(node.dir / "agent")
    assert record == guard.MemberIdentity(st["cluster_id"], st["member_id"], "server4")
