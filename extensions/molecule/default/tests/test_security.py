"""What the role's default settings protect, seen from the network: each server probes the next one.

The scenario sets no TLS variable, so these are the defaults of roles/server and roles/backup_sidecar: etcd's client
(2379) and peer (2380) ports take only clients with a certificate from the cluster CA, the agent's port (4646)
speaks HTTPS only, everything is bound to the cluster's interface, and the CA key never left the controller.
"""

import os
import stat

import pytest
import testinfra.utils.ansible_runner
from inside import CA, CERT, KEY, PKI_DIR, agent_address, management_token, probe, status_line

RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
SERVERS = RUNNER.get_hosts("raftops_servers")
testinfra_hosts = SERVERS


def other(name):
    """The next server after ``name``, as a testinfra host."""
    target = SERVERS[(SERVERS.index(name) + 1) % len(SERVERS)]
    return testinfra.get_host(f"ansible://{target}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")


@pytest.fixture()
def target(host):
    """(address, testinfra host) of the server the current one probes."""
    name = host.backend.get_hostname()
    peer = other(name)
    return agent_address(peer), peer


def refused(result):
    """No HTTP answer came back: the handshake failed or the server dropped the connection before answering."""
    return not status_line(result).startswith("HTTP/")


@pytest.mark.parametrize("port", [2379, 2380])
def test_etcd_refuses_a_client_without_a_certificate(host, target, port):
    address, _peer = target
    # The client trusts the cluster CA, so the server's certificate is fine; only the client's is missing.
    result = probe(host, address, port, "/version", cafile=CA)
    assert refused(result), result
    assert "certificate" in result.get("error", "").lower() or not result.get("response"), result


@pytest.mark.parametrize("port", [2379, 2380])
def test_etcd_serves_a_client_with_a_certificate_of_the_cluster_ca(host, target, port):
    address, _peer = target
    result = probe(host, address, port, "/version", cafile=CA, cert=CERT, key=KEY)
    assert status_line(result).startswith("HTTP/1.1 200"), result
    assert '"etcdserver"' in result["response"], result


@pytest.mark.parametrize("port", [2379, 2380])
def test_etcd_speaks_no_plain_http(host, target, port):
    address, _peer = target
    result = probe(host, address, port, "/version", tls=False)
    assert '"etcdserver"' not in result.get("response", ""), result
    assert " 200 " not in status_line(result), result


def test_plain_http_to_the_agent_does_not_serve_the_api(host, target):
    address, _peer = target
    result = probe(host, address, 4646, "/v1/status/leader", tls=False)
    line = status_line(result)
    assert " 200 " not in line, result
    # Whatever comes back (nothing, a TLS alert, a 400 page), it is not the API's JSON.
    assert ":2380" not in result.get("response", ""), result


def test_https_with_the_ca_and_a_token_serves_the_api(host, target):
    address, _peer = target
    result = probe(host, address, 4646, "/v1/operator/raft/configuration", cafile=CA, token=management_token())
    assert status_line(result).startswith("HTTP/1.1 200"), result
    assert '"Servers"' in result["response"], result
    # Without the token the API refuses operator endpoints (ACLs on).
    result = probe(host, address, 4646, "/v1/operator/raft/configuration", cafile=CA)
    assert status_line(result).startswith("HTTP/1.1 403"), result


def test_the_agent_certificate_is_from_the_cluster_ca_only(host, target):
    address, _peer = target
    # The system trust store does not know the cluster CA: the handshake fails on the server's certificate.
    result = probe(host, address, 4646, "/v1/agent/health", cafile="/etc/ssl/certs/ca-certificates.crt")
    assert refused(result), result
    assert "CERTIFICATE_VERIFY_FAILED" in result.get("error", ""), result


def test_services_listen_on_the_cluster_interface_only(host):
    address = agent_address(host)
    assert address not in ("0.0.0.0", "127.0.0.1", "")
    listening = host.run("ss -Hltn").stdout.split("\n")
    local = sorted({line.split()[3] for line in listening if line.strip()})
    for port, allowed in ((2379, {address, "127.0.0.1"}), (2380, {address}), (4646, {address})):
        bound = {entry.rsplit(":", 1)[0] for entry in local if entry.endswith(f":{port}")}
        assert bound == allowed, (port, local)


def test_tls_files_on_the_host(host):
    tls = host.file("/etc/raftops/tls")
    assert tls.is_directory
    for path in (CA, CERT):
        assert host.file(path).mode == 0o644
    assert host.file(KEY).mode == 0o640
    assert host.file(KEY).group == "raftops"
    etcd_key = host.file("/etc/raftops/tls/etcd-key.pem")
    assert etcd_key.mode == 0o600
    assert etcd_key.user == "etcd"
    assert host.run("openssl verify -CAfile %s %s", CA, CERT).rc == 0
    text = host.run("openssl x509 -in %s -noout -text", CERT).stdout
    assert f"IP Address:{agent_address(host)}" in text
    assert "IP Address:127.0.0.1" in text
    assert "TLS Web Server Authentication, TLS Web Client Authentication" in text or (
        "TLS Web Client Authentication, TLS Web Server Authentication" in text
    )


def test_the_ca_key_never_left_the_controller(host):
    with open(os.path.join(PKI_DIR, "ca-key.pem")) as f:
        ca_key = f.read().strip()
    found = host.run("grep -rlF %s /etc /var/lib /opt /root /tmp", ca_key.splitlines()[1])
    assert found.stdout.strip() == "", found.stdout
    assert stat.S_IMODE(os.stat(PKI_DIR).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(PKI_DIR, "ca-key.pem")).st_mode) == 0o600
    with open(os.path.join(PKI_DIR, "ca-bundle.pem")) as f:
        assert host.file(CA).content_string.strip() == f.read().strip()
