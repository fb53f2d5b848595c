"""State on disk: who can read it, and where a swapped directory leads.

* Agents started from a shell with umask 000 (the agent narrows its own umask, and the repository code
  sets every mode itself): a snapshot that an SM policy takes, one taken through
  ``PUT /_snapshot/<repo>/<snap>``, the repository's ``.tmp`` and the agent's spool directory are 0600
  files in 0700 directories. The files hold every variable in clear, which the test shows by finding a
  planted secret in the archive.
* An fs repository whose directory (or a parent under ``path.repo``) is swapped for a symbolic link
  after it was defined: no read, write or listing follows it; the answer names the link.
* The backup sidecar's storage and the spool files, in a process of their own with umask 000 and 777:
  the modes are set explicitly, never left to the umask.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import stat
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import SM, Target, error_type, reason, run_creation, running

SECRET = "planted-secret-7c1f"


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("storage-modes")
    (base / "repos").mkdir()
    (base / "outside").mkdir()
    return {"repos": base / "repos", "outside": base / "outside"}


@pytest.fixture(scope="module")
def target(cluster_root: Path, paths: dict[str, Path]) -> Iterator[Target]:
    config = {"sm": {"test_clock": True, "path_repo": [str(paths["repos"])]}}
    with running(cluster_root, "storage-modes", config, umask=0o000) as t:
        t.ok("PUT", "/v1/var/app/db", {"Items": {"password": SECRET}})
        yield t


def modes(root: Path) -> dict[str, int]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            out[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return out


def test_sm_snapshots_are_0600_in_0700_directories_whatever_the_umask(target: Target, paths: dict[str, Path]) -> None:
    location = paths["repos"] / "made" / "by" / "raftops"
    target.ok("PUT", "/_snapshot/modes", {"type": "fs", "settings": {"location": str(location)}})
    policy = {
        "creation": {"schedule": {"cron": {"expression": "* * * * *", "timezone": "UTC"}}},
        "snapshot_config": {"repository": "modes"},
    }
    target.ok("POST", f"{SM}/modes-policy", policy, 201)
    run_creation(target, "modes-policy")
    target.ok("PUT", "/_snapshot/modes/by-hand", params={"wait_for_completion": "true"})
    target.ok("DELETE", f"{SM}/modes-policy")

    found = modes(paths["repos"] / "made")
    files = {p: m for p, m in found.items() if (paths["repos"] / "made" / p).is_file()}
    dirs = {p: m for p, m in found.items() if (paths["repos"] / "made" / p).is_dir()}
    archives = [p for p in files if p.endswith(".tar.gz")]
    assert len(archives) == 2, files  # the policy's snapshot and the one by hand
    assert files and all(m == 0o600 for m in files.values()), files
    assert set(dirs) == {"by", "by/raftops", "by/raftops/.tmp"}, dirs
    assert all(m == 0o700 for m in dirs.values()), dirs
    assert stat.S_IMODE((paths["repos"] / "made").stat().st_mode) == 0o700
    # What the files protect: the state in clear, the planted secret included.
    with tarfile.open(location / archives[0].rsplit("/", 1)[-1], "r:gz") as tar:
        state = tar.extractfile("state.bin")
        assert state is not None and SECRET.encode() in state.read()


def test_the_agents_spool_directory_is_0700(target: Target) -> None:
    resp = target.request("GET", "/v1/operator/snapshot")
    assert resp.status_code == 200 and SECRET.encode() in gzip.decompress(resp.content)
    tmp = target.cluster.nodes[0].dir / "agent" / "tmp"
    assert tmp.is_dir() and stat.S_IMODE(tmp.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.lstat().st_mode) == 0o600 for p in tmp.iterdir())  # nothing left, or private


def test_a_repository_directory_swapped_for_a_link_is_not_followed(target: Target, paths: dict[str, Path]) -> None:
    repos, outside = paths["repos"], paths["outside"]
    target.ok("PUT", "/_snapshot/swap", {"type": "fs", "settings": {"location": str(repos / "swap" / "loc")}})
    target.ok("PUT", "/_snapshot/swap/before", params={"wait_for_completion": "true"})
    (outside / "loc").mkdir()
    (repos / "swap").rename(repos / "swap.orig")
    (repos / "swap").symlink_to(outside)  # a parent under path.repo, swapped

    resp = target.request("PUT", "/_snapshot/swap/after", params={"wait_for_completion": "true"})
    assert (resp.status_code, error_type(resp)) == (500, "repository_exception"), resp.text
    assert f"refusing to follow the symbolic link [{repos}/swap] under path.repo" in reason(resp)
    resp = target.request("GET", "/_snapshot/swap/_all")
    assert resp.status_code == 500 and "refusing to follow the symbolic link" in reason(resp)
    resp = target.request("POST", "/_snapshot/swap/before/_restore", params={"wait_for_completion": "true"})
    assert resp.status_code >= 400 and "symbolic link" in resp.text
    assert list(outside.rglob("*")) == [outside / "loc"]  # nothing written outside path.repo

    # The location itself swapped for a link.
    (repos / "swap").unlink()
    (repos / "swap.orig").rename(repos / "swap")
    (repos / "swap" / "loc").rename(repos / "swap" / "loc.orig")
    (repos / "swap" / "loc").symlink_to(outside / "loc")
    resp = target.request("PUT", "/_snapshot/swap/after", params={"wait_for_completion": "true"})
    assert resp.status_code == 500 and f"[{repos}/swap/loc]" in reason(resp), resp.text
    assert list(outside.rglob("*")) == [outside / "loc"]

    # Back in place, the repository works again, and a link planted among its blobs is never served.
    (repos / "swap" / "loc").unlink()
    (repos / "swap" / "loc.orig").rename(repos / "swap" / "loc")
    (outside / "stolen.json").write_text(json.dumps({"snapshot": "stolen", "state": "SUCCESS"}))
    (repos / "swap" / "loc" / "stolen.json").symlink_to(outside / "stolen.json")
    names = [s["snapshot"] for s in target.ok("GET", "/_snapshot/swap/_all")["snapshots"]]
    assert names == ["before"]
    # A .tmp swapped for a link: the write is refused, nothing lands outside.
    tmp = repos / "swap" / "loc" / ".tmp"
    tmp.rename(repos / "swap" / "loc" / "tmp.orig")
    tmp.symlink_to(outside)
    resp = target.request("PUT", "/_snapshot/swap/third", params={"wait_for_completion": "true"})
    assert resp.status_code == 200 and resp.json()["snapshot"]["state"] == "FAILED", resp.text
    assert "symbolic link" in resp.json()["snapshot"]["reason"]
    assert sorted(p.name for p in outside.iterdir()) == ["loc", "stolen.json"]


def test_a_location_through_a_link_is_refused_when_defined(target: Target, paths: dict[str, Path]) -> None:
    repos, outside = paths["repos"], paths["outside"]
    (repos / "link-in").symlink_to(outside)
    resp = target.request(
        "PUT", "/_snapshot/via-link", body={"type": "fs", "settings": {"location": f"{repos}/link-in/x"}}
    )
    assert (resp.status_code, error_type(resp)) == (400, "repository_exception"), resp.text
    assert target.request("GET", "/_snapshot/via-link").status_code == 404


SIDECAR_STORAGE = r"""
import json, os, stat, sys
from raftops.backup.storage import BackupStore
from raftops.repository import open_repository
from raftops.snapshot import archive
os.umask(int(sys.argv[2], 8))
root = sys.argv[1]
store = BackupStore(open_repository("fs", {"location": os.path.join(root, "backups", "etcd")}), tmp_dir=root)
store.put("3.4.23_0000000000000007_etcd.backup", [b"x" * 4096])
spool = archive.spool(root)
spool.write(b"y" * (archive.SPOOL_MEMORY + 1))  # rolls over to a file on disk
rolled = stat.S_IMODE(os.fstat(spool.fileno()).st_mode)
print(json.dumps({"spool": rolled}))
"""


@pytest.mark.parametrize("umask", ["000", "777"])
def test_sidecar_storage_and_spool_files_are_private_whatever_the_umask(tmp_path: Path, umask: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SIDECAR_STORAGE, str(tmp_path), umask],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(out.stdout)["spool"] & 0o077 == 0  # 0600, or 0000 under umask 777
    found = modes(tmp_path / "backups")
    assert found == {
        "etcd": 0o700,
        "etcd/.tmp": 0o700,
        "etcd/3.4.23_0000000000000007_etcd.backup": 0o600,
    }, found
    assert stat.S_IMODE((tmp_path / "backups").stat().st_mode) == 0o700


def test_archive_members_are_0600(target: Target) -> None:
    resp = target.request("GET", "/v1/operator/snapshot")
    with tarfile.open(fileobj=io.BytesIO(resp.content), mode="r:gz") as tar:
        assert {m.name: m.mode for m in tar.getmembers()} == {
            "meta.json": 0o600,
            "state.bin": 0o600,
            "SHA256SUMS": 0o600,
        }
