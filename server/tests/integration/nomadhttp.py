"""Small helpers for the Nomad-API integration tests: HTTP calls with tokens, clusters with extra config."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import requests
from raftops.localcluster import LocalCluster

from ..conftest import next_hosts, wait_for

TIMEOUT = 10
T = TypeVar("T")


def call(
    method: str,
    url: str,
    *,
    token: str | None = None,
    body: Any = None,
    data: bytes | str | None = None,
    params: dict[str, Any] | None = None,
    bearer: bool = False,
) -> requests.Response:
    headers = {}
    if token is not None:
        headers = {"Authorization": f"Bearer {token}"} if bearer else {"X-Nomad-Token": token}
    payload = json.dumps(body) if body is not None else data
    return requests.request(method, url, headers=headers, data=payload, params=params, timeout=TIMEOUT)


@contextlib.contextmanager
def started_cluster(root: Path, name: str, agent_config: dict[str, Any] | None = None) -> Iterator[LocalCluster]:
    """A 3-server cluster on fresh loopback addresses, destroyed afterwards (like conftest's local_cluster)."""
    cluster = LocalCluster(root / name, next_hosts(3), token=f"raftops-{name}", agent_config=agent_config or {})
    try:
        cluster.up(timeout=60)
        yield cluster
    finally:
        cluster.destroy()


def wait_configs_ready(cluster: LocalCluster, token: str | None = None, timeout: float = 20) -> None:
    """The duty holder writes the autopilot and scheduler defaults shortly after start."""

    def ready() -> bool:
        for node in cluster.nodes:
            for path in ("autopilot", "scheduler"):
                if call("GET", f"{node.api}/v1/operator/{path}/configuration", token=token).status_code != 200:
                    return False
        return True

    wait_for(ready, timeout, interval=0.2, message="operator configurations initialised")


def race(count: int, fn: Callable[[int], T], timeout: float = 30) -> list[T]:
    """Run ``fn(0) .. fn(count-1)`` in threads released together by a barrier; results in index order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = fn(i)
        except Exception as exc:  # surfaced below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    if errors:
        raise errors[0]
    return results
