"""schemathesis against every documented endpoint of a running agent, ACLs off and on (docs/reliability.md).

Each run is the schemathesis CLI with our checks (st_hooks.py): no 5xx other than the ones upstream
defines, answers conform to the document (status, content type, schema), no hang (a per-request
timeout, and the whole run is bounded by a subprocess timeout), and with ACLs on, a bad or missing
token never gets data. The number of examples per operation is small to keep `make test` within a
few minutes; RAFTOPS_FUZZ_EXAMPLES raises it for a longer run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests

from .conftest import Target

SERVER_DIR = Path(__file__).resolve().parents[2]
CHECKS = "no_undefined_5xx,status_code_conformance,content_type_conformance,response_schema_conformance"
EXAMPLES = int(os.environ.get("RAFTOPS_FUZZ_EXAMPLES", "0"))  # 0: the per-run defaults below
RUN_TIMEOUT = 480  # the whole run; a single request that hangs fails it after 15 s


def schemathesis_run(target: Target, kind: str, token: str | None, examples: int, seed: int) -> subprocess.Popen:
    cli = Path(sys.executable).with_name("schemathesis")
    args = [
        str(cli),
        "run",
        f"{target.api}/v1/openapi.json",
        "--url",
        target.api,
        "--max-examples",
        str(EXAMPLES or examples),
        "--phases",
        "examples,fuzzing",
        "--checks",
        CHECKS + (",bad_token_gets_no_data" if kind in ("bad", "anonymous") else ""),
        "--request-timeout",
        "15",
        "--workers",
        "1",
        "--seed",
        str(seed),
        "--no-color",
        "--warnings",
        "off",
    ]
    if token is not None:
        args += ["--header", f"X-Nomad-Token: {token}"]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.fuzz.st_hooks",
        "PYTHONPATH": str(SERVER_DIR),
        "RAFTOPS_FUZZ_TOKEN_KIND": kind,
        "RAFTOPS_FUZZ_PLANTED": ",".join(target.planted),
    }
    # schemathesis keeps a cache in its working directory: not in the source tree.
    workdir = tempfile.mkdtemp(prefix=f"raftops-fuzz-{kind}-")
    proc = subprocess.Popen(args, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    proc.workdir = workdir  # removed by finish()
    return proc


def finish(procs: dict[str, subprocess.Popen]) -> dict[str, tuple[int, str]]:
    out = {}
    for kind, proc in procs.items():
        try:
            output, _ = proc.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
            output += f"\n(killed after {RUN_TIMEOUT}s: a hang)"
        shutil.rmtree(proc.workdir, ignore_errors=True)
        out[kind] = (proc.returncode, output)
    return out


def summary(output: str) -> str:
    lines = output.strip().splitlines()
    tail = [line for line in lines if "generated" in line or "passed" in line or "failure" in line]
    return " / ".join(tail[-3:])


def assert_clean(results: dict[str, tuple[int, str]]) -> None:
    for kind, (code, output) in results.items():
        print(f"schemathesis {kind}: exit {code}: {summary(output)}")
    failed = {kind: output[-6000:] for kind, (code, output) in results.items() if code != 0}
    assert not failed, "\n\n".join(f"== {kind}\n{out}" for kind, out in failed.items())


def test_fuzz_every_endpoint_with_acls_off_and_on(acl_off: Target, acl_on: Target) -> None:
    # The four runs go in parallel: much of each run's time is waiting for the server.
    procs = {
        "acl-off": schemathesis_run(acl_off, "open", None, examples=4, seed=11),
        "management": schemathesis_run(acl_on, "management", acl_on.management, examples=2, seed=12),
        "bad": schemathesis_run(acl_on, "bad", "00000000-1111-2222-3333-444444444444", examples=1, seed=13),
        "anonymous": schemathesis_run(acl_on, "anonymous", None, examples=1, seed=14),
    }
    assert_clean(finish(procs))


@pytest.mark.parametrize("token", ["", "not-a-uuid", "00000000-0000-0000-0000-000000000000", "Bearer x"])
def test_bad_tokens_get_no_protected_data(acl_on: Target, token: str) -> None:
    """The endpoints that hold data, asked directly with bad tokens (fuzzing picks paths at random)."""
    headers = {"X-Nomad-Token": token} if token else {}
    protected = [
        "/v1/var/planted/secret",
        "/v1/acl/tokens",
        "/v1/operator/snapshot",
        "/v1/operator/raft/configuration",
        "/v1/agent/self",
        "/v1/raftops/state",
    ]
    for path in protected:
        r = requests.get(f"{acl_on.api}{path}", headers=headers, timeout=15)
        assert r.status_code == 403, (path, r.status_code, r.text[:200])
    for path in ("/v1/vars", "/v1/acl/policies", "/v1/acl/token/self"):
        r = requests.get(f"{acl_on.api}{path}", headers=headers, timeout=15)
        assert r.status_code in (200, 403), (path, r.status_code)
        assert not any(secret in r.text for secret in acl_on.planted), (path, r.text[:300])
