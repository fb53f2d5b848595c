"""The sidecar's side of the agents' HTTP API: any agent from a list, rotating on failure.

A request goes to the agent that answered last; when it cannot be reached or answers 5xx (its
etcd member lost quorum, say) the next agent is tried, once around the list. A 4xx (a bad
token, a missing endpoint) is the same on every agent and is reported at once.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from ..apiclient import APIClient, APIError

log = logging.getLogger(__name__)

STATE_PATH = "/v1/raftops/state"
SNAPSHOT_PATH = "/v1/operator/snapshot"
REQUEST_TIMEOUT = 10.0
SNAPSHOT_TIMEOUT = 600.0  # an agent builds the whole archive before its first byte
CHUNK = 256 * 1024

T = TypeVar("T")
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")


class AgentError(Exception):
    """No agent could serve a request; the message says what each one answered."""

    def __init__(self, message: str, status: int = 0, answer: str = ""):
        super().__init__(message)
        self.status = status  # the agent's 4xx answer, 0 when no agent answered
        self.answer = answer


def reason(exc: APIError) -> str:
    """A short cause: "Connection refused", "timed out", or the agent's status and message."""
    if exc.status:
        return str(exc)
    text = str(exc)
    match = _ERRNO.search(text)
    if match:
        return match.group(1).strip()
    if "timed out" in text.lower():
        return "timed out"
    return text


@dataclass
class ClusterState:
    """``GET /v1/raftops/state``: the state revision and the versions of the answering agent."""

    revision: int
    etcd_version: str
    raftops_version: str
    generation: str


@dataclass
class SnapshotDownload:
    agent: str
    digest: str
    response: Any  # urllib3 response, not preloaded

    def chunks(self) -> Iterator[bytes]:
        try:
            yield from self.response.stream(CHUNK)
        finally:
            self.response.release_conn()

    def close(self) -> None:
        self.response.release_conn()


class AgentPool:
    def __init__(self, addresses: list[str], token: str | None, tls: dict[str, str] | None = None):
        if not addresses:
            raise ValueError("at least one agent address is needed")
        tls = tls or {}
        kwargs = {"ca_file": tls.get("ca_file"), "cert_file": tls.get("cert_file"), "key_file": tls.get("key_file")}
        self._tls_kwargs = kwargs
        self.addresses = list(addresses)
        self._quick = [APIClient(a, token, timeout=REQUEST_TIMEOUT, **kwargs) for a in self.addresses]
        self._slow = [APIClient(a, token, timeout=SNAPSHOT_TIMEOUT, **kwargs) for a in self.addresses]
        self._current = 0
        self._lock = threading.Lock()

    def _each(self, what: str, clients: list[APIClient], call: Callable[[APIClient], T]) -> T:
        with self._lock:
            start = self._current
        failures = []
        for step in range(len(clients)):
            index = (start + step) % len(clients)
            try:
                result = call(clients[index])
            except APIError as exc:
                if 400 <= exc.status < 500:
                    raise AgentError(f"{what} from {self.addresses[index]}: {exc}", exc.status, exc.message) from None
                failures.append(f"{self.addresses[index]}: {reason(exc)}")
                continue
            if index != start:
                log.info("agent %s answered; %s did not", self.addresses[index], self.addresses[start])
            with self._lock:
                self._current = index
            return result
        raise AgentError(f"{what}: no raftops agent answered ({'; '.join(failures)})")

    def call_as(self, token: str, method: str, path: str) -> Any:
        """A request with someone else's token (checking a caller of the sidecar's API)."""
        clients = [APIClient(a, token, timeout=REQUEST_TIMEOUT, **self._tls_kwargs) for a in self.addresses]
        try:
            return self._each(f"{method} {path}", clients, lambda client: client.request(method, path).json())
        finally:
            for client in clients:
                client.close()

    def state(self) -> ClusterState:
        def call(client: APIClient) -> ClusterState:
            body = client.get(STATE_PATH)
            if not isinstance(body, dict) or not isinstance(body.get("Revision"), int):
                raise APIError(502, f"{STATE_PATH} answered {str(body)[:200]!r}, not a state document")
            return ClusterState(
                int(body["Revision"]),
                str(body.get("EtcdVersion", "")),
                str(body.get("RaftopsVersion", "")),
                str(body.get("Generation", "")),
            )

        return self._each("reading the state revision", self._quick, call)

    def snapshot(self) -> SnapshotDownload:
        def call(client: APIClient) -> SnapshotDownload:
            response = client.stream("GET", SNAPSHOT_PATH)
            return SnapshotDownload(client.addr, response.headers.get("Digest", ""), response)

        return self._each("taking a snapshot", self._slow, call)
