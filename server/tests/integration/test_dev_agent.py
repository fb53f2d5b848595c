"""``raftops agent -dev``: its own etcd, answers quickly, leaves nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from raftops.etcdproc import free_port

from ..conftest import wait_for


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out.extend(int(c) for c in text)
    return out


def test_dev_agent_serves_and_cleans_up(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "raftops.cli", "agent", "-dev", "-http-port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        leader = {}

        def answers() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/status/leader", timeout=1) as r:
                    leader["value"] = json.loads(r.read())
                    return True
            except OSError:
                return False

        wait_for(answers, timeout=10, message="/v1/status/leader")
        assert time.monotonic() - started < 10
        host, _, peer_port = leader["value"].rpartition(":")
        assert host == "127.0.0.1" and peer_port.isdigit()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/status/peers", timeout=2) as r:
            assert json.loads(r.read()) == [leader["value"]]
        dirs = list(tmp_path.glob("raftops-dev-*"))
        assert len(dirs) == 1
        children = _children(proc.pid)
        assert children, "the dev agent runs its own etcd"
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=30)[0].decode()
    assert proc.returncode == 0, output
    assert not list(tmp_path.glob("raftops-dev-*")), "temporary directory left behind"
    for child in children:
        assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]


def test_dev_agent_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("no_such_setting: 1\n")
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    res = subprocess.run(
        [sys.executable, "-m", "raftops.cli", "agent", "-dev", "-config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert res.returncode == 2
    assert "unknown configuration keys: no_such_setting" in res.stderr
    assert not list(tmp_path.glob("raftops-dev-*"))
