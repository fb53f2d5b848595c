"""The backup sidecar as a real process against a real 3-server cluster (and moto's S3 server).

Covers etcd-operator's API (backupnow, backup, status), the skip rule, retention, S3 storage,
restore of the latest backup into a fresh cluster, a SIGKILL mid-write, an unreachable cluster
and the agents' /v1/raftops/state endpoint the sidecar relies on.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import urllib3
from raftops import __version__
from raftops.backup import names
from raftops.etcdproc import free_port
from raftops.localcluster import LocalCluster
from raftops.snapshot import archive
from raftops.store.etcd import Etcd
from raftops.store.state import POINTER, StateStore

from ..conftest import next_hosts, run_cli, wait_for
from ..s3server import moto_server
from .nomadhttp import wait_configs_ready

HTTP = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=120))
TEXT = "text/plain; charset=utf-8"


# -- helpers ---------------------------------------------------------------------------------------
def request(method: str, url: str, **kwargs: Any) -> urllib3.BaseHTTPResponse:
    return HTTP.request(method, url, **kwargs)


def put_var(cluster: LocalCluster, path: str, items: dict[str, str], node: int = 0) -> int:
    resp = request("PUT", f"{cluster.nodes[node].api}/v1/var/{path}", body=json.dumps({"Items": items}))
    assert resp.status == 200, resp.data
    return int(resp.headers["X-Nomad-Index"])


def state_of(cluster: LocalCluster) -> tuple[int, dict[str, bytes]]:
    """(state revision, every state item) read straight from etcd."""
    etcd = Etcd([n.etcd.client_url for n in cluster.nodes], timeout=10.0)
    try:
        state = StateStore(etcd)
        _, _, items = state.iter_all()
        return state.state_revision(), {item.path: item.value for item in items}
    finally:
        etcd.close()


def backups_in(directory: Path) -> list[str]:
    return names.sort_backups(p.name for p in directory.iterdir() if p.is_file())


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} missing from /metrics"
    return float(match.group(1))


class Sidecar:
    """``raftops backup-sidecar`` in a subprocess on a free loopback port, stopped by its PID.

    These tests are about what the sidecar backs up, against a cluster with ACLs off, so it runs with
    ``-insecure-no-auth``; server/tests/security/test_sidecar_auth.py covers who may call it.
    """

    def __init__(self, workdir: Path, config: dict[str, Any], *flags: str, env: dict[str, str] | None = None):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config_path = workdir / "sidecar.json"
        self.config_path.write_text(json.dumps(config))
        self.flags = ["-bind", "127.0.0.1", "-port", str(self.port), "-insecure-no-auth", *flags]
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.log = workdir / "sidecar.log"

    def start(self) -> Sidecar:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "raftops.cli", "backup-sidecar", "-config", str(self.config_path), *self.flags],
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                env=self.env,
                start_new_session=True,
            )

        def answering() -> bool:
            assert self.proc is not None and self.proc.poll() is None, self.log.read_text()[-2000:]
            try:
                return request("GET", f"{self.url}/v1/status", timeout=2).status == 200
            except urllib3.exceptions.HTTPError:
                return False

        wait_for(answering, timeout=30, message="sidecar answering /v1/status")
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def call(self, path: str, method: str = "GET", **kwargs: Any) -> urllib3.BaseHTTPResponse:
        return request(method, f"{self.url}{path}", **kwargs)

    def status(self) -> dict[str, Any]:
        resp = self.call("/v1/status")
        assert resp.status == 200, resp.data
        return json.loads(resp.data)

    def backup_now(self) -> dict[str, Any]:
        resp = self.call("/v1/backupnow")
        assert resp.status == 200, resp.data
        return json.loads(resp.data)

    def metrics(self) -> str:
        return self.call("/metrics").data.decode()


@pytest.fixture
def sidecars() -> Iterator[list[Sidecar]]:
    started: list[Sidecar] = []
    yield started
    for sidecar in started:
        sidecar.stop()


def fs_sidecar(
    sidecars: list[Sidecar], cluster: LocalCluster, workdir: Path, *flags: str, env: dict[str, str] | None = None
) -> Sidecar:
    store = workdir / "backups"
    config = {"addr": cluster.api_addresses, "dir": str(store), "backup_interval_in_second": 3600}
    sidecar = Sidecar(workdir, config, *flags, env=env)
    sidecars.append(sidecar)
    return sidecar.start()


def etcd_version(cluster: LocalCluster) -> str:
    resp = request("GET", f"{cluster.nodes[0].api}/v1/raftops/state")
    return json.loads(resp.data)["EtcdVersion"]


# -- the agents' state endpoint ----------------------------------------------------------------------
def test_state_endpoint_reports_the_state_revision(local_cluster: LocalCluster) -> None:
    put_var(local_cluster, "state/probe", {"v": "1"})
    etcd = Etcd([n.etcd.client_url for n in local_cluster.nodes])
    try:
        expected = StateStore(etcd).state_revision()
        generation = etcd.get(POINTER).value.decode()
        version = etcd.version()
    finally:
        etcd.close()
    for node in local_cluster.nodes:
        resp = request("GET", f"{node.api}/v1/raftops/state")
        assert resp.status == 200 and resp.headers["Content-Type"] == "application/json"
        assert json.loads(resp.data) == {
            "Revision": expected,
            "EtcdVersion": version,
            "RaftopsVersion": __version__,
            "Generation": generation,
        }
    index = put_var(local_cluster, "state/probe", {"v": "2"})
    after = json.loads(request("GET", f"{local_cluster.nodes[1].api}/v1/raftops/state").data)
    assert after["Revision"] == index > expected  # the write's own txn moved it
    resp = request("POST", f"{local_cluster.nodes[0].api}/v1/raftops/state")
    assert (resp.status, resp.data) == (405, b"Invalid method\n")


# -- the done-when: periodic backups skip unchanged state ---------------------------------------------
def test_periodic_backups_one_per_change_none_while_idle(
    local_cluster: LocalCluster, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    wait_configs_ready(local_cluster)  # the duty holder's one-off defaults are written by now
    sidecar = fs_sidecar(sidecars, local_cluster, tmp_path, "-interval", "2")
    store = tmp_path / "backups"
    wait_for(lambda: len(backups_in(store)) == 1, timeout=20, message="the first periodic backup")
    first = backups_in(store)

    time.sleep(5)  # two or more ticks with nothing written
    assert backups_in(store) == first
    assert metric(sidecar.metrics(), "raftops_backup_skipped_total") >= 2

    index = put_var(local_cluster, "periodic/one", {"k": "v"})
    wait_for(lambda: len(backups_in(store)) == 2, timeout=20, message="a backup after the write")
    time.sleep(5)
    after = backups_in(store)
    assert len(after) == 2 and after[0] == first[0]
    assert names.parse_revision(after[1]) == index == state_of(local_cluster)[0]

    latest = sidecar.call("/v1/backup")
    assert latest.status == 200 and latest.headers["X-Revision"] == str(index)
    assert latest.data == (store / after[1]).read_bytes()
    status = sidecar.status()
    assert status["backups"] == 2 and status["recentBackup"]["revision"] == index and "lastError" not in status


# -- /v1/backupnow and /v1/status ----------------------------------------------------------------------
def test_backupnow_takes_one_backup_per_change(
    local_cluster: LocalCluster, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    sidecar = fs_sidecar(sidecars, local_cluster, tmp_path)
    store = tmp_path / "backups"
    empty = sidecar.call("/v1/status")
    assert (empty.status, empty.headers["Content-Type"], empty.data) == (200, TEXT, b'{"backups":0,"backupSize":0}\n')
    none_yet = sidecar.call("/v1/backup")
    assert (none_yet.status, none_yet.data) == (404, b"404 page not found\n")

    resp = sidecar.call("/v1/backupnow")
    assert resp.status == 200 and resp.headers["Content-Type"] == TEXT and resp.data.endswith(b"}\n")
    first = json.loads(resp.data)
    assert list(first) == ["creationTime", "size", "revision", "version", "timeTookInSecond"]
    [name] = backups_in(store)
    assert first["revision"] == state_of(local_cluster)[0] == names.parse_revision(name)
    assert first["version"] == etcd_version(local_cluster) == names.version_from_name(name)
    assert first["size"] == names.to_mb((store / name).stat().st_size)
    assert first["timeTookInSecond"] >= 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", first["creationTime"])
    assert (store / name).stat().st_mode & 0o777 == 0o600  # backups hold ACL secrets

    again = sidecar.call("/v1/backupnow", method="POST")  # any method, as on Go's ServeMux
    assert again.status == 200 and again.data == resp.data  # skipped: the last status again
    assert backups_in(store) == [name]

    index = put_var(local_cluster, "backupnow/one", {"k": "v"})
    results: list[dict[str, Any]] = []
    threads = [threading.Thread(target=lambda: results.append(sidecar.backup_now())) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 3 and all(r["revision"] == index for r in results)
    assert len(backups_in(store)) == 2  # concurrent requests: one backup, serialised in the loop

    status = sidecar.status()
    assert list(status) == ["recentBackup", "backups", "backupSize"]
    assert status["recentBackup"]["revision"] == index and status["backups"] == 2
    total = sum((store / n).stat().st_size for n in backups_in(store))
    assert status["backupSize"] == names.to_mb(total)
    text = sidecar.metrics()
    assert metric(text, "raftops_backup_success_total") == 2
    assert metric(text, "raftops_backup_skipped_total") == 3
    assert metric(text, "raftops_backup_failures_total") == 0
    assert metric(text, "raftops_backup_last_success_timestamp_seconds") > time.time() - 120
    assert metric(text, "raftops_backup_last_size_bytes") == (store / backups_in(store)[-1]).stat().st_size
    assert metric(text, "raftops_backup_last_duration_seconds") > 0


# -- /v1/backup -------------------------------------------------------------------------------------------
def test_backup_selection_headers_and_every_error(
    local_cluster: LocalCluster, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    sidecar = fs_sidecar(sidecars, local_cluster, tmp_path)
    store = tmp_path / "backups"
    put_var(local_cluster, "select/one", {"k": "1"})
    old = sidecar.backup_now()
    put_var(local_cluster, "select/two", {"k": "2"})
    new = sidecar.backup_now()
    version = new["version"]
    major, minor = (int(p) for p in names.major_minor(version).split("."))
    old_name, new_name = backups_in(store)

    latest = sidecar.call("/v1/backup")
    assert latest.status == 200
    assert latest.headers["X-etcd-Version"] == version and latest.headers["X-Revision"] == str(new["revision"])
    assert latest.headers["X-Raftops-Version"] == __version__
    assert latest.headers["Content-Type"] == "application/x-gzip"
    assert int(latest.headers["Content-Length"]) == len(latest.data)
    assert latest.data == (store / new_name).read_bytes()
    with archive.verify([latest.data]) as checked:
        assert checked.meta["Raftops"]["StateRevision"] == new["revision"]

    by_rev = {"etcdVersion": version, "etcdRevision": str(old["revision"])}
    resp = sidecar.call("/v1/backup", fields=by_rev)
    assert resp.status == 200 and resp.headers["X-Revision"] == str(old["revision"])
    assert resp.data == (store / old_name).read_bytes()
    raftops_names = sidecar.call("/v1/backup", fields={"version": version, "revision": str(old["revision"])})
    assert raftops_names.status == 200 and raftops_names.data == resp.data
    form = sidecar.call("/v1/backup", method="POST", fields=by_rev, encode_multipart=False)  # r.FormValue reads bodies
    assert form.status == 200 and form.headers["X-Revision"] == str(old["revision"])

    head = sidecar.call("/v1/backup", method="HEAD", fields=by_rev)
    assert head.status == 200 and head.data == b""
    assert head.headers["X-Revision"] == str(old["revision"]) and head.headers["X-etcd-Version"] == version
    assert head.headers["X-Raftops-Version"] == __version__
    assert sidecar.call("/v1/backup", method="HEAD", fields={"etcdVersion": version}).status == 200  # Exist()

    compatible = sidecar.call("/v1/backup", fields={"etcdVersion": f"{major}.{minor + 1}.0"})
    assert compatible.status == 200 and compatible.headers["X-Revision"] == str(new["revision"])

    cases = [
        ({"etcdRevision": "5"}, 400, "version must be provided when revision is provided."),
        ({"revision": "5"}, 400, "version must be provided when revision is provided."),
        ({"etcdVersion": version, "etcdRevision": "x"}, 400, "revision is not a vaild integer"),
        ({"etcdVersion": version, "etcdRevision": "0x10"}, 400, "revision is not a vaild integer"),
        ({"etcdVersion": version, "etcdRevision": "99999999"}, 404, "backup not found"),
        ({"etcdVersion": "3.4", "etcdRevision": str(old["revision"])}, 404, "backup not found"),
        ({"etcdVersion": "../../etc/passwd", "etcdRevision": "1"}, 404, "backup not found"),
        ({"etcdVersion": "3.4"}, 400, "invalid param 'version' (3.4): 3.4 is not in dotted-tri format"),
        (
            {"etcdVersion": "3.x.0"},
            400,
            "invalid param 'version' (3.x.0): strconv.ParseInt: parsing \"x\": invalid syntax",
        ),
        (
            {"etcdVersion": f"{major}.{minor - 2}.0"},
            400,
            f"requested version ({major}.{minor - 2}) is not compatible with the backup ({major}.{minor})",
        ),
        ({"etcdVersion": "4.0.0"}, 400, f"requested version (4.0) is not compatible with the backup ({major}.{minor})"),
    ]
    for fields, code, message in cases:
        resp = sidecar.call("/v1/backup", fields=fields)
        assert (resp.status, resp.data.decode()) == (code, message + "\n"), fields
        assert resp.headers["Content-Type"] == TEXT and resp.headers["X-Content-Type-Options"] == "nosniff"
        assert "X-Revision" not in resp.headers
    for path in ("/v1/backup/", "/v1/backups", "/"):
        resp = sidecar.call(path)
        assert (resp.status, resp.data) == (404, b"404 page not found\n"), path


# -- retention --------------------------------------------------------------------------------------------
def test_retention_keeps_the_newest_by_revision(
    local_cluster: LocalCluster, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    store = tmp_path / "backups"
    store.mkdir()
    (store / "notes.txt").write_text("not a backup")
    (store / "3.4.23_zz_etcd.backup").write_text("revision does not parse")
    sidecar = fs_sidecar(sidecars, local_cluster, tmp_path, "-max-backups", "2")
    revisions = []
    for i in range(4):
        put_var(local_cluster, f"retention/{i}", {"i": str(i)})
        revisions.append(sidecar.backup_now()["revision"])
    kept = backups_in(store)
    assert [names.parse_revision(n) for n in kept] == revisions[-2:]
    assert (store / "notes.txt").exists() and (store / "3.4.23_zz_etcd.backup").exists()
    assert sidecar.status()["backups"] == 2
    assert metric(sidecar.metrics(), "raftops_backup_purged_total") == 2
    assert sidecar.call("/v1/backup").headers["X-Revision"] == str(revisions[-1])


# -- S3 -----------------------------------------------------------------------------------------------------
def test_s3_storage_through_moto(local_cluster: LocalCluster, sidecars: list[Sidecar], tmp_path: Path) -> None:
    credentials = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    with moto_server(tmp_path) as endpoint:
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket="backups")
        config = {"addr": local_cluster.api_addresses, "backup_interval_in_second": 3600}
        flags = ("-s3-bucket", "backups", "-s3-prefix", "raftops/prod", "-s3-endpoint", endpoint)
        sidecar = Sidecar(tmp_path, config, *flags, env=credentials)
        sidecars.append(sidecar)
        sidecar.start()
        put_var(local_cluster, "s3/one", {"k": "v"})
        status = sidecar.backup_now()
        name = names.make_name(status["version"], status["revision"])
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="backups").get("Contents", [])]
        assert keys == [f"raftops/prod/{name}"]
        stored = s3.get_object(Bucket="backups", Key=keys[0])["Body"].read()
        served = sidecar.call("/v1/backup")
        assert served.status == 200 and served.data == stored
        assert served.headers["X-Raftops-Version"] == __version__
        archive.verify([served.data]).close()
        assert sidecar.status()["backups"] == 1
        assert "testing" not in sidecar.log.read_text()

        # A restart rebuilds the list from the bucket: nothing changed, so nothing new is written.
        sidecar.stop()
        restarted = Sidecar(tmp_path, config, *flags, env=credentials)
        sidecars.append(restarted)
        restarted.start()
        again = restarted.backup_now()
        assert again["revision"] == status["revision"] and again["timeTookInSecond"] == 0
        assert len(s3.list_objects_v2(Bucket="backups")["Contents"]) == 1
        assert "recentBackup" not in restarted.status()  # upstream: only backups this process made
        restarted.stop()


# -- restore into a fresh cluster ---------------------------------------------------------------------------
def test_latest_backup_restores_into_a_fresh_cluster(
    local_cluster: LocalCluster, sidecars: list[Sidecar], tmp_path: Path, cluster_root: Path
) -> None:
    rng = random.Random(6)
    for i in range(20):
        put_var(local_cluster, f"restore/app{i}/config", {"n": str(i), "blob": rng.randbytes(200).hex()})
    request(
        "PUT",
        f"{local_cluster.nodes[1].api}/v1/var/restore/other?namespace=prod",
        body=json.dumps({"Items": {"ns": "prod"}}),
    )
    sidecar = fs_sidecar(sidecars, local_cluster, tmp_path)
    status = sidecar.backup_now()
    revision, source = state_of(local_cluster)
    assert status["revision"] == revision  # nothing written since: `source` is what the backup holds
    body = sidecar.call("/v1/backup").data

    fresh = LocalCluster(cluster_root / "restore-target", next_hosts(1), token="raftops-restore-target")
    try:
        fresh.up(timeout=60)
        wait_configs_ready(fresh)  # its own defaults land before the restore, not after it
        assert state_of(fresh)[1] != source
        resp = request("PUT", f"{fresh.nodes[0].api}/v1/operator/snapshot", body=body)
        assert (resp.status, resp.data) == (200, b"")
        assert state_of(fresh)[1] == source  # every item, byte for byte
        restored = request("GET", f"{fresh.nodes[0].api}/v1/var/restore/app7/config")
        assert restored.status == 200 and json.loads(restored.data)["Items"]["n"] == "7"
        prod = request("GET", f"{fresh.nodes[0].api}/v1/var/restore/other?namespace=prod")
        assert json.loads(prod.data)["Items"] == {"ns": "prod"}

        # The old cluster's backups are no place for the new cluster's: its revisions start lower.
        workdir = tmp_path / "fresh-sidecar"
        workdir.mkdir()
        config = {"addr": fresh.api_addresses, "dir": str(tmp_path / "backups"), "backup_interval_in_second": 3600}
        misplaced = Sidecar(workdir, config)
        sidecars.append(misplaced)
        refused = misplaced.start().call("/v1/backupnow")
        assert refused.status == 500 and b"give this cluster its own storage location" in refused.data
        assert len(backups_in(tmp_path / "backups")) == 1
    finally:
        fresh.destroy()


# -- crash safety -------------------------------------------------------------------------------------------
def test_sigkill_during_a_backup_leaves_only_whole_backups(
    local_cluster: LocalCluster, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    store = tmp_path / "backups"
    slow = {"RAFTOPS_BACKUP_TEST_WRITE_DELAY": "0.1"}
    sidecar = fs_sidecar(sidecars, local_cluster, tmp_path, env=slow)
    put_var(local_cluster, "crash/before", {"k": "v"})
    whole = sidecar.backup_now()
    [whole_name] = backups_in(store)

    rng = random.Random(66)
    for i in range(12):  # ~100 KB of incompressible state: 25+ slow 4 KiB writes
        put_var(local_cluster, f"crash/bulk{i}", {"data": base64.b64encode(rng.randbytes(6000)).decode()})
    failed: list[int] = []

    def ask() -> None:
        try:
            failed.append(sidecar.call("/v1/backupnow").status)
        except urllib3.exceptions.HTTPError:
            failed.append(0)

    asker = threading.Thread(target=ask)
    asker.start()
    tmp = store / ".tmp"

    def partly_written() -> bool:
        return any(p.name.endswith(".tmp") and p.stat().st_size > 0 for p in tmp.iterdir())

    wait_for(partly_written, timeout=60, message="a half-written backup in .tmp")
    sidecar.stop(signal.SIGKILL)
    asker.join(timeout=30)
    assert failed == [0]  # the request died with the process
    assert backups_in(store) == [whole_name]
    leftovers = [p for p in tmp.iterdir() if p.name.endswith(".tmp")]
    assert leftovers and all(p.name.startswith(whole_name.split("_")[0]) for p in leftovers)

    restarted = Sidecar(tmp_path, json.loads(sidecar.config_path.read_text()))
    sidecars.append(restarted)
    restarted.start()
    status = restarted.status()
    assert status["backups"] == 1 and "recentBackup" not in status
    served = restarted.call("/v1/backup")
    assert served.status == 200 and served.headers["X-Revision"] == str(whole["revision"])
    archive.verify([served.data]).close()

    fresh = restarted.backup_now()  # the state moved on since the whole backup: a new one is taken
    assert fresh["revision"] == state_of(local_cluster)[0] > whole["revision"]
    assert len(backups_in(store)) == 2
    archive.verify([(store / backups_in(store)[-1]).read_bytes()]).close()


# -- ACLs -----------------------------------------------------------------------------------------------------
def test_acl_tokens_for_the_state_endpoint_and_the_sidecar(
    sidecars: list[Sidecar], tmp_path: Path, cluster_root: Path
) -> None:
    secured = LocalCluster(
        cluster_root / "backup-acl", next_hosts(1), token="raftops-backup-acl", agent_config={"acl_enabled": True}
    )
    try:
        secured.up(timeout=60)
        api = secured.nodes[0].api
        mgmt = json.loads(request("POST", f"{api}/v1/acl/bootstrap").data)["SecretID"]
        as_mgmt = {"X-Nomad-Token": mgmt}
        policy = {"Name": "op-read", "Rules": 'operator { policy = "read" }'}
        assert request("POST", f"{api}/v1/acl/policy/op-read", body=json.dumps(policy), headers=as_mgmt).status == 200
        token = {"Name": "op-read", "Type": "client", "Policies": ["op-read"]}
        created = request("POST", f"{api}/v1/acl/token", body=json.dumps(token), headers=as_mgmt)
        op_read = json.loads(created.data)["SecretID"]

        state = f"{api}/v1/raftops/state"
        denied = request("GET", state)
        assert (denied.status, denied.data) == (403, b"Permission denied")
        assert request("GET", state, headers={"X-Nomad-Token": op_read}).status == 200
        assert request("GET", state, headers={"Authorization": f"Bearer {mgmt}"}).status == 200

        def sidecar_with(name: str, token: str) -> Sidecar:
            workdir = tmp_path / name
            workdir.mkdir()
            config = {"addr": [api], "token": token, "dir": str(workdir / "b"), "backup_interval_in_second": 3600}
            sidecar = Sidecar(workdir, config)
            sidecars.append(sidecar)
            return sidecar.start()

        anonymous = sidecar_with("anonymous", "").call("/v1/backupnow")
        assert (anonymous.status, anonymous.data.decode()) == (
            500,
            f"reading the state revision from {api}: Unexpected response code: 403 (Permission denied)\n",
        )
        reader = sidecar_with("reader", op_read).call("/v1/backupnow")  # a snapshot needs management
        assert (reader.status, reader.data.decode()) == (
            500,
            f"taking a snapshot from {api}: Unexpected response code: 403 (Permission denied)\n",
        )
        manager = sidecar_with("manager", mgmt)
        status = manager.backup_now()
        assert status["revision"] == state_of(secured)[0]
        assert mgmt not in manager.log.read_text() and mgmt not in json.dumps(manager.status())
    finally:
        secured.destroy()


# -- failures -----------------------------------------------------------------------------------------------
def test_unreachable_cluster_is_reported_and_retried_each_tick(
    local_cluster: LocalCluster, sidecars: list[Sidecar], tmp_path: Path
) -> None:
    node = local_cluster.nodes[2]
    store = tmp_path / "backups"
    config = {"addr": [node.api], "dir": str(store), "backup_interval_in_second": 1}
    local_cluster.signal(node, "agent")
    try:
        sidecar = Sidecar(tmp_path, config)
        sidecars.append(sidecar)
        sidecar.start()
        wait_for(lambda: "lastError" in sidecar.status(), timeout=15, message="lastError in /v1/status")
        status = sidecar.status()
        assert status["lastError"] == (
            f"reading the state revision: no raftops agent answered ({node.api}: Connection refused)"
        )
        first_time = status["lastErrorTime"]
        failures = metric(sidecar.metrics(), "raftops_backup_failures_total")
        wait_for(
            lambda: metric(sidecar.metrics(), "raftops_backup_failures_total") >= failures + 2,
            timeout=15,
            message="two more failed ticks",
        )
        now = sidecar.call("/v1/backupnow")
        assert now.status == 500 and now.data.decode() == status["lastError"] + "\n"
        assert now.headers["Content-Type"] == TEXT
        assert sidecar.call("/v1/backup").status == 404 and backups_in(store) == []
        assert sidecar.status()["lastErrorTime"] >= first_time
    finally:
        local_cluster.start(node, "agent")
    local_cluster.wait_ready(timeout=60)
    wait_for(lambda: len(backups_in(store)) == 1, timeout=30, message="a backup once the agent is back")
    wait_for(lambda: "lastError" not in sidecar.status(), timeout=10, message="lastError cleared")


def test_agents_are_tried_in_turn(local_cluster: LocalCluster, sidecars: list[Sidecar], tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    config = {"addr": [dead, local_cluster.nodes[1].api], "dir": str(tmp_path / "b"), "backup_interval_in_second": 0}
    sidecar = Sidecar(tmp_path, config)
    sidecars.append(sidecar)
    sidecar.start()
    assert sidecar.backup_now()["revision"] == state_of(local_cluster)[0]
    assert "lastError" not in sidecar.status()


def test_invalid_flags_are_rejected_before_start(tmp_path: Path) -> None:
    result = run_cli("backup-sidecar", "-addr", "http://127.0.0.1:4646", "-dir", str(tmp_path), "-max-backups", "-1")
    assert result.returncode == 2 and "MaxBackups value should be >= 0" in result.stderr
    result = run_cli("backup-sidecar", "-addr", "http://127.0.0.1:4646")
    assert result.returncode == 2 and "no storage: set dir" in result.stderr
