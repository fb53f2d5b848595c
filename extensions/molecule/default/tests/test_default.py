"""Testinfra checks of the 3-node bring-up (molecule's testinfra verifier runs this on every instance)."""

import os
import time

import inside
import pytest
import testinfra.utils.ansible_runner
from inside import CA, agent_address, http_get

RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
SERVERS = RUNNER.get_hosts("raftops_servers")
testinfra_hosts = SERVERS


def get_json(host, path, token=""):
    """GET path from the host's own agent over HTTPS (its advertised address, the host's trust bundle)."""
    return http_get(host, f"https://{agent_address(host)}:4646{path}", token, timeout=5, cafile=CA)


def management_token():
    assert os.stat(inside.TOKEN_FILE).st_mode & 0o777 == 0o600
    return inside.management_token()


@pytest.mark.parametrize("service", ["etcd", "raftops"])
def test_service_running_and_enabled(host, service):
    svc = host.service(service)
    assert svc.is_running
    assert svc.is_enabled


def test_units_are_hardened(host):
    props = host.service("raftops").systemd_properties
    assert props["NoNewPrivileges"] == "yes"
    assert props["ProtectSystem"] == "strict"
    assert props["ProtectHome"] == "yes"
    assert props["PrivateTmp"] == "yes"
    assert props["User"] == "raftops"
    assert host.service("etcd").systemd_properties["User"] == "etcd"


def test_agent_runs_from_the_virtualenv_as_its_user(host):
    assert host.user("raftops").shell == "/usr/sbin/nologin"
    # comm "raftops" is also the backup sidecar's (user raftops-backup) on the first server.
    agent = host.process.get(comm="raftops", user="raftops")
    assert "agent" in agent.args
    assert host.file("/opt/raftops/venv/bin/raftops").is_file
    cfg = host.file("/etc/raftops/agent.yaml")
    assert cfg.mode == 0o640
    assert cfg.group == "raftops"


def test_packaged_single_node_member_never_ran(host):
    # The Debian package's default member would have created /var/lib/etcd/default.
    assert not host.file("/var/lib/etcd/default").exists
    assert host.file("/var/lib/etcd/raftops/member").is_directory
    assert not host.file("/usr/sbin/policy-rc.d").exists


def test_member_runs_the_packaged_etcd_and_its_tools_are_there(host):
    # The package's binary (server_etcd_source: package), whether the image had it or the role installed it.
    assert "path=/usr/bin/etcd " in host.check_output("systemctl show --property=ExecStart --value etcd")
    binary = host.check_output("/usr/bin/etcd --version").splitlines()[0].split()[-1]
    with host.sudo():
        status, running = http_get(host, "https://127.0.0.1:2379/version", cafile=CA, cert=inside.CERT, key=inside.KEY)
    assert status == 200
    assert running["etcdserver"] == binary
    assert host.file("/usr/bin/etcdctl").is_file  # etcd-client
    if tuple(int(part) for part in binary.split(".")[:2]) >= (3, 5):
        assert host.file("/usr/bin/etcdutl").is_file
    # No link to a release archive shadows the package's tools.
    assert not host.file("/usr/local/bin/etcdctl").exists


def test_agent_health(host):
    status, body = get_json(host, "/v1/agent/health")
    assert status == 200
    assert body["server"]["ok"] is True


def test_three_voters_and_one_leader(host):
    status, peers = get_json(host, "/v1/status/peers")
    assert status == 200
    assert len(peers) == 3
    status, leader = get_json(host, "/v1/status/leader")
    assert status == 200
    assert leader in peers
    status, members = get_json(host, "/v1/agent/members", management_token())
    assert status == 200
    assert sorted(m["Name"] for m in members["Members"]) == sorted(SERVERS)
    assert {m["Status"] for m in members["Members"]} == {"alive"}


def test_all_servers_agree_on_the_leader(host):
    leaders = set()
    for name in SERVERS:
        other = testinfra.get_host(f"ansible://{name}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")
        leaders.add(get_json(other, "/v1/status/leader")[1])
    assert len(leaders) == 1


def test_etcd_settings(host):
    env = dict(line.split("=", 1) for line in host.file("/etc/default/etcd").content_string.splitlines() if "=" in line)
    assert env["ETCD_AUTO_COMPACTION_MODE"] == '"periodic"'
    assert env["ETCD_QUOTA_BACKEND_BYTES"] == '"2147483648"'
    members = env["ETCD_INITIAL_CLUSTER"].strip('"').split(",")
    assert sorted(m.split("=", 1)[0] for m in members) == sorted(SERVERS)
    # The role's defaults: TLS with client certificates on both URLs, bound to the cluster's interface.
    address = agent_address(host)
    assert env["ETCD_CLIENT_CERT_AUTH"] == '"true"'
    assert env["ETCD_PEER_CLIENT_CERT_AUTH"] == '"true"'
    assert env["ETCD_LISTEN_CLIENT_URLS"] == f'"https://{address}:2379,https://127.0.0.1:2379"'
    assert env["ETCD_LISTEN_PEER_URLS"] == f'"https://{address}:2380"'
    assert all(m.split("=", 1)[1].startswith("https://") for m in members)


def test_acl_bootstrapped_and_enforced(host):
    assert "enabled: true" in host.file("/etc/raftops/agent.yaml").content_string
    status, _body = get_json(host, "/v1/operator/raft/configuration")
    assert status == 403
    status, body = get_json(host, "/v1/acl/token/self", management_token())
    assert status == 200
    assert body["Type"] == "management"


def test_raft_configuration(host):
    status, config = get_json(host, "/v1/operator/raft/configuration", management_token())
    assert status == 200
    servers = config["Servers"]
    assert sorted(s["Node"] for s in servers) == sorted(SERVERS)
    assert all(s["Voter"] for s in servers)
    assert sum(1 for s in servers if s["Leader"]) == 1


def test_autopilot_healthy_with_failure_tolerance_one(host):
    # Autopilot counts a server healthy only after it has been stable for a while; poll, bounded.
    deadline = time.monotonic() + 60
    while True:
        status, health = get_json(host, "/v1/operator/autopilot/health", management_token())
        if status == 200 and health["Healthy"] and health["FailureTolerance"] == 1:
            break
        assert time.monotonic() < deadline, f"autopilot not healthy after 60s: {status} {health}"
        time.sleep(2)
    assert len(health["Servers"]) == 3
    assert all(s["Healthy"] for s in health["Servers"])


def test_operator_settings_from_the_inventory(host):
    # site.yml's third play applies raftops_autopilot_config and raftops_scheduler_config (molecule.yml).
    status, autopilot = get_json(host, "/v1/operator/autopilot/configuration", management_token())
    assert status == 200
    assert autopilot["MaxTrailingLogs"] == 500
    status, scheduler = get_json(host, "/v1/operator/scheduler/configuration", management_token())
    assert status == 200
    assert scheduler["SchedulerConfig"]["SchedulerAlgorithm"] == "spread"
