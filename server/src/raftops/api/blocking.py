"""Nomad's blocking queries: ``?index=N&wait=D`` on GETs, answered when the state passes ``N``.

From command/agent/http.go ``parseWait`` (400 ``Invalid wait time`` / ``Invalid index``, plain text)
and nomad/rpc.go ``blockingRPC``: with ``index`` 0 a query answers at once; otherwise it runs, and
while its result's index is not above ``N`` it waits for a change and runs again, for at most the
wait (``QueryOptions.TimeToBlock``: no wait or a wait <= 0 is 5 minutes, more than
``MaxBlockingRPCQueryTime``, 5 minutes, is capped) plus a random jitter of up to a sixteenth of it.
When the time is up it answers with what it has.

Waiting holds no thread: :func:`wait_for_change` raises the HTTP front's ``Suspend``, the front
parks the connection on its event loop, and the agent's :class:`~raftops.store.watch.WatchHub`
(one etcd watch for every waiting request) wakes it; the handler then runs again from the top.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.wrappers import Request

from .. import godur
from ..httpfront.wsgi import RESUME_NOW, Suspend
from .context import Watching
from .gobody import BodyError, parse_uint_param
from .nomad import NomadError

MAX_WAIT = 300.0  # structs.MaxBlockingRPCQueryTime
DEFAULT_WAIT = 300.0  # structs.DefaultBlockingRPCQueryTime
JITTER_FRACTION = 16  # structs.JitterFraction
_DEADLINE = "raftops.blocking.deadline"  # environ: the monotonic time this request stops waiting


@dataclass(frozen=True)
class Query:
    index: int = 0  # MinQueryIndex: 0 is not a blocking query
    wait: float = 0.0  # MaxQueryTime in seconds as given (0 when absent)

    @property
    def time_to_block(self) -> float:
        if self.index == 0:
            return 0.0
        if self.wait > MAX_WAIT:
            return MAX_WAIT
        if self.wait <= 0:
            return DEFAULT_WAIT
        return self.wait


def parse(request: Request) -> Query:
    """Nomad's parseWait: ``wait`` first, then ``index``; the texts are Nomad's."""
    wait = 0.0
    raw_wait = request.args.get("wait", "")
    if raw_wait:
        try:
            wait = godur.parse(raw_wait)
        except ValueError:
            raise NomadError(400, "Invalid wait time") from None
    index = 0
    raw_index = request.args.get("index", "")
    if raw_index:
        try:
            index = parse_uint_param("index", raw_index)
        except BodyError:
            raise NomadError(400, "Invalid index") from None
    return Query(index, wait)


def wait_for_change(
    request: Request, ctx: Watching, query: Query, path: str, *, prefix: bool, changed: bool | Callable[[], bool]
) -> None:
    """Return to answer now; raise ``Suspend`` to wait for ``path`` (or a path under it) to change.

    ``changed``: the query's result is already past ``query.index`` (or a function that says so,
    asked only when the answer would otherwise wait).
    """
    if query.index == 0 or changed is True:
        return
    environ = request.environ
    if environ.get(RESUME_NOW):
        return
    now = time.monotonic()
    deadline = environ.get(_DEADLINE)
    if deadline is None:
        block = query.time_to_block
        deadline = environ[_DEADLINE] = now + block + random.uniform(0, block / JITTER_FRACTION)
    if now >= deadline:
        return
    hub = ctx.watch
    if not hub.ensure_started():
        return  # no watch (etcd unreachable): answer now rather than wait blind
    if callable(changed) and changed():
        return
    index = query.index

    def arm(wake: Callable[[], None]) -> Callable[[], None]:
        return hub.subscribe(path, prefix=prefix, after=index, wake=wake)

    raise Suspend(arm, deadline - now)


__all__ = ["DEFAULT_WAIT", "JITTER_FRACTION", "MAX_WAIT", "Query", "parse", "wait_for_change"]
