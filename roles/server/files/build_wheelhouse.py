"""Build the raftops wheelhouse on the controller, once per content hash (used by roles/server).

The wheelhouse holds the raftops wheel and a wheel of every dependency for the hosts' Python
version and architecture, so hosts install with ``pip install --no-index --find-links`` and need
no package index. Its name is a hash of the source tree and the target, so an unchanged source
is never rebuilt and concurrent runs never see a half-written directory (build in a temporary
directory, then rename).

Prints one JSON object: {"changed": bool, "hash": str, "archive": str}.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# Bump when the layout of the wheelhouse changes, so old caches are not reused.
FORMAT = "1"
# Wheelhouses kept in the cache: the one just built or reused plus the most recent others.
KEEP = 3
SKIP_DIRS = {"__pycache__", "build", "dist", ".pytest_cache", ".ruff_cache", "tests"}


def source_files(source: Path) -> list[Path]:
    files = [source / "pyproject.toml"]
    files += [p for p in (source / "README.md", source / "LICENSE") if p.is_file()]
    for dirpath, dirnames, filenames in os.walk(source / "src"):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        files += [Path(dirpath) / f for f in sorted(filenames) if not f.endswith((".pyc", ".pyo"))]
    return files


def content_hash(source: Path, target: str) -> str:
    digest = hashlib.sha256(f"format={FORMAT}\ntarget={target}\n".encode())
    for path in source_files(source):
        digest.update(str(path.relative_to(source)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"build_wheelhouse: {' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")


def build(source: Path, dest: Path, python_version: str, arch: str) -> None:
    # raftops itself from source, then every dependency as a binary wheel for the hosts' Python and
    # architecture (not the controller's), so a controller on another Python still builds a usable set.
    pip("wheel", "--no-deps", "-w", str(dest), str(source))
    (wheel,) = dest.glob("raftops-*.whl")
    abi = "cp" + python_version.replace(".", "")
    platforms = [f"manylinux2014_{arch}"] + [f"manylinux_2_{minor}_{arch}" for minor in (17, 24, 28, 31, 34)]
    pip(
        "download",
        "-d",
        str(dest),
        "--only-binary=:all:",
        "--python-version",
        python_version,
        "--implementation",
        "cp",
        "--abi",
        abi,
        "--abi",
        "abi3",
        "--abi",
        "none",
        *[arg for p in platforms for arg in ("--platform", p)],
        str(wheel),
    )


def prune(cache: Path, current: Path) -> None:
    """Remove all but the KEEP most recently used wheelhouses (the current one always stays)."""
    others = sorted(
        (p for p in cache.glob("raftops-wheelhouse-*.tar") if p != current),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in others[KEEP - 1 :]:
        old.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--source", required=True, help="the raftops project directory (with pyproject.toml)")
    parser.add_argument("--cache-dir", required=True, help="where wheelhouses are kept, one per hash")
    parser.add_argument("--python-version", required=True, help="the hosts' Python, e.g. 3.11")
    parser.add_argument("--arch", required=True, help="the hosts' architecture, e.g. x86_64")
    parser.add_argument("--prebuilt", default="", help="a directory of ready wheels to package instead")
    args = parser.parse_args()

    source = Path(args.source).expanduser().resolve()
    cache = Path(args.cache_dir).expanduser().resolve()
    target = f"cp{args.python_version}-{args.arch}"
    if args.prebuilt:
        prebuilt = Path(args.prebuilt).expanduser().resolve()
        if not any(prebuilt.glob("raftops-*.whl")):
            raise SystemExit(f"build_wheelhouse: {prebuilt} holds no raftops-*.whl")
        digest = hashlib.sha256(target.encode())
        for whl in sorted(prebuilt.glob("*.whl")):
            digest.update(whl.name.encode() + whl.read_bytes())
        key = digest.hexdigest()[:16]
    else:
        if not (source / "pyproject.toml").is_file():
            raise SystemExit(f"build_wheelhouse: {source} is not a Python project (no pyproject.toml)")
        key = content_hash(source, target)

    archive = cache / f"raftops-wheelhouse-{key}.tar"
    if archive.is_file():
        archive.touch()  # most recently used: pruning keeps it
        prune(cache, archive)
        print(json.dumps({"changed": False, "hash": key, "archive": str(archive)}))
        return 0

    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".build-") as tmp:
        wheels = Path(tmp) / "wheels"
        if args.prebuilt:
            shutil.copytree(prebuilt, wheels)
        else:
            wheels.mkdir()
            build(source, wheels, args.python_version, args.arch)
        (wheels / "wheelhouse.json").write_text(json.dumps({"hash": key, "target": target}) + "\n")
        partial = Path(tmp) / "wheelhouse.tar"
        with tarfile.open(partial, "w") as tar:
            for item in sorted(wheels.iterdir()):
                tar.add(item, arcname=item.name)
        os.replace(partial, archive)
    prune(cache, archive)
    print(json.dumps({"changed": True, "hash": key, "archive": str(archive)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
