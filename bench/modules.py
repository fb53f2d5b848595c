"""Module requests: an idempotent play of every module, its HTTP requests counted server-side, beside ``uri``.

Starts its own 3-server LocalCluster on free loopback addresses (ACLs on, a license key), a backup sidecar, and runs:

1. the **module play**: one task per module of the collection (every module that exists in plugins/modules), each
   stating a desired state, once to converge and then ``--runs`` more times, measured;
2. the **uri play**: the same operations written with ``ansible.builtin.uri`` the plain way (a GET for a read; for a
   write, the upsert the API offers, sent every run, or the read it needs first), converged once, then measured.

A callback plugin (written to a temp dir) reads the agent's Prometheus counter ``raftops_http_requests_total`` (by
route and method, without ``/v1/metrics`` itself) before and after every task and times it, so the request counts are
what the server saw. Modules talk to the first agent; the sidecar talks to the last one and is not counted (the
backup modules' sidecar requests are listed separately, by design). The goal for an unchanged object is one read and
no write. Prints a table with ratios; ``--record`` replaces the "Module requests" section of docs/performance.md.

Usage: ``.venv/bin/python bench/modules.py [--runs N] [--record]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import yaml  # noqa: E402
from common import free_hosts, table, wait  # noqa: E402
from raftops.api.operator_config import AUTOPILOT_DEFAULTS, SCHEDULER_DEFAULTS  # noqa: E402
from raftops.localcluster import LocalCluster  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PERFORMANCE = ROOT / "docs" / "performance.md"
SECTION = "## Module requests"

# Sidecar requests of the backup modules (the sidecar has no request counter): HEAD /v1/backup then
# GET /v1/backupnow for backup, GET /v1/status then HEAD /v1/backup for backup_info; uri sends one and two.
SIDECAR_REQUESTS = {"backup": (2, 1), "backup_info": (2, 2)}

CALLBACK = '''
from __future__ import annotations

import json
import os
import time
import urllib.request

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: request_meter
type: aggregate
short_description: time each task and count the agent's HTTP requests around it
description: [bench/modules.py]
"""


def _counters(url):
    text = urllib.request.urlopen(url + "/v1/metrics?format=prometheus", timeout=10).read().decode()
    out = {}
    for line in text.splitlines():
        if not line.startswith("raftops_http_requests_total{"):
            continue
        labels, value = line[len("raftops_http_requests_total{"):].rsplit("} ", 1)
        fields = dict(part.split("=", 1) for part in labels.split('",') if "=" in part)
        fields = {k: v.strip('"') for k, v in fields.items()}
        if fields.get("route") == "/v1/metrics":
            continue
        key = " ".join((fields.get("method", ""), fields.get("route", ""), fields.get("code", "")))
        out[key] = out.get(key, 0) + int(float(value))
    return out


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "request_meter"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._url = os.environ["BENCH_AGENT_URL"]
        self._out = os.environ["BENCH_RESULTS"]
        self._task = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task = (task.get_name(), _counters(self._url), time.monotonic())

    def _done(self, result, status):
        name, before, started = self._task
        elapsed = time.monotonic() - started
        after = _counters(self._url)
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}
        with open(self._out, "a") as out:
            out.write(json.dumps({"task": name, "seconds": elapsed, "requests": delta, "status": status,
                                  "changed": bool(result._result.get("changed"))}) + "\\n")

    def v2_runner_on_ok(self, result):
        self._done(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._done(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._done(result, "skipped")
'''


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def http_json(method: str, url: str, token: str = "", body: object = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"X-Nomad-Token": token})
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def uri(
    name: str,
    url: str,
    method: str = "GET",
    body: object = None,
    status: list[int] | None = None,
    register: str | None = None,
    **extra,
) -> dict:
    """An ansible.builtin.uri task with the token; ``extra`` are more uri options (dest, creates)."""
    args = {"url": url, "method": method, "headers": {"X-Nomad-Token": "{{ token }}"}, "status_code": status or [200]}
    if body is not None:
        args["body_format"] = "json" if not isinstance(body, str) else "raw"
        args["body"] = body
    args.update(extra)
    task = {"name": name, "ansible.builtin.uri": args}
    if register:
        task["register"] = register
    return task


def scenarios(api: str, sidecar: str, work: Path, leader: str, license_blob: str) -> list[dict]:
    """One entry per module: the module task, and the uri tasks that do the same the plain way."""
    policy = {
        "description": "bench",
        "creation": {"schedule": {"cron": {"expression": "0 2 * * *", "timezone": "UTC"}}, "time_limit": "1h"},
        "deletion": {"condition": {"max_age": "7d", "min_count": 2}},
        "snapshot_config": {"repository": "bench-repo"},
    }
    # The whole objects a plain PUT sends: the defaults with the one setting the module task states.
    autopilot = dict(AUTOPILOT_DEFAULTS, MaxTrailingLogs=300)
    scheduler = dict(SCHEDULER_DEFAULTS, SchedulerAlgorithm="spread")
    channel = {
        "name": "bench",
        "description": "",
        "config_type": "webhook",
        "is_enabled": True,
        "webhook": {"url": "http://127.0.0.1:9/bench", "header_params": {}, "method": "POST"},
    }
    archive = str(work / "bench.snap")
    seq = "{{ current.json._seq_no }}"
    term = "{{ current.json._primary_term }}"
    return [
        {
            "module": "status_info",
            "args": {},
            "uri": [
                uri("leader", api + "/v1/status/leader"),
                uri("peers", api + "/v1/status/peers"),
                uri("self", api + "/v1/agent/self"),
            ],
        },
        {"module": "raft_info", "args": {}, "uri": [uri("configuration", api + "/v1/operator/raft/configuration")]},
        {
            "module": "raft_peer",
            "args": {"state": "absent", "address": "127.0.0.250:2380"},
            "uri": [
                uri("remove", api + "/v1/operator/raft/peer?address=127.0.0.250:2380", "DELETE", status=[200, 404, 500])
            ],
        },
        {
            "module": "raft_leader",
            "args": {"node": leader},
            "uri": [uri("transfer", api + "/v1/operator/raft/transfer-leadership?address={{ leader_address }}", "PUT")],
        },
        {
            "module": "autopilot_config",
            "args": {"cleanup_dead_servers": True, "max_trailing_logs": 300},
            "uri": [uri("put", api + "/v1/operator/autopilot/configuration", "PUT", autopilot)],
        },
        {
            "module": "autopilot_config_info",
            "args": {},
            "uri": [uri("get", api + "/v1/operator/autopilot/configuration")],
        },
        {
            "module": "autopilot_health_info",
            "args": {},
            "uri": [uri("get", api + "/v1/operator/autopilot/health", status=[200, 429])],
        },
        {
            "module": "scheduler_config",
            "args": {"scheduler_algorithm": "spread"},
            "uri": [uri("put", api + "/v1/operator/scheduler/configuration", "PUT", scheduler)],
        },
        {
            "module": "scheduler_config_info",
            "args": {},
            "uri": [uri("get", api + "/v1/operator/scheduler/configuration")],
        },
        {
            "module": "license",
            "args": {"license": license_blob},
            "uri": [uri("put", api + "/v1/operator/license", "PUT", license_blob)],
        },
        {"module": "license_info", "args": {}, "uri": [uri("get", api + "/v1/operator/license")]},
        {
            "module": "variable",
            "args": {"path": "bench/app", "items": {"user": "app"}},
            "uri": [uri("put", api + "/v1/var/bench/app", "PUT", {"Items": {"user": "app"}})],
        },
        {
            "module": "acl_bootstrap",
            "args": {},
            "uri": [uri("bootstrap", api + "/v1/acl/bootstrap", "POST", status=[200, 400])],
        },
        {
            "module": "acl_policy",
            "args": {"name": "bench-ops", "rules": 'operator { policy = "read" }'},
            "uri": [
                uri(
                    "put",
                    api + "/v1/acl/policy/bench-ops",
                    "POST",
                    {"Name": "bench-ops", "Rules": 'operator { policy = "read" }'},
                )
            ],
        },
        {
            "module": "acl_token",
            "args": {"name": "bench-token", "type": "client", "policies": ["bench-ops"]},
            "uri": [
                uri("list", api + "/v1/acl/tokens", register="tokens"),
                dict(
                    uri(
                        "create",
                        api + "/v1/acl/token",
                        "POST",
                        {"Name": "bench-token", "Type": "client", "Policies": ["bench-ops"]},
                    ),
                    when="tokens.json | selectattr('Name', 'equalto', 'bench-token') | list | length == 0",
                ),
            ],
        },
        {
            "module": "snapshot_repository",
            "args": {"name": "bench-repo", "type": "fs", "settings": {"location": str(work / "repo")}},
            "uri": [
                uri(
                    "put",
                    api + "/_snapshot/bench-repo",
                    "PUT",
                    {"type": "fs", "settings": {"location": str(work / "repo")}},
                )
            ],
        },
        {
            "module": "notification_channel",
            "args": {"id": "bench-hook", "name": "bench", "webhook_url": "http://127.0.0.1:9/bench"},
            "uri": [uri("put", api + "/_plugins/_notifications/configs/bench-hook", "PUT", {"config": channel})],
        },
        {
            "module": "sm_policy",
            "args": dict(policy, name="bench-nightly"),
            "uri": [
                uri("get", api + "/_plugins/_sm/policies/bench-nightly", register="current"),
                uri(
                    "put",
                    api + "/_plugins/_sm/policies/bench-nightly?if_seq_no=" + seq + "&if_primary_term=" + term,
                    "PUT",
                    policy,
                ),
            ],
        },
        {
            "module": "sm_policy_info",
            "args": {"name": "bench-nightly"},
            "uri": [uri("get", api + "/_plugins/_sm/policies/bench-nightly")],
        },
        {
            "module": "snapshot",
            "args": {"path": archive, "overwrite": False},
            "uri": [uri("save", api + "/v1/operator/snapshot", dest=archive, creates=archive)],
        },
        {"module": "snapshot_info", "args": {"path": archive}, "uri": []},
        {"module": "backup", "args": {"sidecar_url": sidecar}, "uri": [uri("backupnow", sidecar + "/v1/backupnow")]},
        {
            "module": "backup_info",
            "args": {"sidecar_url": sidecar},
            "uri": [uri("status", sidecar + "/v1/status"), uri("latest", sidecar + "/v1/backup", "HEAD")],
        },
    ]


def playbooks(entries: list[dict], api: str, token: str, leader_address: str) -> tuple[list, list]:
    base = {"hosts": "localhost", "gather_facts": False, "vars": {"token": token, "leader_address": leader_address}}
    module_play = dict(
        base,
        name="modules",
        module_defaults={"group/raftops.cluster.raftops": {"url": api, "token": token}},
        tasks=[{"name": e["module"], "raftops.cluster." + e["module"]: e["args"]} for e in entries],
    )
    uri_tasks = []
    for e in entries:
        for task in e["uri"]:
            uri_tasks.append(dict(task, name=e["module"] + " | " + task["name"]))
    return [module_play], [dict(base, name="uri", tasks=uri_tasks)]


def run_play(play: list, path: Path, env: dict, results: Path) -> list[dict]:
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    results.unlink(missing_ok=True)
    subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(path)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return [json.loads(line) for line in results.read_text().splitlines()]


def summarise(rows: list[list[dict]]) -> dict[str, dict]:
    """Per module: median seconds over the runs, the requests of the last run, changed in any run."""
    out: dict[str, dict] = {}
    for run in rows:
        per_module: dict[str, dict] = {}
        for row in run:
            module = row["task"].split(" | ")[0]
            entry = per_module.setdefault(module, {"seconds": 0.0, "requests": {}, "changed": False, "status": "ok"})
            entry["seconds"] += row["seconds"]
            for key, count in row["requests"].items():
                entry["requests"][key] = entry["requests"].get(key, 0) + count
            entry["changed"] |= row["changed"]
            if row["status"] == "failed":
                entry["status"] = "failed"
        for module, entry in per_module.items():
            agg = out.setdefault(
                module, {"seconds": [], "requests": entry["requests"], "changed": False, "status": "ok"}
            )
            agg["seconds"].append(entry["seconds"])
            agg["requests"] = entry["requests"]
            agg["changed"] |= entry["changed"]
            if entry["status"] == "failed":
                agg["status"] = "failed"
    for entry in out.values():
        entry["seconds"] = statistics.median(entry["seconds"])
    return out


def reads_writes(requests: dict[str, int]) -> tuple[int, int, int]:
    """(reads, writes the server accepted, writes it refused) of a task's requests ("METHOD route code" keys)."""
    reads = writes = refused = 0
    for key, count in requests.items():
        method, code = key.split(" ", 1)[0], key.rsplit(" ", 1)[-1]
        if method in ("GET", "HEAD"):
            reads += count
        elif code.isdigit() and int(code) >= 400:
            refused += count
        else:
            writes += count
    return reads, writes, refused


def describe(reads: int, writes: int, refused: int, sidecar: int | None) -> str:
    text = f"{reads}/{writes}"
    if refused:
        text += f" (+{refused} refused)"
    if sidecar:
        text += f" (+{sidecar} sidecar)"
    return text


def goal_met(reads: int, writes: int, changed: bool) -> str:
    """The goal for an unchanged object: one read and no write ("no write": more reads, but nothing written)."""
    if writes or changed:
        return "NO"
    return "yes" if reads <= 1 else "no write"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def report(entries: list[dict], modules: dict, uris: dict, runs: int) -> str:
    rows = [("module", "requests (reads/writes)", "goal", "uri requests", "module ms", "uri ms", "time ratio")]
    for e in entries:
        name = e["module"]
        m = modules[name]
        u = uris.get(name)
        m_reads, m_writes, m_refused = reads_writes(m["requests"])
        sidecar = SIDECAR_REQUESTS.get(name, (None, None))
        m_text = describe(m_reads, m_writes, m_refused, sidecar[0])
        goal = goal_met(m_reads, m_writes, m["changed"])
        if u is None:
            u_text, u_ms = "- (offline, no uri equivalent)", "-"
        else:
            u_text = describe(*reads_writes(u["requests"]), sidecar[1])
            u_ms = f"{u['seconds'] * 1000:.0f}"
        rows.append(
            (
                name,
                m_text + ("" if m["status"] == "ok" else " FAILED"),
                goal,
                u_text,
                f"{m['seconds'] * 1000:.0f}",
                u_ms,
                ratio(m["seconds"], u["seconds"]) if u else "-",
            )
        )
    total_m = sum(modules[e["module"]]["seconds"] for e in entries if e["module"] in uris)
    total_u = sum(uris[e["module"]]["seconds"] for e in entries if e["module"] in uris)
    rows.append(
        (
            "total (modules with a uri equivalent)",
            "",
            "",
            "",
            f"{total_m * 1000:.0f}",
            f"{total_u * 1000:.0f}",
            ratio(total_m, total_u),
        )
    )
    return table(rows) + f"\n\n(median of {runs} measured runs after one converging run; requests of the last run)"


def record(text: str, command: str) -> None:
    body = (
        f"{SECTION}\n\n"
        "`bench/modules.py` (part of `make bench`): an idempotent play of every module against its own local 3-server "
        "cluster (ACLs on) and backup sidecar, converged once and then measured; the same operations written with "
        "`ansible.builtin.uri` the plain way (a GET for a read; for a write the upsert the API offers, sent every "
        "run, or the read it needs first) as the baseline. Requests are counted server-side from the agent's "
        "`raftops_http_requests_total` (route and method) before and after each task by a callback plugin; reads "
        "are GET/HEAD. Goal for an unchanged object: one read and no write. Times are the task's wall time as "
        "Ansible runs it (module transfer and start included), on the shared 2-vCPU machine.\n\n"
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}. Command: "
        f"`{command}`.\n\n{text}\n\n"
        "Reading it: the request counts are exact and repeat run after run; the times are not. Each task's time is "
        "mostly Ansible starting the module (1-3 s on this shared, loaded machine, against a few milliseconds per "
        "request), so the ratios scatter around 1x from run to run and say little beyond that a module costs about "
        "what a uri task costs. What the modules save is writes: on an unchanged object every writing module "
        "made one read and no write, where each upsert of the uri play was written again on every run (a new "
        "`ModifyIndex`, `_seq_no` or `_version` each run, a repository's storage probed again, an SM policy's job "
        "schedule restarted). "
        "`status_info` reads three endpoints by design; `acl_bootstrap` can only learn that ACLs are bootstrapped "
        "by trying (the server refuses, nothing is written); `snapshot` with `overwrite: false` and "
        "`snapshot_info` send nothing; the backup modules talk to the sidecar only.\n"
    )
    current = PERFORMANCE.read_text() if PERFORMANCE.exists() else "# Performance\n"
    if SECTION in current:
        start = current.index(SECTION)
        rest = current[start + len(SECTION) :]
        end = rest.find("\n## ")
        current = current[:start] + body + (rest[end + 1 :] if end != -1 else "")
    else:
        current = current.rstrip("\n") + "\n\n" + body
    PERFORMANCE.write_text(current)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="measured runs of each play (default 3)")
    parser.add_argument("--record", action="store_true", help="write the table into docs/performance.md")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    hosts = free_hosts((41, 42, 43))
    work = Path(tempfile.mkdtemp(prefix="raftops-bench-modules-"))
    sidecar_proc = None
    cluster = None
    try:
        raftops = str(VENV_BIN / "raftops")
        subprocess.run(
            [
                raftops,
                "license",
                "keygen",
                "-private-key",
                str(work / "license.key"),
                "-public-key",
                str(work / "license.pub"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        cluster = LocalCluster(
            work / "cluster", hosts, agent_config={"acl_enabled": True, "license_public_key": str(work / "license.pub")}
        )
        api = cluster.up(timeout=120)[0]
        token = http_json("POST", api + "/v1/acl/bootstrap")["SecretID"]
        license_blob = subprocess.run(
            [
                raftops,
                "license",
                "sign",
                "-private-key",
                str(work / "license.key"),
                "-customer-id",
                "bench",
                "-expires-in",
                "24h",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        servers = http_json("GET", api + "/v1/operator/raft/configuration", token)["Servers"]
        leader = next(s for s in servers if s["Leader"])

        port = free_port(hosts[0])
        sidecar = f"http://{hosts[0]}:{port}"
        (work / "backups").mkdir()
        with open(work / "sidecar.log", "wb") as log:
            sidecar_proc = subprocess.Popen(
                [
                    raftops,
                    "backup-sidecar",
                    "-addr",
                    ",".join(reversed(cluster.api_addresses)),
                    "-bind",
                    hosts[0],
                    "-port",
                    str(port),
                    "-interval",
                    "86400",
                    "-dir",
                    str(work / "backups"),
                ],
                env=dict(os.environ, RAFTOPS_TOKEN=token),
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
            )
        wait(lambda: urllib.request.urlopen(sidecar + "/v1/status", timeout=2).status == 200, 60, 0.5, "the sidecar")

        collections = work / "collections" / "ansible_collections" / "raftops"
        collections.mkdir(parents=True)
        (collections / "cluster").symlink_to(ROOT)
        callbacks = work / "callbacks"
        callbacks.mkdir()
        (callbacks / "request_meter.py").write_text(CALLBACK)
        results = work / "results.jsonl"
        env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=str(work / "collections"),
            ANSIBLE_CALLBACK_PLUGINS=str(callbacks),
            ANSIBLE_CALLBACKS_ENABLED="request_meter",
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
            ANSIBLE_PYTHON_INTERPRETER=str(VENV_BIN / "python"),
            BENCH_AGENT_URL=api,
            BENCH_RESULTS=str(results),
        )
        existing = {p.stem for p in (ROOT / "plugins" / "modules").glob("*.py")}
        entries = [e for e in scenarios(api, sidecar, work, leader["Node"], license_blob) if e["module"] in existing]
        missing = sorted(existing - {e["module"] for e in entries})
        module_play, uri_play = playbooks(entries, api, token, leader["Address"])

        started = time.monotonic()
        run_play(module_play, work / "modules.yml", env, results)  # converge
        module_runs = [run_play(module_play, work / "modules.yml", env, results) for _ in range(args.runs)]
        run_play(uri_play, work / "uri.yml", env, results)
        uri_runs = [run_play(uri_play, work / "uri.yml", env, results) for _ in range(args.runs)]
        elapsed = time.monotonic() - started

        text = report(entries, summarise(module_runs), summarise(uri_runs), args.runs)
        if missing:
            text += "\n\nModules without a scenario here (not measured): " + ", ".join(missing)
        print(text)
        print(f"\n(plays took {elapsed:.0f} s)")
        if args.record:
            record(text, "python bench/modules.py" + (f" --runs {args.runs}" if args.runs != 3 else ""))
            print(f"recorded in {PERFORMANCE.relative_to(ROOT)}")
        return 0
    finally:
        if sidecar_proc is not None:
            sidecar_proc.terminate()
            try:
                sidecar_proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                sidecar_proc.kill()
                sidecar_proc.wait(timeout=5)
        if cluster is not None:
            cluster.down()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
