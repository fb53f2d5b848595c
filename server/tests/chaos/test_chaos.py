"""Faults under load on a real 3-server cluster: no acknowledged write lost, no stale CAS success,
every key's history linearizable, a snapshot restored mid-workload (docs/reliability.md)."""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile

from raftops.localcluster import LocalCluster

from .checker import check
from .history import CAS, OK, RESTORE, WRITE
from .workload import STATIC_PREFIX, Config, Workload, final_values, read_static


def dump(run, final, path: str) -> None:
    with open(path, "w") as f:
        for op in run.history.ops:
            f.write(json.dumps(dataclasses.asdict(op), default=str) + "\n")
        f.write(json.dumps({"final": final, "faults": run.faults, "snapshot": run.snapshot.get("saved")}) + "\n")


def test_faults_under_load_keep_every_acknowledged_write(local_cluster: LocalCluster) -> None:
    config = Config(seed=int(os.environ.get("RAFTOPS_CHAOS_SEED", "1")))
    run = Workload(local_cluster, config).execute()
    local_cluster.wait_ready(timeout=60)
    final, disagreements = final_values(local_cluster, config.key_names)
    report = check(run.history.ops, final)

    counts = run.history.counts()
    summary = (
        f"ops {counts}\nfaults {run.faults}\ntransfers {dict(run.transfers)}\n"
        f"snapshot {run.snapshot.get('saved')} restore {run.snapshot.get('restored')} "
        f"errors {run.snapshot.get('save_errors')} {run.snapshot.get('restore_errors')}\n{report.summary()}"
    )
    print(summary)
    if not report.valid or disagreements:
        path = os.path.join(tempfile.gettempdir(), f"raftops-chaos-history-{os.getpid()}.jsonl")
        dump(run, final, path)
        summary += f"\nhistory written to {path}"
    assert not run.errors, run.errors
    assert not disagreements, disagreements
    assert report.valid, summary

    # The run did what it claims: every fault type, writes acknowledged across them, a restore, transfers.
    kinds = {line.split()[0] for line in run.faults}
    assert kinds == {"etcd", "agent", "etcd-leader"}, run.faults
    assert counts.get(f"{WRITE}:{OK}", 0) >= 50 and counts.get(f"{CAS}:{OK}", 0) >= 10, counts
    assert counts.get(f"{RESTORE}:{OK}", 0) == config.keys, run.snapshot
    assert any(k.startswith("transfer 200") for k in run.transfers), run.transfers

    # The restore brought back the snapshot's view of keys the workload never touched.
    for i in range(3):
        assert read_static(local_cluster, f"{STATIC_PREFIX}m{i}") == f"static-{i}"
    assert read_static(local_cluster, f"{STATIC_PREFIX}after-save") is None

    # The same check rejects this very history once one acknowledged write is dropped from it.
    key, last = max(
        ((op.key, op) for op in run.history.ops if op.kind in (WRITE, CAS) and op.outcome == OK),
        key=lambda pair: pair[1].index,
    )
    older = [op for op in run.history.ops if op.key == key and op.outcome == OK and op.index and op.index < last.index]
    if final[key] == (last.value, last.index) and older:
        previous = max(older, key=lambda op: op.index)
        dropped = check(run.history.ops, {**final, key: (previous.value, previous.index)})
        assert not dropped.valid and any("acknowledged write lost" in p for p in dropped.problems)
