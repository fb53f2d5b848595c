"""A repository in a directory (local disk or a shared mount on every agent host)."""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from .base import BlobInfo, BlobNotFound, Repository, RepositoryError, check_name

TMP_DIR = ".tmp"
STALE_TMP_SECONDS = 24 * 3600


class FsRepository(Repository):
    """Blobs are files in ``location``; writes go to ``location/.tmp``, are fsynced and renamed in.

    A crash mid-write leaves only a temporary file, which listings never show and the next
    write of the same process cleans when it is older than a day.
    """

    def __init__(self, location: str | os.PathLike):
        self.root = Path(location)
        if not self.root.is_absolute():
            raise RepositoryError(f"location [{location}] must be an absolute path")

    def _ensure(self) -> Path:
        tmp = self.root / TMP_DIR
        try:
            tmp.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RepositoryError(f"cannot create repository directory [{self.root}]: {exc.strerror}") from exc
        return tmp

    def put(self, name: str, chunks: Iterable[bytes]) -> BlobInfo:
        check_name(name)
        tmp_dir = self._ensure()
        self._clean_stale_temporaries(tmp_dir)
        tmp = tmp_dir / f"{name}.{uuid.uuid4().hex}.tmp"
        try:
            with open(tmp, "wb") as f:
                for chunk in chunks:
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.root / name)
            _fsync_dir(self.root)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise RepositoryError(f"cannot write [{name}] to [{self.root}]: {exc.strerror or exc}") from exc
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        st = (self.root / name).stat()
        return BlobInfo(name, st.st_size, st.st_mtime)

    @staticmethod
    def _clean_stale_temporaries(tmp_dir: Path) -> None:
        # A writer that crashed left its temporary file; one a day old is no live write.
        cutoff = time.time() - STALE_TMP_SECONDS
        for entry in os.scandir(tmp_dir):
            with contextlib.suppress(OSError):
                if entry.name.endswith(".tmp") and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)

    def open(self, name: str) -> BinaryIO:
        check_name(name)
        try:
            return open(self.root / name, "rb")  # noqa: SIM115 - the caller closes it
        except FileNotFoundError as exc:
            raise BlobNotFound(f"[{name}] not found in [{self.root}]") from exc
        except OSError as exc:
            raise RepositoryError(f"cannot read [{name}] from [{self.root}]: {exc.strerror}") from exc

    def list(self, prefix: str = "") -> list[BlobInfo]:
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise RepositoryError(f"cannot list [{self.root}]: {exc.strerror}") from exc
        out = []
        for e in entries:
            if e.name.startswith(".") or not e.name.startswith(prefix) or not e.is_file(follow_symlinks=False):
                continue
            st = e.stat()
            out.append(BlobInfo(e.name, st.st_size, st.st_mtime))
        return sorted(out, key=lambda b: b.name)

    def delete(self, name: str) -> bool:
        check_name(name)
        try:
            (self.root / name).unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise RepositoryError(f"cannot delete [{name}] from [{self.root}]: {exc.strerror}") from exc
        _fsync_dir(self.root)
        return True

    def describe(self) -> str:
        return f"fs:{self.root}"


def _fsync_dir(path: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
