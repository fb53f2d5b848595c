"""A small client for the raftops/Nomad HTTP API, used by the CLI and the backup sidecar.

Reads ``RAFTOPS_ADDR`` (then ``NOMAD_ADDR``) and ``RAFTOPS_TOKEN`` (then ``NOMAD_TOKEN``), like
the ``nomad`` CLI. Errors carry the HTTP status and the server's message.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import urllib3

DEFAULT_ADDR = "http://127.0.0.1:4646"


class APIError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(f"Unexpected response code: {status} ({message.strip()})" if status else message)
        self.status = status
        self.message = message.strip()


@dataclass
class APIResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def env_addr() -> str:
    return os.environ.get("RAFTOPS_ADDR") or os.environ.get("NOMAD_ADDR") or DEFAULT_ADDR


def env_token() -> str:
    return os.environ.get("RAFTOPS_TOKEN") or os.environ.get("NOMAD_TOKEN") or ""


class APIClient:
    def __init__(
        self,
        addr: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
    ):
        self.addr = (addr or env_addr()).rstrip("/")
        self.token = env_token() if token is None else token
        self.timeout = timeout
        kwargs: dict[str, Any] = {"retries": False}
        ca_file = ca_file or os.environ.get("RAFTOPS_CACERT") or os.environ.get("NOMAD_CACERT")
        if ca_file:
            kwargs.update(ca_certs=ca_file, cert_reqs="CERT_REQUIRED")
        cert_file = cert_file or os.environ.get("RAFTOPS_CLIENT_CERT") or os.environ.get("NOMAD_CLIENT_CERT")
        key_file = key_file or os.environ.get("RAFTOPS_CLIENT_KEY") or os.environ.get("NOMAD_CLIENT_KEY")
        if cert_file:
            kwargs.update(cert_file=cert_file, key_file=key_file)
        self._pool = urllib3.PoolManager(**kwargs)

    def url(self, path: str, query: dict[str, Any] | None = None) -> str:
        q = {k: v for k, v in (query or {}).items() if v is not None}
        return f"{self.addr}{path}" + (f"?{urlencode(q)}" if q else "")

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: Any = None,
        raw_body: bytes | None = None,
        headers: dict[str, str] | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> APIResponse:
        hdrs = dict(headers or {})
        if self.token:
            hdrs["X-Nomad-Token"] = self.token
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        try:
            resp = self._pool.request(
                method,
                self.url(path, query),
                body=data,
                headers=hdrs,
                timeout=urllib3.Timeout(connect=5.0, read=self.timeout),
            )
        except urllib3.exceptions.HTTPError as exc:
            raise APIError(0, f"Error querying {self.addr}: {exc}") from exc
        if resp.status not in expect:
            raise APIError(resp.status, resp.data.decode(errors="replace"))
        return APIResponse(resp.status, dict(resp.headers), resp.data)

    def stream(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body_iter: Iterator[bytes] | bytes | None = None,
    ) -> Any:
        """A streaming request/response (snapshots): returns the urllib3 response, not preloaded."""
        hdrs = {"X-Nomad-Token": self.token} if self.token else {}
        try:
            resp = self._pool.request(
                method,
                self.url(path, query),
                body=body_iter,
                headers=hdrs,
                preload_content=False,
                timeout=urllib3.Timeout(connect=5.0, read=self.timeout),
            )
        except urllib3.exceptions.HTTPError as exc:
            raise APIError(0, f"Error querying {self.addr}: {exc}") from exc
        if resp.status != 200:
            data = resp.read()
            resp.release_conn()
            raise APIError(resp.status, data.decode(errors="replace"))
        return resp

    def close(self) -> None:
        self._pool.clear()

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw).json()

    def put(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("PUT", path, body=body, **kw).json()

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw).json()
