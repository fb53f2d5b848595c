"""Snapshot save and restore against real etcd clusters: API, CLI, atomicity, rejection, clean-up."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import random
import tarfile
import threading
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import urllib3
from raftops.localcluster import LocalCluster
from raftops.snapshot import archive
from raftops.snapshot.statebin import StateRecord
from raftops.store import generations
from raftops.store.acl import ACLStore, token_hash
from raftops.store.etcd import Etcd
from raftops.store.generations import GENERATION_SEQ, RESTORES, RestoreError
from raftops.store.state import DATA, POINTER, StateStore, Write
from raftops.store.txn import op_put

from ..conftest import next_hosts, run_cli, wait_for

HTTP = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=120))
SNAPSHOT = "/v1/operator/snapshot"
BOOTSTRAP_SECRET = str(uuid.uuid4())


# -- helpers ---------------------------------------------------------------------------------------
def etcd_for(cluster: LocalCluster) -> Etcd:
    return Etcd([n.etcd.client_url for n in cluster.nodes], timeout=10.0)


def call(method: str, url: str, body: bytes | None = None, token: str = "", **headers: str) -> urllib3.BaseHTTPResponse:
    if token:
        headers["X-Nomad-Token"] = token
    return HTTP.request(method, url, body=body, headers=headers)


def save(api: str, token: str = "", query: str = "") -> bytes:
    resp = call("GET", f"{api}{SNAPSHOT}{query}", token=token)
    assert resp.status == 200, resp.data[:300]
    return resp.data


def restore(api: str, body: bytes, token: str = "", method: str = "PUT") -> tuple[int, str]:
    resp = call(method, f"{api}{SNAPSHOT}", body, token=token)
    return resp.status, resp.data.decode()


def dump(state: StateStore) -> dict[str, bytes]:
    _, _, items = state.iter_all()
    return {i.path: i.value for i in items}


def dump_at(etcd: Etcd, generation: str, revision: int) -> dict[str, bytes]:
    prefix = DATA + generation.encode() + b"/"
    return {kv.key[len(prefix) :].decode(): kv.value for kv in etcd.range_all(prefix, revision=revision)}


def members(body: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as t:
        return {m.name: t.extractfile(m).read() for m in t.getmembers()}


def pack(entries: list[tuple[str, bytes]]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o600
            t.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), compresslevel=1)


def sums(*named: tuple[str, bytes]) -> bytes:
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in named).encode()


def fill(state: StateStore, prefix: str, count: int, size: int) -> None:
    rnd = random.Random(count * 7919 + size)
    for start in range(0, count, 127):
        writes = [Write(f"{prefix}{i:05d}", rnd.randbytes(size)) for i in range(start, min(count, start + 127))]
        assert state.commit([], writes).succeeded


@pytest.fixture(scope="module")
def fresh_cluster(cluster_root: Path) -> Iterator[LocalCluster]:
    """A second, single-server cluster with ACLs on, bootstrapped with a known management secret."""
    cluster = LocalCluster(
        cluster_root / "snapshot_fresh",
        next_hosts(3)[:1],  # a block of 3: next_hosts(1) can overlap a 3-host block taken before it
        token="raftops-snapshot-fresh",
        agent_config={"acl_enabled": True},
    )
    try:
        cluster.up(timeout=60)
        resp = call(
            "PUT",
            f"{cluster.nodes[0].api}/v1/acl/bootstrap",
            json.dumps({"BootstrapSecret": BOOTSTRAP_SECRET}).encode(),
        )
        assert resp.status == 200, resp.data
        yield cluster
    finally:
        cluster.destroy()


# -- the endpoint ----------------------------------------------------------------------------------
def test_save_sends_a_verifiable_archive_with_nomads_headers(local_cluster: LocalCluster) -> None:
    api = local_cluster.nodes[0].api
    assert call("PUT", f"{api}/v1/var/first", b'{"Items":{"a":"b"}}').status == 200
    resp = call("GET", f"{api}{SNAPSHOT}")
    assert resp.status == 200
    body = resp.data
    assert resp.headers["Content-Type"] == "application/x-gzip"
    assert int(resp.headers["Content-Length"]) == len(body)
    assert "X-Nomad-Index" not in resp.headers
    # What Nomad's api client does at EOF (checksumValidatingReader): split on the first "=", compare.
    algo, value = resp.headers["Digest"].split("=", 1)
    assert algo == "sha-256" and value == base64.b64encode(hashlib.sha256(body).digest()).decode()
    meta = json.loads(members(body)["meta.json"])
    peers = sorted(f"{n.host}:{n.peer_port}" for n in local_cluster.nodes)
    assert sorted(s["Address"] for s in meta["Configuration"]["Servers"]) == peers
    assert all(s["Suffrage"] == 0 for s in meta["Configuration"]["Servers"])
    term, index, _ = meta["ID"].split("-")
    assert (int(term), int(index)) == (meta["Term"], meta["Index"])
    raftops = meta["Raftops"]
    assert raftops["SchemaVersion"] == 1 and raftops["EtcdVersion"].startswith("3.")
    assert raftops["Revision"] >= raftops["StateRevision"] > 0
    assert sum(m["Leader"] for m in raftops["Members"]) == 1
    with archive.verify([body]) as verified:
        assert verified.items == raftops["Items"] > 0

    assert save(local_cluster.nodes[1].api, query="?stale")[:2] == b"\x1f\x8b"
    assert save(local_cluster.nodes[2].api, query="?stale=false")[:2] == b"\x1f\x8b"
    bad = call("GET", f"{api}{SNAPSHOT}?stale=maybe")
    assert (bad.status, bad.data) == (400, b"Expect `true` or `false` for `stale` query string parameter")
    for method in ("DELETE", "PATCH", "HEAD"):
        wrong = call(method, f"{api}{SNAPSHOT}")
        assert wrong.status == 405, method
    assert call("DELETE", f"{api}{SNAPSHOT}").data == b"Invalid method"


def test_acl_management_token_required(fresh_cluster: LocalCluster) -> None:
    api = fresh_cluster.nodes[0].api
    policy = json.dumps({"Name": "ops", "Rules": 'operator { policy = "write" }'}).encode()
    assert call("PUT", f"{api}/v1/acl/policy/ops", policy, token=BOOTSTRAP_SECRET).status == 200
    made = call(
        "PUT",
        f"{api}/v1/acl/token",
        json.dumps({"Name": "ops", "Type": "client", "Policies": ["ops"]}).encode(),
        token=BOOTSTRAP_SECRET,
    )
    assert made.status == 200, made.data
    operator_write = json.loads(made.data)["SecretID"]
    body = save(api, token=BOOTSTRAP_SECRET)
    etcd = etcd_for(fresh_cluster)
    revision = etcd.range(POINTER).revision
    for token in ("", operator_write):
        denied = call("GET", f"{api}{SNAPSHOT}", token=token)
        assert (denied.status, denied.data) == (403, b"Permission denied"), token
        assert restore(api, body, token=token) == (403, "Permission denied")
    assert etcd.range(POINTER).revision == revision
    assert restore(api, body, token=BOOTSTRAP_SECRET, method="POST") == (200, "")  # POST restores too
    assert etcd.range(POINTER).revision > revision
    etcd.close()


# -- rejection -------------------------------------------------------------------------------------
def corrupted_archives(body: bytes) -> Iterator[tuple[str, bytes, str]]:
    """(label, archive, expected message fragment) for every way of breaking ``body`` we test."""
    got = members(body)
    meta, state, sha = got["meta.json"], got["state.bin"], got["SHA256SUMS"]

    def with_member(name: str, data: bytes) -> bytes:
        return pack([(n, data if n == name else got[n]) for n in archive.MEMBERS])

    for offset in range(len(meta)):
        flipped = bytearray(meta)
        flipped[offset] ^= 0xFF
        yield f"meta.json@{offset}", with_member("meta.json", bytes(flipped)), 'hash check failed for "meta.json"'
    for offset in range(len(sha)):
        flipped = bytearray(sha)
        flipped[offset] ^= 0x01
        yield f"SHA256SUMS@{offset}", with_member("SHA256SUMS", bytes(flipped)), "failed checking integrity of snapshot"
    for offset in sorted({*range(0, len(state), max(1, len(state) // 48)), len(state) - 1}):
        flipped = bytearray(state)
        flipped[offset] ^= 0x01
        yield f"state.bin@{offset}", with_member("state.bin", bytes(flipped)), 'hash check failed for "state.bin"'
    reference = zlib.decompress(body, 31)
    rnd = random.Random(4)
    picked = 0
    for offset in rnd.sample(range(10, len(body)), len(body) - 10):
        flipped = bytearray(body)
        flipped[offset] ^= 0xFF
        try:
            changed = zlib.decompress(bytes(flipped), 31) != reference
        except zlib.error:
            changed = True
        if changed:  # flips that leave every byte the same are harmless (tests/unit/test_archive.py)
            yield f"gzip@{offset}", bytes(flipped), "failed to restore from snapshot: failed to "
            picked += 1
        if picked == 64:
            break
    yield "missing state.bin", pack([("meta.json", meta), ("SHA256SUMS", sha)]), 'missing file "state.bin"'
    yield (
        "extra member",
        pack([("meta.json", meta), ("state.bin", state), ("SHA256SUMS", sha), ("x", b"")]),
        ('unexpected file "x" in snapshot'),
    )
    for cut in (1, 10, len(body) // 2, len(body) - 9, len(body) - 1):
        yield f"truncated@{cut}", body[:cut], "failed to restore from snapshot: failed to "
    raw = bytearray(zlib.decompress(body, 31))
    raw[120] ^= 0x01
    yield "bad tar header", gzip.compress(bytes(raw)), "invalid tar header"
    bad_meta = b'{"Version": 1'
    yield (
        "bad meta JSON",
        pack(
            [
                ("meta.json", bad_meta),
                ("state.bin", state),
                ("SHA256SUMS", sums(("meta.json", bad_meta), ("state.bin", state))),
            ]
        ),
        ("failed to decode snapshot metadata"),
    )
    schema = json.loads(meta)
    schema["Raftops"]["SchemaVersion"] = 2
    raw_schema = archive.encode_meta(schema)
    yield (
        "schema 2",
        pack(
            [
                ("meta.json", raw_schema),
                ("state.bin", state),
                ("SHA256SUMS", sums(("meta.json", raw_schema), ("state.bin", state))),
            ]
        ),
        ("unsupported snapshot schema version 2"),
    )
    yield "not gzip", b"PK\x03\x04 a zip file", "gzip: invalid header"
    yield "empty body", b"", "failed to decompress snapshot: EOF"


def test_rejected_archives_change_nothing(local_cluster: LocalCluster) -> None:
    etcd = etcd_for(local_cluster)
    state = StateStore(etcd)
    fill(state, "rejects/item-", 30, 40)
    body = save(local_cluster.nodes[0].api)
    cases = list(corrupted_archives(body))
    assert len(cases) > 700

    revision = etcd.range(POINTER).revision
    before = dump(state)
    seq = etcd.get(GENERATION_SEQ)
    present = generations.generations_present(state)
    api = local_cluster.nodes[1].api
    for label, data, fragment in cases:
        status, text = restore(api, data)
        assert status == 500, (label, status, text)
        assert text.startswith("failed to restore from snapshot: "), (label, text)
        assert fragment in text, (label, text)
    # Verification happens before anything is written: not a single etcd revision went by.
    assert etcd.range(POINTER).revision == revision
    assert dump(state) == before
    assert etcd.get(GENERATION_SEQ) == seq and generations.generations_present(state) == present
    assert not etcd.range(RESTORES, prefix=True).kvs
    # A Digest that does not match the body is a broken stream (400), also before any write.
    resp = call("PUT", f"{api}{SNAPSHOT}", body, Digest=archive.digest_header(b"\x00" * 32))
    assert resp.status == 400 and resp.data.startswith(b"failed to read stream: Digest header: mismatch checksum")
    assert etcd.range(POINTER).revision == revision
    etcd.close()


# -- atomicity -------------------------------------------------------------------------------------
GROUP = 120  # keys one commit always writes together: 120 puts + state-touched stay under etcd's 128 ops


def inv_batches(body: bytes) -> set[int]:
    """Which restore txns carry the ``inv/`` group: two means a restore that wrote into the live
    generation txn by txn would expose a mix of old and new values to the readers below."""
    with archive.verify([body]) as verified:
        batches = generations._batches(verified.records(), b"/raftops/v1/data/x/")
        return {
            n
            for n, (ops, _, _) in enumerate(batches)
            for op in ops
            if b"/inv/" in base64.b64decode(op["request_put"]["key"])
        }


def test_restore_is_atomic_for_concurrent_readers_and_writers(local_cluster: LocalCluster) -> None:
    endpoints = [n.etcd.client_url for n in local_cluster.nodes]
    setup = StateStore(Etcd(endpoints, timeout=10.0))
    assert setup.commit([], [Write(f"inv/{k:03d}", b"snap") for k in range(GROUP)]).succeeded
    fill(setup, "filler/", 3000, 1024)  # ~3 MB, so each restore has a window worth racing with
    body = save(local_cluster.nodes[0].api)
    if len(inv_batches(body)) < 2:  # make the group straddle two restore txns (see inv_batches)
        fill(setup, "filler-extra/", 64, 16)
        body = save(local_cluster.nodes[0].api)
    assert len(inv_batches(body)) == 2

    stop = threading.Event()
    violations: list[str] = []
    reads: list[int] = []
    writes: list[int] = []

    def writer() -> None:
        state = StateStore(Etcd(endpoints, timeout=10.0))
        for n in range(1, 100_000):
            if stop.is_set():
                return
            state.commit([], [Write(f"inv/{k:03d}", f"w-{n}".encode()) for k in range(GROUP)])
            writes.append(n)

    def reader() -> None:
        state = StateStore(Etcd(endpoints, timeout=10.0))
        for _ in range(1_000_000):
            if stop.is_set():
                return
            _, items = state.list("inv/")
            values = {i.value for i in items}
            if len(items) != GROUP or len(values) != 1:
                violations.append(f"{len(items)} keys, values {sorted(values)[:5]}")
            reads.append(len(items))

    threads = [threading.Thread(target=writer), threading.Thread(target=reader), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: len(writes) > 5 and len(reads) > 5, timeout=30, message="writer and readers running")
        for round_ in range(3):
            reads_before, writes_before = len(reads), len(writes)
            assert restore(local_cluster.nodes[1 + round_ % 2].api, body) == (200, "")
            assert len(reads) > reads_before, "the readers made no progress during a restore"
            wait_for(lambda n=writes_before: len(writes) > n + 3, timeout=30, message="writes after the restore")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not violations, violations[:5]

    # With the writer stopped, a restore brings back exactly the snapshot, at higher indexes.
    before = setup.etcd.range(POINTER).revision
    assert restore(local_cluster.nodes[2].api, body) == (200, "")
    _, items = setup.list("inv/")
    assert [i.value for i in items] == [b"snap"] * GROUP
    _, _, everything = setup.iter_all()
    assert all(i.create_index > before and i.modify_index > before for i in everything)
    assert setup.state_revision() > before


def test_leftover_generation_of_a_crashed_restore_is_collected(local_cluster: LocalCluster) -> None:
    state = StateStore(etcd_for(local_cluster))
    lease = state.etcd.lease_grant(60)
    name, _, current, _ = generations._allocate(state, lease)  # the first step of a restore...
    state.etcd.txn([], [op_put(DATA + f"{name}/half/{i}".encode(), b"x") for i in range(50)])  # ...part of step 2
    assert name in generations.generations_present(state)
    assert state.collect_garbage() == []  # its marker is alive: a restore may still be writing it
    state.etcd.lease_revoke(lease)  # the restoring agent dies
    wait_for(
        lambda: name not in generations.generations_present(state),
        timeout=40,
        interval=0.5,
        message="the duty holder deletes the abandoned generation",
    )
    assert state.generation(refresh=True).name == current
    assert state.get("inv/000") is not None


# -- the round trip ---------------------------------------------------------------------------------
def test_round_trip_into_a_fresh_cluster_via_the_cli(
    local_cluster: LocalCluster, fresh_cluster: LocalCluster, tmp_path: Path
) -> None:
    source = local_cluster.nodes[0].api
    state = StateStore(etcd_for(local_cluster))
    rnd = random.Random(2024)
    for i in range(60):
        items = {"user": f"app-{i}", "blob": base64.b64encode(rnd.randbytes(rnd.randint(0, 3000))).decode()}
        resp = call("PUT", f"{source}/v1/var/roundtrip/app{i:02d}", json.dumps({"Items": items}).encode())
        assert resp.status == 200, resp.data
    assert (
        call("PUT", f"{source}/v1/operator/scheduler/configuration", b'{"SchedulerAlgorithm":"spread"}').status == 200
    )
    # ACL documents in the stored format (ACLs are off on this cluster, so not through the API).
    acl = ACLStore(state)
    acl.put_policy({"Name": "readonly", "Description": "", "Rules": 'namespace "*" { policy = "read" }', "Hash": ""})
    secret = str(uuid.uuid4())
    token = {
        "AccessorID": str(uuid.uuid4()),
        "Name": "carried over",
        "Type": "management",
        "Policies": None,
        "Roles": None,
        "Global": True,
        "CreateTime": "2026-01-01T00:00:00Z",
        "ExpirationTime": None,
        "ExpirationTTL": "",
    }
    assert acl.create_token(dict(token, Hash=token_hash(token)), secret).succeeded
    state.put("sm/policy/daily", json.dumps({"sm_policy": {"name": "daily", "enabled": True}}).encode())
    fill(state, "roundtrip/binary/\u00e9-", 1500, 700)
    assert state.commit([], [Write("roundtrip/big", rnd.randbytes(900_000)), Write("roundtrip/empty", b"")]).succeeded

    snap = tmp_path / "state.snap"
    saved = run_cli("operator", "snapshot", "save", str(snap), env={"RAFTOPS_ADDR": source}, timeout=120)
    assert saved.returncode == 0 and saved.stdout.strip() == f"State file written to {snap}", saved.stderr
    assert os.stat(snap).st_mode & 0o777 == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    again = run_cli("operator", "snapshot", "save", str(snap), env={"RAFTOPS_ADDR": source})
    assert again.returncode == 1 and "Destination file already exists" in again.stderr

    inspected = run_cli("operator", "snapshot", "inspect", str(snap))
    assert inspected.returncode == 0, inspected.stderr
    with archive.verify_file(str(snap)) as verified:
        meta = verified.meta
        in_archive = {r.path: r.value for r in verified.records()}
    lines = dict(line.split(None, 1) for line in inspected.stdout.splitlines()[:5])
    assert lines == {
        "ID": meta["ID"],
        "Size": str(meta["Size"]),
        "Index": str(meta["Index"]),
        "Term": str(meta["Term"]),
        "Version": "1",
    }
    raftops = meta["Raftops"]
    # The archive holds exactly the source state at the revision it was read at.
    assert in_archive == dump_at(state.etcd, raftops["Generation"], raftops["Revision"])
    assert len(in_archive) >= 1566 and in_archive["roundtrip/empty"] == b""  # what this test wrote, at least

    target = fresh_cluster.nodes[0].api
    fresh = StateStore(etcd_for(fresh_cluster))
    before = fresh.etcd.range(POINTER).revision
    restored = run_cli(
        "operator",
        "snapshot",
        "restore",
        str(snap),
        env={"RAFTOPS_ADDR": target, "RAFTOPS_TOKEN": BOOTSTRAP_SECRET},
        timeout=120,
    )
    assert restored.returncode == 0 and restored.stdout.strip() == "Snapshot Restored", restored.stderr

    _, _, items = fresh.iter_all()
    items = list(items)
    assert {i.path: i.value for i in items} == in_archive  # every item, byte for byte
    assert all(i.create_index > before and i.modify_index > before for i in items)
    # The ACL state came along: the archive's token works here now, the bootstrap token is gone.
    resp = call("GET", f"{target}/v1/var/roundtrip/app07", token=secret)
    assert resp.status == 200, resp.data
    original = call("GET", f"{source}/v1/var/roundtrip/app07")
    assert json.loads(resp.data)["Items"] == json.loads(original.data)["Items"]
    assert call("GET", f"{target}/v1/var/roundtrip/app07", token=BOOTSTRAP_SECRET).status == 403

    broken = tmp_path / "broken.snap"
    broken.write_bytes(snap.read_bytes()[:-100])
    bad = run_cli("operator", "snapshot", "inspect", str(broken))
    assert bad.returncode == 1 and bad.stderr.startswith("Error verifying snapshot: ")
    refused = run_cli(
        "operator", "snapshot", "restore", str(broken), env={"RAFTOPS_ADDR": target, "RAFTOPS_TOKEN": secret}
    )
    assert refused.returncode == 1 and "failed to restore from snapshot: " in refused.stderr


# -- the generation machinery on a single etcd member -------------------------------------------------
def patient(etcd: Etcd) -> Etcd:
    """A client with a long timeout: a 1 MiB txn can take seconds on a machine shared with other test runs."""
    return Etcd(etcd.endpoints, timeout=15.0)


def test_a_restore_overtaken_by_another_is_abandoned_and_cleaned_up(etcd: Etcd) -> None:
    etcd = patient(etcd)
    state = StateStore(etcd)
    assert state.commit([], [Write(f"k/{i}", b"old") for i in range(10)]).succeeded
    winner = [StateRecord(f"k/{i}", b"winner", 0, 0) for i in range(5)]

    def loser() -> Iterator[StateRecord]:
        for i in range(400):
            if i == 200:  # half-way through, someone else restores and flips the pointer first
                generations.restore(StateStore(patient(etcd)), winner)
            yield StateRecord(f"k/{i:03d}", b"loser", 0, 0)

    with pytest.raises(RestoreError, match="another restore replaced the state meanwhile"):
        state.restore(loser())
    assert dump(state) == {r.path: b"winner" for r in winner}
    assert generations.generations_present(state) == [state.generation(refresh=True).name]
    assert not etcd.range(RESTORES, prefix=True).kvs


def test_restore_batches_stay_within_etcd_limits(etcd: Etcd) -> None:
    etcd = patient(etcd)
    state = StateStore(etcd)
    rnd = random.Random(7)
    records = [StateRecord(f"big/{i}", rnd.randbytes(600_000), 0, 0) for i in range(6)]
    records += [StateRecord(f"small/{i:04d}", b"s" * 10, 0, 0) for i in range(300)]
    batches = list(generations._batches(records, b"/raftops/v1/data/2/"))
    assert all(len(ops) <= 128 and payload <= generations.MAX_TXN_PAYLOAD for ops, _, payload in batches)
    result = state.restore(records)
    assert result.items == 306 and result.txns == len(batches) >= 6  # no two 600 kB values share a txn
    assert dump(state) == {r.path: r.value for r in records}

    pointer = etcd.get(POINTER)
    too_big = [StateRecord("a", b"x", 0, 0), StateRecord("huge", b"x" * 1_100_000, 0, 0)]
    with pytest.raises(RestoreError, match="over the"):
        state.restore(too_big)
    assert dump(state) == {r.path: r.value for r in records}
    assert generations.generations_present(state) == [state.generation(refresh=True).name]
    assert not etcd.range(RESTORES, prefix=True).kvs
    assert etcd.get(POINTER) == pointer  # the pointer never moved


def test_iter_all_reads_one_generation_at_one_revision(etcd: Etcd) -> None:
    etcd = patient(etcd)
    state = StateStore(etcd)
    fill(state, "page/", 2500, 10)
    generation, revision, items = state.iter_all(page=1000)
    state.restore([StateRecord("other", b"1", 0, 0)])  # flips the pointer mid-read
    got = list(items)
    assert len(got) == 2500 and got[0].path == "page/00000" and got[-1].path == "page/02499"
    # The pages were read at the pinned revision, from before the restore deleted that generation.
    assert generation.name == "1" and revision < etcd.range(POINTER).revision
