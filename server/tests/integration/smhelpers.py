"""Helpers for the SM integration tests: JSON calls, the shared test clock, explain polling, a webhook receiver."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from raftops.localcluster import LocalCluster

TIMEOUT = 30
SM = "/_plugins/_sm/policies"
CLOCK = "/_plugins/_sm/_test/clock"


class Api:
    """JSON calls against one agent of a cluster."""

    def __init__(self, base: str):
        self.base = base

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        data = json.dumps(body) if body is not None and not isinstance(body, str | bytes) else body
        headers = {"Content-Type": "application/json"} if data is not None else {}
        return requests.request(
            method, self.base + path, data=data, params=params or None, headers=headers, timeout=TIMEOUT
        )

    def ok(self, method: str, path: str, body: Any = None, status: int = 200, **params: Any) -> Any:
        resp = self.call(method, path, body, **params)
        assert resp.status_code == status, f"{method} {path}: {resp.status_code} {resp.text[:600]}"
        return resp.json()

    def error(self, method: str, path: str, body: Any = None, **params: Any) -> tuple[int, dict[str, Any]]:
        resp = self.call(method, path, body, **params)
        assert resp.headers["Content-Type"] == "application/json; charset=UTF-8", resp.headers
        return resp.status_code, resp.json()

    # -- SM ---------------------------------------------------------------------------------------
    def explain(self, name: str) -> dict[str, Any]:
        policies = self.ok("GET", f"{SM}/{name}/_explain")["policies"]
        assert len(policies) == 1, policies
        return policies[0]

    def now(self) -> int:
        return self.ok("GET", CLOCK)["now"]

    def advance(self, amount: str | int) -> int:
        return self.ok("POST", CLOCK, {"advance": amount})["now"]

    def advance_to(self, when_ms: int, slack_ms: int = 500) -> int:
        """Move the shared SM clock just past ``when_ms`` (never back)."""
        now = self.now()
        return self.advance(max(0, when_ms - now) + slack_ms)

    def snapshots(self, repo: str) -> list[dict[str, Any]]:
        return self.ok("GET", f"/_snapshot/{repo}/_all")["snapshots"]


def reason(body: dict[str, Any]) -> str:
    return body["error"]["reason"]


def error_type(body: dict[str, Any]) -> str:
    return body["error"]["type"]


def wait_until(probe: Callable[[], Any], timeout: float = 30, interval: float = 0.2, what: str = "condition") -> Any:
    """Poll ``probe`` until it returns something truthy; return that (bounded)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what} not reached within {timeout}s; last: {last!r}")


def workflow(api: Api, name: str, kind: str = "creation") -> dict[str, Any]:
    return api.explain(name).get(kind) or {}


def settled(api: Api, name: str, kind: str = "creation") -> Callable[[], dict[str, Any] | None]:
    """Probe: the workflow is back at *_START with a finished latest execution."""

    def probe() -> dict[str, Any] | None:
        wf = workflow(api, name, kind)
        latest = wf.get("latest_execution") or {}
        start = "CREATION_START" if kind == "creation" else "DELETION_START"
        if wf.get("current_state") == start and latest.get("status") not in (None, "IN_PROGRESS", "RETRYING"):
            return wf
        return None

    return probe


def duty_holder(cluster: LocalCluster, skip: tuple[str, ...] = ()) -> Any:
    """The node whose agent runs the cluster duties (one /v1/agent/self per live agent)."""
    for node in cluster.nodes:
        if node.name in skip or cluster.pid(node, "agent") is None:
            continue
        try:
            info = requests.get(f"{node.api}/v1/agent/self", timeout=5).json()
        except (requests.RequestException, ValueError):
            continue
        if info["stats"]["raftops"]["cluster_duties"] == "true":
            return node
    return None


class Webhook:
    """A webhook receiver on loopback that records every request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        received = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                with received.lock:
                    received.requests.append(
                        {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                    )
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_POST = do_PUT = do_PATCH = _record

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def bodies(self, path: str) -> list[str]:
        with self.lock:
            return [r["body"] for r in self.requests if r["path"] == path]

    @contextlib.contextmanager
    def running(self) -> Iterator[Webhook]:
        self.thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
