"""``raftops operator snapshot save | restore | inspect``, like ``nomad operator snapshot``.

``save`` streams the archive into a temp file beside the destination, checks the Digest header
and the archive itself, fsyncs, and only then links it into place (never over an existing file).
``inspect`` verifies a file offline (every hash, the schema, state.bin) and prints its metadata.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sys
import tempfile
import time
from typing import Any

from ..apiclient import APIClient, APIError
from ..snapshot import archive
from . import add_client_flags

PATH = "/v1/operator/snapshot"
TIMEOUT = 600.0  # the server builds the whole archive before the first byte, and restores before answering
CHUNK = 256 * 1024


def format_list(rows: list[tuple[str, str]]) -> str:
    """Nomad's formatList (columnize, "|" delimiter, two-space glue, ``<none>`` for empty)."""
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v or '<none>'}" for k, v in rows)


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(args: argparse.Namespace) -> int:
    now = time.localtime()
    path = args.file or f"raftops-state-{now.tm_year:04d}{now.tm_mon:02d}{now.tm_mday:02d}-{int(time.time())}.snap"
    if os.path.lexists(path):
        print(f"Error: Destination file already exists: {json.dumps(path)}", file=sys.stderr)
        return 1
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")  # mode 0600
    try:
        try:
            resp = APIClient(args.address, args.token, timeout=TIMEOUT).stream(
                "GET", PATH, query={"stale": "true" if args.stale else None}
            )
        except APIError as exc:
            print(f"Failed to get snapshot file: {exc}", file=sys.stderr)
            return 1
        sha = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as out:
                fd = -1
                for chunk in resp.stream(CHUNK):
                    sha.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            print(f"Failed to download snapshot file: {exc}", file=sys.stderr)
            return 1
        finally:
            resp.release_conn()
        try:
            archive.check_digest(resp.headers.get("Digest", ""), sha.digest())
            with archive.verify_file(tmp):
                pass
        except archive.ArchiveError as exc:
            print(f"Failed to download snapshot file: {exc}", file=sys.stderr)
            return 1
        try:
            os.link(tmp, path)  # unlike rename, never replaces a file that appeared meanwhile
        except FileExistsError:
            print(f"Error: Destination file already exists: {json.dumps(path)}", file=sys.stderr)
            return 1
        _fsync_dir(directory)
    finally:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    print(f"State file written to {path}")
    return 0


def restore(args: argparse.Namespace) -> int:
    try:
        f = open(args.file, "rb")  # noqa: SIM115 - handed to the request as its body
    except OSError as exc:
        print(f"Error opening snapshot file: {exc}", file=sys.stderr)
        return 1
    with f:
        sha = hashlib.sha256()
        for chunk in archive.file_chunks(f, CHUNK):
            sha.update(chunk)
        size = f.tell()
        f.seek(0)
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Length": str(size),
            "Digest": archive.digest_header(sha.digest()),  # lets the server check the transfer
        }
        body: Any = f  # urllib3 streams a file body in blocks; raw_body is typed for bytes
        try:
            APIClient(args.address, args.token, timeout=TIMEOUT).request("PUT", PATH, raw_body=body, headers=headers)
        except APIError as exc:
            print(f"Failed to get restore snapshot: {exc}", file=sys.stderr)
            return 1
    print("Snapshot Restored")
    return 0


def inspect(args: argparse.Namespace) -> int:
    try:
        verified = archive.verify_file(args.file)
    except OSError as exc:
        print(f"Error opening snapshot file: {exc}", file=sys.stderr)
        return 1
    except archive.ArchiveError as exc:
        print(f"Error verifying snapshot: {exc}", file=sys.stderr)
        return 1
    with verified:
        print(format_list(archive.summary(verified.meta)))
    return 0


def register(sub: argparse._SubParsersAction, operator_sub: argparse._SubParsersAction) -> None:
    snap = operator_sub.add_parser("snapshot", help="save, restore and inspect snapshots of the cluster state")
    snap_sub = snap.add_subparsers(dest="snapshot_command", required=True)

    p = snap_sub.add_parser("save", help="save a snapshot of the whole state to FILE")
    add_client_flags(p)
    p.add_argument("-stale", "--stale", action="store_true", help="let any server answer, even without a leader")
    p.add_argument("file", nargs="?", help="destination (default raftops-state-<date>-<unix>.snap)")
    p.set_defaults(func=save)

    p = snap_sub.add_parser("restore", help="replace the whole state by the snapshot in FILE")
    add_client_flags(p)
    p.add_argument("file")
    p.set_defaults(func=restore)

    p = snap_sub.add_parser("inspect", help="verify a snapshot file offline and print its metadata")
    p.add_argument("file")
    p.set_defaults(func=inspect)
