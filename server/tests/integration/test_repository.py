"""Snapshot repositories against a real directory and a real S3 endpoint (moto's server)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from raftops.repository import FsRepository, RepositoryError, open_repository
from raftops.repository.base import BlobNotFound, Repository

from ..s3server import moto_server


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    with moto_server(tmp_path_factory.mktemp("moto")) as url:
        boto3.client("s3", endpoint_url=url, region_name="us-east-1").create_bucket(Bucket="snaps")
        yield url


@pytest.fixture(params=["fs", "s3"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Repository:
    if request.param == "fs":
        return open_repository("fs", {"location": str(tmp_path / "repo")})
    url = request.getfixturevalue("s3_endpoint")
    return open_repository("s3", {"bucket": "snaps", "base_path": f"t/{tmp_path.name}", "endpoint": url})


def test_put_list_read_delete(repo: Repository) -> None:
    assert repo.list() == []
    info = repo.put("a-1.tar.gz", [b"hello ", b"world"])
    assert info.size == 11
    repo.put("b-1.tar.gz", iter([b"x" * (6 * 1024 * 1024)]))  # large enough for a multipart upload
    assert [b.name for b in repo.list()] == ["a-1.tar.gz", "b-1.tar.gz"]
    assert [b.name for b in repo.list("a-")] == ["a-1.tar.gz"]
    assert repo.read("a-1.tar.gz") == b"hello world"
    with repo.open("b-1.tar.gz") as f:
        assert len(f.read()) == 6 * 1024 * 1024
    assert repo.delete("a-1.tar.gz") is True
    assert repo.delete("a-1.tar.gz") is False
    with pytest.raises(BlobNotFound):
        repo.open("a-1.tar.gz")


def test_overwrite_is_whole(repo: Repository) -> None:
    repo.put("x.json", [b"1" * 100])
    repo.put("x.json", [b"2" * 50])
    assert repo.read("x.json") == b"2" * 50


def test_failed_write_leaves_nothing_visible(repo: Repository) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"partial"
        raise OSError("source broke")

    with pytest.raises((OSError, RepositoryError), match="source broke"):
        repo.put("broken.tar.gz", chunks())
    assert repo.list() == []


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "x.tmp", ""])
def test_bad_names_are_refused(repo: Repository, name: str) -> None:
    with pytest.raises(RepositoryError, match="invalid blob name"):
        repo.put(name, [b"x"])


def test_fs_reader_never_sees_a_half_written_blob(tmp_path: Path) -> None:
    repo = FsRepository(tmp_path)
    release = threading.Event()

    writing = threading.Event()

    def slow() -> Iterator[bytes]:
        yield b"a" * 1024
        writing.set()
        release.wait(5)
        yield b"b" * 1024

    t = threading.Thread(target=lambda: repo.put("slow.bin", slow()))
    t.start()
    try:
        assert writing.wait(5)
        assert repo.list() == []  # only a temporary file exists so far
        assert list((tmp_path / ".tmp").iterdir())
    finally:
        release.set()
        t.join()
    assert repo.read("slow.bin") == b"a" * 1024 + b"b" * 1024
    assert list((tmp_path / ".tmp").iterdir()) == []


def test_bad_repository_settings() -> None:
    with pytest.raises(RepositoryError, match=r"\[location\] is required"):
        open_repository("fs", {})
    with pytest.raises(RepositoryError, match="must be an absolute path"):
        open_repository("fs", {"location": "relative/dir"})
    with pytest.raises(RepositoryError, match=r"repository type \[hdfs\] does not exist"):
        open_repository("hdfs", {})
    with pytest.raises(RepositoryError, match=r"\[bucket\] is required"):
        open_repository("s3", {})
    with pytest.raises(RepositoryError, match="unknown settings"):
        open_repository("s3", {"bucket": "b", "colour": "red"})


def test_s3_unreachable_endpoint_is_a_clear_error() -> None:
    repo = open_repository("s3", {"bucket": "b", "endpoint": "http://127.0.0.1:9"})
    with pytest.raises(RepositoryError, match="cannot list"):
        repo.list()


def test_fs_stale_temporaries_are_cleaned_fresh_ones_kept(tmp_path: Path) -> None:
    repo = FsRepository(tmp_path)
    (tmp_path / ".tmp").mkdir()
    stale = tmp_path / ".tmp" / "old.abc.tmp"
    fresh = tmp_path / ".tmp" / "live.def.tmp"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"y")
    os.utime(stale, (0, 0))
    repo.put("n.bin", [b"z"])
    assert not stale.exists() and fresh.exists()
