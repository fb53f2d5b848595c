"""Typed etcd operations on top of the gateway: KV, txn, cluster, maintenance, lease."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .gateway import EtcdError, Gateway, b64, prefix_end, unb64

MAX_TXN_OPS = 128  # etcd's --max-txn-ops default; 129 ops are refused.


@dataclass(frozen=True)
class KeyValue:
    key: bytes
    value: bytes
    create_revision: int
    mod_revision: int
    version: int
    lease: int = 0

    @classmethod
    def from_json(cls, kv: dict[str, Any]) -> KeyValue:
        return cls(
            key=unb64(kv.get("key")),
            value=unb64(kv.get("value")),
            create_revision=int(kv.get("create_revision", 0)),
            mod_revision=int(kv.get("mod_revision", 0)),
            version=int(kv.get("version", 0)),
            lease=int(kv.get("lease", 0)),
        )


@dataclass(frozen=True)
class RangeResult:
    revision: int
    kvs: list[KeyValue]
    more: bool
    count: int


@dataclass(frozen=True)
class TxnResult:
    succeeded: bool
    revision: int
    raft_term: int
    responses: list[dict[str, Any]]

    def ranges(self) -> list[list[KeyValue]]:
        """The kvs of every range response, in order."""
        out = []
        for r in self.responses:
            if "response_range" in r:
                out.append([KeyValue.from_json(kv) for kv in r["response_range"].get("kvs", [])])
        return out


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    peer_urls: list[str]
    client_urls: list[str]
    is_learner: bool

    @property
    def peer_address(self) -> str:
        """The raft address Nomad shows: host:port of the first peer URL."""
        if not self.peer_urls:
            return ""
        return urlsplit(self.peer_urls[0]).netloc

    @classmethod
    def from_json(cls, m: dict[str, Any]) -> Member:
        return cls(
            id=int(m["ID"]),
            name=m.get("name", ""),
            peer_urls=list(m.get("peerURLs", [])),
            client_urls=list(m.get("clientURLs", [])),
            is_learner=bool(m.get("isLearner", False)),
        )


@dataclass(frozen=True)
class MemberStatus:
    member_id: int
    cluster_id: int
    version: str
    leader: int
    raft_index: int
    raft_applied_index: int
    raft_term: int
    revision: int
    db_size: int
    is_learner: bool
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, s: dict[str, Any]) -> MemberStatus:
        header = s.get("header", {})
        return cls(
            member_id=int(header.get("member_id", 0)),
            cluster_id=int(header.get("cluster_id", 0)),
            version=s.get("version", ""),
            leader=int(s.get("leader", 0)),
            raft_index=int(s.get("raftIndex", 0)),
            raft_applied_index=int(s.get("raftAppliedIndex", 0)),
            raft_term=int(s.get("raftTerm", 0)),
            revision=int(header.get("revision", 0)),
            db_size=int(s.get("dbSize", 0)),
            is_learner=bool(s.get("isLearner", False)),
            errors=list(s.get("errors", [])),
        )


class Etcd:
    """etcd's API as raftops uses it. Every method is one gateway request unless it says otherwise."""

    def __init__(self, endpoints: Sequence[str], *, timeout: float = 2.0, tls: dict[str, Any] | None = None):
        self.gateway = Gateway(endpoints, timeout=timeout, tls=tls)

    @property
    def endpoints(self) -> list[str]:
        return self.gateway.endpoints

    def close(self) -> None:
        self.gateway.close()

    # -- KV -----------------------------------------------------------------------------------
    def range(
        self,
        key: bytes,
        *,
        prefix: bool = False,
        range_end: bytes | None = None,
        revision: int = 0,
        limit: int = 0,
        keys_only: bool = False,
        serializable: bool = False,
        sort_by_mod_desc: bool = False,
        timeout: float | None = None,
    ) -> RangeResult:
        body: dict[str, Any] = {"key": b64(key)}
        if prefix:
            body["range_end"] = b64(prefix_end(key))
        elif range_end is not None:
            body["range_end"] = b64(range_end)
        if revision:
            body["revision"] = str(revision)
        if limit:
            body["limit"] = str(limit)
        if keys_only:
            body["keys_only"] = True
        if serializable:
            body["serializable"] = True
        if sort_by_mod_desc:
            body["sort_order"] = "DESCEND"
            body["sort_target"] = "MOD"
        data = self.gateway.call("kv/range", body, retry=True, timeout=timeout)
        return RangeResult(
            revision=int(data.get("header", {}).get("revision", 0)),
            kvs=[KeyValue.from_json(kv) for kv in data.get("kvs", [])],
            more=bool(data.get("more", False)),
            count=int(data.get("count", 0)),
        )

    def get(self, key: bytes) -> KeyValue | None:
        kvs = self.range(key).kvs
        return kvs[0] if kvs else None

    def range_all(self, key: bytes, *, prefix: bool = True, revision: int = 0, page: int = 1000) -> Iterator[KeyValue]:
        """Every key under ``key`` at one revision, paginated (bounded memory per page)."""
        start = key
        end = prefix_end(key) if prefix else key + b"\x00"
        rev = revision
        while True:
            res = self.range(start, range_end=end, revision=rev, limit=page)
            rev = rev or res.revision
            yield from res.kvs
            if not res.more or not res.kvs:
                return
            start = res.kvs[-1].key + b"\x00"

    def put(self, key: bytes, value: bytes, *, lease: int = 0, idempotent: bool = True) -> int:
        body: dict[str, Any] = {"key": b64(key), "value": b64(value)}
        if lease:
            body["lease"] = str(lease)
        data = self.gateway.call("kv/put", body, retry=idempotent)
        return int(data.get("header", {}).get("revision", 0))

    def delete(self, key: bytes, *, prefix: bool = False) -> int:
        body: dict[str, Any] = {"key": b64(key)}
        if prefix:
            body["range_end"] = b64(prefix_end(key))
        data = self.gateway.call("kv/deleterange", body, retry=True)
        return int(data.get("deleted", 0))

    def txn(
        self,
        compare: list[dict[str, Any]],
        success: list[dict[str, Any]],
        failure: list[dict[str, Any]] | None = None,
        *,
        retry: bool = True,
        timeout: float | None = None,
    ) -> TxnResult:
        """One atomic txn. ``retry`` is safe whenever ``compare`` guards the writes (CAS)."""
        if len(success) > MAX_TXN_OPS or len(failure or []) > MAX_TXN_OPS:
            raise ValueError(f"a txn holds at most {MAX_TXN_OPS} operations per branch")
        data = self.gateway.call(
            "kv/txn", {"compare": compare, "success": success, "failure": failure or []}, retry=retry, timeout=timeout
        )
        header = data.get("header", {})
        return TxnResult(
            succeeded=bool(data.get("succeeded", False)),
            revision=int(header.get("revision", 0)),
            raft_term=int(header.get("raft_term", 0)),
            responses=list(data.get("responses", [])),
        )

    # -- cluster ------------------------------------------------------------------------------
    def members(self) -> tuple[int, list[Member]]:
        """(cluster id, members). Served from the answering member's local view in etcd 3.4."""
        data = self.gateway.call("cluster/member/list", {}, retry=True)
        return (
            int(data.get("header", {}).get("cluster_id", 0)),
            [Member.from_json(m) for m in data.get("members", [])],
        )

    def member_add(self, peer_urls: list[str], *, learner: bool = True) -> Member:
        data = self.gateway.call("cluster/member/add", {"peerURLs": peer_urls, "isLearner": learner})
        return Member.from_json(data["member"])

    def member_remove(self, member_id: int) -> None:
        self.gateway.call("cluster/member/remove", {"ID": str(member_id)})

    def member_promote(self, member_id: int) -> None:
        self.gateway.call("cluster/member/promote", {"ID": str(member_id)})

    # -- maintenance --------------------------------------------------------------------------
    def status(self, endpoint: str | None = None, *, timeout: float | None = None) -> MemberStatus:
        data = self.gateway.call("maintenance/status", {}, endpoint=endpoint, retry=True, timeout=timeout)
        return MemberStatus.from_json(data)

    def move_leader(self, leader_endpoint: str, target_id: int, *, timeout: float = 5.0) -> None:
        """MoveLeader must be sent to the current leader; etcd does not forward it."""
        self.gateway.call(
            "maintenance/transfer-leadership", {"targetID": str(target_id)}, endpoint=leader_endpoint, timeout=timeout
        )

    def version(self, endpoint: str | None = None) -> str:
        import json

        status, raw = self.gateway.plain_get(endpoint or self.endpoints[0], "/version")
        if status != 200:
            raise EtcdError(f"etcd /version answered {status}", http_status=status)
        return json.loads(raw).get("etcdserver", "")

    # -- lease --------------------------------------------------------------------------------
    def lease_grant(self, ttl: int) -> int:
        data = self.gateway.call("lease/grant", {"TTL": str(ttl)}, retry=False)
        if data.get("error"):
            raise EtcdError(str(data["error"]))
        return int(data["ID"])

    def lease_keepalive(self, lease_id: int) -> int:
        """Renew once; returns the new TTL, 0 when the lease is gone (etcd answers 200 either way)."""
        data = self.gateway.call("lease/keepalive", {"ID": str(lease_id)}, retry=True)
        return int(data.get("result", {}).get("TTL", 0))

    def lease_revoke(self, lease_id: int) -> None:
        try:
            self.gateway.call("lease/revoke", {"ID": str(lease_id)}, retry=True)
        except EtcdError as exc:
            if exc.code != 5:  # NotFound: already gone
                raise
