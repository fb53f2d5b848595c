"""Testinfra checks of the backup sidecar (roles/backup_sidecar), on the host site.yml runs it on."""

import os
import time

import pytest
import testinfra.utils.ansible_runner
from inside import http_get, management_token

RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
# site.yml: the raftops_backup group when it has hosts, else the first server.
testinfra_hosts = RUNNER.get_hosts("raftops_backup") or RUNNER.get_hosts("raftops_servers")[:1]

# HTTPS with the sidecar's certificate from the cluster CA (the role's default), on loopback.
SIDECAR = "https://127.0.0.1:19999"
TLS = "/etc/raftops-backup/tls"
CA = f"{TLS}/ca.pem"


def get(host, path, token="", cert=False):
    """GET from the sidecar inside the container: the token, the sidecar's own client certificate, or neither."""
    files = {"cert": f"{TLS}/sidecar.pem", "key": f"{TLS}/sidecar-key.pem"} if cert else {}
    return http_get(host, SIDECAR + path, token, timeout=30, cafile=CA, **files)


def test_sidecar_running_and_enabled(host):
    svc = host.service("raftops-backup-sidecar")
    assert svc.is_running
    assert svc.is_enabled


def test_sidecar_unit_is_hardened(host):
    props = host.service("raftops-backup-sidecar").systemd_properties
    assert props["User"] == "raftops-backup"
    assert props["NoNewPrivileges"] == "yes"
    assert props["ProtectSystem"] == "strict"
    assert props["ProtectHome"] == "yes"
    assert props["PrivateTmp"] == "yes"
    assert "/var/lib/raftops-backup" in props["ReadWritePaths"]
    proc = host.process.get(user="raftops-backup")
    assert "backup-sidecar" in proc.args
    # It runs from the server's virtualenv on a server host.
    assert proc.args.split()[1] == "/opt/raftops/venv/bin/raftops"


def test_secrets_only_in_the_environment_file(host):
    env = host.file("/etc/raftops-backup/backup-sidecar.env")
    assert env.mode == 0o600
    assert env.user == "root"
    assert "RAFTOPS_TOKEN=" in env.content_string
    config = host.file("/etc/raftops-backup/backup-sidecar.yaml")
    assert config.mode == 0o640
    assert config.group == "raftops-backup"
    token = management_token()
    assert f'RAFTOPS_TOKEN="{token}"' in env.content_string
    assert token not in config.content_string
    assert "token:" not in config.content_string
    unit = host.file("/etc/systemd/system/raftops-backup-sidecar.service").content_string
    assert token not in unit
    assert "EnvironmentFile=/etc/raftops-backup/backup-sidecar.env" in unit


def test_sidecar_config_names_every_agent(host):
    config = host.file("/etc/raftops-backup/backup-sidecar.yaml").content_string
    assert "dir: /var/lib/raftops-backup" in config
    assert "port: 19999" in config
    assert config.count(":4646") == len(RUNNER.get_hosts("raftops_servers"))
    assert config.count("https://") == len(RUNNER.get_hosts("raftops_servers"))
    assert "http_tls:" in config
    assert "insecure_no_auth: false" in config


@pytest.mark.parametrize("path", ["/v1/status", "/v1/backup", "/v1/backupnow"])
def test_sidecar_refuses_callers_without_credentials(host, path):
    status, body = get(host, path)
    assert status in (401, 403), (status, body)
    status, body = get(host, path, token="00000000-0000-0000-0000-000000000000")
    assert status in (401, 403), (status, body)


def test_sidecar_accepts_the_management_token_and_its_client_certificate(host):
    status, st = get(host, "/v1/status", token=management_token())
    assert status == 200, st
    status, st = get(host, "/v1/status", cert=True)
    assert status == 200, st


def test_sidecar_tls_files(host):
    assert host.file(f"{TLS}/sidecar-key.pem").mode == 0o640
    assert host.file(f"{TLS}/sidecar-key.pem").group == "raftops-backup"
    assert host.run("openssl verify -CAfile %s %s", CA, f"{TLS}/sidecar.pem").rc == 0


def test_sidecar_has_taken_a_backup(host):
    status, st = get(host, "/v1/status", token=management_token())
    assert status == 200, st
    assert st["backups"] >= 1, st
    assert "lastError" not in st, st
    backups = host.file("/var/lib/raftops-backup")
    assert backups.mode == 0o700
    assert backups.user == "raftops-backup"
    names = [n for n in backups.listdir() if n.endswith("etcd.backup")]
    assert names, backups.listdir()
    assert host.file(f"/var/lib/raftops-backup/{names[0]}").mode == 0o600


def test_sidecar_serves_the_latest_backup(host):
    script = (
        "import ssl,sys,urllib.request\n"
        "req = urllib.request.Request(sys.argv[1], headers={'X-Nomad-Token': sys.argv[3]})\n"
        "ctx = ssl.create_default_context(cafile=sys.argv[2])\n"
        "print(urllib.request.urlopen(req, context=ctx).headers['X-etcd-Version'])\n"
    )
    cmd = host.run("python3 -c %s %s %s %s", script, SIDECAR + "/v1/backup", CA, management_token())
    assert cmd.rc == 0, cmd.stderr
    assert cmd.stdout.strip().startswith("3.")


def test_sidecar_attempts_are_healthy(host):
    # The interval is 60 s in this scenario: within two of them the loop has made another attempt (a
    # backup or a skip, as the state is idle), and none failed.
    deadline = time.monotonic() + 150
    while True:
        _status, metrics = get(host, "/metrics", token=management_token())
        values = dict(
            line.rsplit(" ", 1) for line in metrics.splitlines() if line.startswith("raftops_backup_") and " " in line
        )
        attempts = float(values.get("raftops_backup_success_total", 0)) + float(
            values.get("raftops_backup_skipped_total", 0)
        )
        if attempts >= 2:
            break
        assert time.monotonic() < deadline, f"no periodic attempt after 150 s: {values}"
        time.sleep(5)
    assert float(values["raftops_backup_failures_total"]) == 0
