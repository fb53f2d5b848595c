"""The etcd v3 JSON gateway client: the only place raftops speaks HTTP to etcd.

etcd 3.4 serves every RPC raftops needs (KV, Txn, Lease, Cluster, Maintenance incl.
MoveLeader and Snapshot) on ``/v3/...`` as JSON. We use it through urllib3 connection
pools instead of gRPC: no grpcio/protobuf pins, full learner/promote support, and
requests can be replayed with curl. See docs/design.md for the measurements behind it.

Encoding rules of the gateway (they bite): bytes are base64, int64 are decimal strings,
proto default values (false, 0, empty lists) are omitted from responses.
"""

from __future__ import annotations

import base64
import json
import logging
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import urllib3

log = logging.getLogger(__name__)

# gRPC status codes the gateway puts in error bodies.
GRPC_INVALID_ARGUMENT = 3
GRPC_NOT_FOUND = 5
GRPC_RESOURCE_EXHAUSTED = 8
GRPC_FAILED_PRECONDITION = 9
GRPC_OUT_OF_RANGE = 11
GRPC_UNAVAILABLE = 14
_JSON = {"Content-Type": "application/json"}


class EtcdError(Exception):
    """An error answered by etcd (or the failure to reach any member)."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        endpoint: str | None = None,
        tls_failure: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        self.endpoint = endpoint
        self.tls_failure = tls_failure  # the TLS handshake failed: a certificate or CA problem, not an outage

    @property
    def unavailable(self) -> bool:
        """True when the request may not have been applied because no member could answer."""
        return self.code == GRPC_UNAVAILABLE or self.http_status is None


def b64(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode("ascii")


def unb64(data: str | None) -> bytes:
    return base64.b64decode(data) if data else b""


def prefix_end(prefix: bytes) -> bytes:
    """The range_end that selects every key starting with ``prefix`` (etcd's convention)."""
    end = bytearray(prefix)
    for i in range(len(end) - 1, -1, -1):
        if end[i] < 0xFF:
            end[i] += 1
            return bytes(end[: i + 1])
    return b"\x00"


class Gateway:
    """A pool of etcd members reached over the v3 JSON gateway.

    Requests go to the preferred endpoint (the first that answered last time) and rotate
    to the next member on connection failure or on ``Unavailable`` answers, but only when
    the caller says the request is safe to repeat (reads, CAS txns, idempotent puts):
    a write whose answer was lost may have been applied.
    """

    def __init__(
        self, endpoints: Sequence[str], *, timeout: float = 2.0, tls: dict[str, Any] | None = None, maxsize: int = 16
    ):
        if not endpoints:
            raise ValueError("at least one etcd endpoint is required")
        self.endpoints = [e.rstrip("/") for e in endpoints]
        self.timeout = timeout
        self._tls = tls or {}
        self._ssl_context = client_ssl_context(self._tls) if self._tls else None
        self._maxsize = maxsize
        self._pools: dict[str, urllib3.HTTPConnectionPool] = {}
        self._lock = threading.Lock()
        self._preferred = 0

    # -- plumbing ---------------------------------------------------------------------------
    def _pool(self, url: str) -> urllib3.HTTPConnectionPool:
        # A connection pool per endpoint, used directly: a PoolManager would parse the URL and build its
        # pool key on every request (about a tenth of a millisecond of each etcd call; docs/performance.md).
        pool = self._pools.get(url)
        if pool is not None:
            return pool
        with self._lock:
            pool = self._pools.get(url)
            if pool is None:
                kwargs: dict[str, Any] = {"maxsize": self._maxsize, "retries": False}
                if self._ssl_context is not None:
                    kwargs["ssl_context"] = self._ssl_context
                pool = self._pools[url] = urllib3.connection_from_url(url, **kwargs)
            return pool

    def _order(self, endpoint: str | None) -> list[str]:
        if endpoint is not None:
            return [endpoint.rstrip("/")]
        n = len(self.endpoints)
        start = self._preferred % n
        return [self.endpoints[(start + i) % n] for i in range(n)]

    def call(
        self,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        endpoint: str | None = None,
        retry: bool = False,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """POST ``body`` to ``/v3/<path>`` and return the decoded JSON answer.

        ``endpoint`` pins the request to one member (status, MoveLeader). ``retry`` lets a
        request move on to the next member after a failure that may hide an applied write.
        """
        payload = json.dumps(body or {}).encode()
        last: EtcdError | None = None
        for url in self._order(endpoint):
            try:
                resp = self._pool(url).urlopen(
                    "POST",
                    f"/v3/{path}",
                    body=payload,
                    headers=_JSON,
                    timeout=urllib3.Timeout(connect=min(1.0, timeout or self.timeout), read=timeout or self.timeout),
                    retries=False,
                    redirect=False,
                )
            except urllib3.exceptions.HTTPError as exc:
                last = unreachable(url, exc)
                if not retry and endpoint is None and not _never_sent(exc):
                    raise last from exc
                continue
            data = _decode(resp.data)
            if resp.status == 200:
                if endpoint is None:
                    self._preferred = self.endpoints.index(url)
                return data
            message = str(data.get("error") or data.get("message") or resp.data[:200])
            err = EtcdError(message, code=data.get("code"), http_status=resp.status, endpoint=url)
            # Learners and members without quorum answer Unavailable; another member may do better.
            if err.code == GRPC_UNAVAILABLE and endpoint is None and (retry or _rejected_before_apply(message)):
                last = err
                continue
            raise err
        assert last is not None
        raise last

    def stream(
        self,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        endpoint: str | None = None,
        timeout: float | None = None,
    ) -> Iterator[dict[str, Any]]:
        """POST and yield each newline-delimited JSON ``result`` (snapshot, watch)."""
        url = (endpoint or self._order(None)[0]).rstrip("/")
        try:
            resp = self._pool(url).urlopen(
                "POST",
                f"/v3/{path}",
                body=json.dumps(body or {}).encode(),
                headers=_JSON,
                preload_content=False,
                timeout=urllib3.Timeout(connect=1.0, read=timeout or max(self.timeout, 30.0)),
                retries=False,
                redirect=False,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise unreachable(url, exc) from exc
        try:
            if resp.status != 200:
                data = _decode(resp.read())
                raise EtcdError(
                    str(data.get("error") or resp.status), code=data.get("code"), http_status=resp.status, endpoint=url
                )
            buf = b""
            for chunk in resp.stream(65536):
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if line.strip():
                        yield _stream_item(line, url)
            if buf.strip():
                yield _stream_item(buf, url)
        except urllib3.exceptions.HTTPError as exc:
            raise EtcdError(f"stream from {url} broken: {exc}", endpoint=url) from exc
        finally:
            resp.release_conn()

    def close(self) -> None:
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()

    def plain_get(self, endpoint: str, path: str, timeout: float = 1.0) -> tuple[int, bytes]:
        """GET a non-gRPC path such as ``/health`` or ``/version``."""
        try:
            resp = self._pool(endpoint.rstrip("/")).urlopen(
                "GET", path, timeout=urllib3.Timeout(connect=timeout, read=timeout), retries=False, redirect=False
            )
        except urllib3.exceptions.HTTPError as exc:
            raise unreachable(endpoint, exc) from exc
        return resp.status, resp.data


def client_ssl_context(tls: dict[str, Any]) -> ssl.SSLContext:
    """The TLS settings for etcd, checked now: a key that does not match its certificate, or an
    unreadable CA file, fails the start with a clear message instead of every request later."""
    ca_file, cert_file, key_file = tls.get("ca_file") or None, tls.get("cert_file"), tls.get("key_file")
    try:
        ctx = ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"etcd TLS: cannot load the CA file {ca_file}: {exc}") from exc
    if bool(cert_file) != bool(key_file):
        raise ValueError("etcd TLS: a client certificate needs both cert_file and key_file")
    if cert_file:
        try:
            ctx.load_cert_chain(cert_file, key_file)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"etcd TLS: cannot load the client certificate {cert_file} / {key_file}: {exc}") from exc
    return ctx


def unreachable(url: str, exc: Exception) -> EtcdError:
    tls = isinstance(exc, urllib3.exceptions.SSLError) or (
        isinstance(exc, urllib3.exceptions.MaxRetryError) and isinstance(exc.reason, urllib3.exceptions.SSLError)
    )
    if tls:
        return EtcdError(
            f"etcd member {url}: TLS handshake failed (check the CA and the client certificate): {exc}",
            endpoint=url,
            tls_failure=True,
        )
    return EtcdError(f"etcd member {url} unreachable: {exc}", endpoint=url)


def _never_sent(exc: Exception) -> bool:
    # A refused connection means the request never left: safe to try the next member.
    return isinstance(exc, urllib3.exceptions.NewConnectionError) or (
        isinstance(exc, urllib3.exceptions.MaxRetryError)
        and isinstance(exc.reason, urllib3.exceptions.NewConnectionError)
    )


def _rejected_before_apply(message: str) -> bool:
    return "not supported for learner" in message or "no leader" in message


def _decode(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return {"error": raw.decode(errors="replace")}
    return data if isinstance(data, dict) else {"value": data}


def _stream_item(line: bytes, url: str) -> dict[str, Any]:
    item = json.loads(line)
    if "error" in item:
        err = item["error"]
        message = err.get("message") if isinstance(err, dict) else str(err)
        raise EtcdError(
            f"stream from {url} failed: {message}",
            code=err.get("grpc_code") if isinstance(err, dict) else None,
            endpoint=url,
        )
    return item.get("result", item)


def wait_until(predicate, timeout: float, interval: float = 0.1) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds have passed (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
