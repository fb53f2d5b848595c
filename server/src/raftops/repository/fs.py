"""A repository in a directory (local disk or a shared mount on every agent host).

Files hold whole snapshots (every variable in clear, every ACL policy), so:

* **modes**: every blob and temporary file is created 0600, and every directory this module creates
  (the location and its missing parents, ``.tmp``) 0700, set with fchmod after creation so the
  process umask cannot widen them. A location directory that already existed keeps its mode.
* **no symbolic links**: blobs, temporaries and ``.tmp`` are opened relative to a directory file
  descriptor with ``O_NOFOLLOW``, so a symbolic link planted in the repository is never followed.
  When the repository is confined (``confine_to``: the agent's ``sm.path_repo``), every path
  component from the ``path.repo`` directory down to the location is opened the same way at every
  read, write, listing and delete: a component swapped for a symbolic link (or anything that is not
  a directory) is refused with a clear error instead of being followed outside ``path.repo``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from .base import BlobInfo, BlobNotFound, Repository, RepositoryError, check_name

TMP_DIR = ".tmp"
STALE_TMP_SECONDS = 24 * 3600
FILE_MODE = 0o600
DIR_MODE = 0o700
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_NOFOLLOW_DIR = _DIR_FLAGS | os.O_NOFOLLOW
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class SymlinkRefused(RepositoryError):
    """A path component that must be a real directory (or file) is a symbolic link."""


def _split_under(location: str, roots: Iterable[str]) -> tuple[str, list[str]] | None:
    """(root, components of ``location`` below it) for the first root that lexically contains it."""
    norm = os.path.normpath(location)
    for root in roots:
        r = os.path.normpath(root)
        if norm == r:
            return r, []
        prefix = r.rstrip("/") + "/"
        if norm.startswith(prefix):
            return r, norm[len(prefix) :].split("/")
    return None


class FsRepository(Repository):
    """Blobs are files in ``location``; writes go to ``location/.tmp``, are fsynced and renamed in.

    A crash mid-write leaves only a temporary file, which listings never show and the next write of
    the same process cleans when it is older than a day.

    ``confine_to``: directories (``path.repo``) the location must lie under, reached without following
    a symbolic link below them; given as (configured path, real path) pairs or plain paths.
    """

    def __init__(self, location: str | os.PathLike, *, confine_to: Iterable[str] | None = None):
        text = os.fspath(location)
        if "\x00" in text:
            raise RepositoryError(f"location [{text!r}] must not contain a NUL character")
        self.root = Path(text)
        if not self.root.is_absolute():
            raise RepositoryError(f"location [{location}] must be an absolute path")
        self._base: str = "/"
        self._parts: list[str] = [p for p in os.path.normpath(text).split("/") if p]
        self._confined = False
        if confine_to is not None:
            roots = [r for r in confine_to if r]
            found = _split_under(text, roots)
            if found is None:
                raise RepositoryError(
                    f"location [{location}] is not under any of the path.repo directories [{', '.join(roots)}] "
                    "(symbolic links are not followed below them)"
                )
            self._base, self._parts = found
            self._confined = True

    # -- directory descriptors ---------------------------------------------------------------------
    def _open_child_dir(self, parent: int, name: str, *, create: bool, where: str) -> int:
        """``name`` under the directory ``parent`` without following a link; created 0700 when missing."""
        try:
            return os.open(name, _NOFOLLOW_DIR, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                raise
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                raise self._not_a_directory(parent, name, where) from None
            raise
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, DIR_MODE, dir_fd=parent)
        try:
            fd = os.open(name, _NOFOLLOW_DIR, dir_fd=parent)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                raise self._not_a_directory(parent, name, where) from None
            raise
        os.fchmod(fd, DIR_MODE)  # the umask may have narrowed or (0o000 aside) it is exact already
        return fd

    def _not_a_directory(self, parent: int, name: str, where: str) -> RepositoryError:
        try:
            st = os.stat(name, dir_fd=parent, follow_symlinks=False)
        except OSError:
            st = None
        if st is not None and stat.S_ISLNK(st.st_mode):
            scope = "under path.repo " if self._confined else ""
            return SymlinkRefused(f"refusing to follow the symbolic link [{where}] {scope}in repository [{self.root}]")
        return RepositoryError(f"[{where}] in repository [{self.root}] is not a directory")

    def _location_fd(self, *, create: bool) -> int:
        """A descriptor of the location directory, reached component by component."""
        try:
            fd = os.open(self._base, _DIR_FLAGS)  # path.repo itself (or /) is the operator's: followed
        except OSError as exc:
            raise RepositoryError(f"cannot open [{self._base}]: {exc.strerror}") from exc
        where = self._base.rstrip("/")
        try:
            for part in self._parts:
                where = f"{where}/{part}"
                if self._confined:
                    child = self._open_child_dir(fd, part, create=create, where=where)
                else:
                    # Unconfined: the operator's own path; links above the location are followed, and
                    # only the components this module creates are made 0700.
                    try:
                        child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                    except FileNotFoundError:
                        if not create:
                            raise
                        child = self._open_child_dir(fd, part, create=True, where=where)
                os.close(fd)
                fd = child
        except FileNotFoundError:
            os.close(fd)
            raise
        except RepositoryError:
            os.close(fd)
            raise
        except OSError as exc:
            os.close(fd)
            raise RepositoryError(f"cannot open repository directory [{where}]: {exc.strerror}") from exc
        return fd

    @contextlib.contextmanager
    def _location(self, *, create: bool) -> Iterator[int | None]:
        """The location's descriptor; None when it does not exist and ``create`` is False."""
        try:
            fd = self._location_fd(create=create)
        except FileNotFoundError:
            if create:
                raise RepositoryError(f"cannot create repository directory [{self.root}]") from None
            yield None
            return
        try:
            yield fd
        finally:
            os.close(fd)

    # -- operations ----------------------------------------------------------------------------------
    def put(self, name: str, chunks: Iterable[bytes]) -> BlobInfo:
        check_name(name)
        with self._location(create=True) as loc:
            assert loc is not None
            try:
                tmp_dir = self._open_child_dir(loc, TMP_DIR, create=True, where=f"{self.root}/{TMP_DIR}")
            except OSError as exc:
                raise RepositoryError(f"cannot create repository directory [{self.root}]: {exc.strerror}") from exc
            try:
                self._clean_stale_temporaries(tmp_dir)
                tmp = f"{name}.{uuid.uuid4().hex}.tmp"
                try:
                    fd = os.open(tmp, _NEW_FILE, FILE_MODE, dir_fd=tmp_dir)
                    try:
                        os.fchmod(fd, FILE_MODE)
                        with os.fdopen(fd, "wb", closefd=False) as f:
                            for chunk in chunks:
                                f.write(chunk)
                            f.flush()
                            os.fsync(f.fileno())
                    finally:
                        os.close(fd)
                    os.rename(tmp, name, src_dir_fd=tmp_dir, dst_dir_fd=loc)
                    os.fsync(loc)
                except OSError as exc:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp, dir_fd=tmp_dir)
                    raise RepositoryError(f"cannot write [{name}] to [{self.root}]: {exc.strerror or exc}") from exc
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp, dir_fd=tmp_dir)
                    raise
            finally:
                os.close(tmp_dir)
            st = os.stat(name, dir_fd=loc, follow_symlinks=False)
            return BlobInfo(name, st.st_size, st.st_mtime)

    @staticmethod
    def _clean_stale_temporaries(tmp_dir: int) -> None:
        # A writer that crashed left its temporary file; one a day old is no live write.
        cutoff = time.time() - STALE_TMP_SECONDS
        with os.scandir(tmp_dir) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.name.endswith(".tmp") and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        os.unlink(entry.name, dir_fd=tmp_dir)

    def open(self, name: str) -> BinaryIO:
        check_name(name)
        with self._location(create=False) as loc:
            if loc is None:
                raise BlobNotFound(f"[{name}] not found in [{self.root}]")
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=loc)
            except FileNotFoundError as exc:
                raise BlobNotFound(f"[{name}] not found in [{self.root}]") from exc
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise SymlinkRefused(
                        f"refusing to follow the symbolic link [{self.root}/{name}] in repository [{self.root}]"
                    ) from None
                raise RepositoryError(f"cannot read [{name}] from [{self.root}]: {exc.strerror}") from exc
            return os.fdopen(fd, "rb")

    def list(self, prefix: str = "") -> list[BlobInfo]:
        with self._location(create=False) as loc:
            if loc is None:
                return []
            out = []
            try:
                with os.scandir(loc) as entries:
                    for e in entries:
                        hidden = e.name.startswith(".") or not e.name.startswith(prefix)
                        if hidden or not e.is_file(follow_symlinks=False):
                            continue
                        st = e.stat(follow_symlinks=False)
                        out.append(BlobInfo(e.name, st.st_size, st.st_mtime))
            except OSError as exc:
                raise RepositoryError(f"cannot list [{self.root}]: {exc.strerror}") from exc
            return sorted(out, key=lambda b: b.name)

    def delete(self, name: str) -> bool:
        check_name(name)
        with self._location(create=False) as loc:
            if loc is None:
                return False
            try:
                os.unlink(name, dir_fd=loc)
            except FileNotFoundError:
                return False
            except OSError as exc:
                raise RepositoryError(f"cannot delete [{name}] from [{self.root}]: {exc.strerror}") from exc
            os.fsync(loc)
            return True

    def describe(self) -> str:
        return f"fs:{self.root}"
