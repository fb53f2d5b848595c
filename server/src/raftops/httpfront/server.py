"""The HTTP front of the agent and of the backup sidecar: asyncio for connections, threads for handlers.

Why not cheroot (what came before): it gives every connection a thread from a fixed pool, so 16 idle
sockets stopped an agent. Why not uvicorn or hypercorn: neither bounds the time to send request
headers nor the connections per client, and both would need the application rewritten as ASGI. This
front is small because h11 (the HTTP/1.1 state machine that uvicorn and httpx use) does the protocol;
what is ours is the policy: deadlines for each phase, caps with eviction (limits.py), bodies read only
after the token check (connection.py), and a thread pool that only runs handlers. See docs/design.md.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import resource
import socket
import ssl
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge

from .connection import LEAD, SHARE_SECONDS, WOKEN, Connection, SharedRun
from .limits import ConnectionTable, FrontLimits
from .wsgi import WSGIApp

log = logging.getLogger("raftops.http.front")

T = TypeVar("T")
BACKLOG = 1024
_FD_RESERVE = 256  # descriptors kept for etcd connections, files and logs


@dataclass(frozen=True)
class TLSFiles:
    cert_file: str
    key_file: str
    ca_file: str = ""  # client certificates signed by this CA are verified
    verify_client: bool = False  # and required


def server_ssl_context(tls: TLSFiles) -> ssl.SSLContext:
    """TLS 1.2+ with the server's certificate; client certificates verified against ``ca_file``."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(tls.cert_file, tls.key_file)
    if tls.ca_file:
        ctx.load_verify_locations(cafile=tls.ca_file)
        ctx.verify_mode = ssl.CERT_REQUIRED if tls.verify_client else ssl.CERT_OPTIONAL
    elif tls.verify_client:
        raise ValueError("verify_https_client needs a ca_file to verify client certificates against")
    return ctx


def raise_fd_limit(wanted: int) -> int:
    """Raise the soft descriptor limit towards ``wanted`` (within the hard limit); returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("cannot raise the open-file limit from %d to %d: %s", soft, target, exc)
    return soft


class FrontMetrics:
    """The front's own series; label values come from fixed sets."""

    _by_registry: dict[int, FrontMetrics] = {}
    _lock = threading.Lock()

    def __init__(self, registry: CollectorRegistry):
        self.connections = Gauge("raftops_http_connections", "open HTTP connections", registry=registry)
        self.refused = Counter(
            "raftops_http_connections_refused",
            "connections closed at once: every slot held a request",
            registry=registry,
        )
        self.evicted = Counter(
            "raftops_http_connections_evicted",
            "idle or stalled connections closed to make room for a new one",
            registry=registry,
        )
        self.timeouts = Counter(
            "raftops_http_timeouts", "connections closed for overstaying a deadline", ["phase"], registry=registry
        )
        self.rejections = Counter(
            "raftops_http_requests_rejected",
            "requests refused before a handler saw them",
            ["reason"],
            registry=registry,
        )
        self._evicted_seen = 0

    @classmethod
    def for_registry(cls, registry: CollectorRegistry) -> FrontMetrics:
        with cls._lock:
            found = cls._by_registry.get(id(registry))
            if found is None:
                found = cls._by_registry[id(registry)] = cls(registry)
            return found

    def timeout(self, phase: str) -> None:
        self.timeouts.labels(phase).inc()

    def rejected(self, reason: str) -> None:
        self.rejections.labels(reason).inc()

    def evictions_seen(self, total: int) -> None:
        if total > self._evicted_seen:
            self.evicted.inc(total - self._evicted_seen)
            self._evicted_seen = total


class HTTPFront:
    """Serves a WSGI ``app`` on ``host:port`` until :meth:`stop`.

    ``app`` may have ``body_policy(environ) -> (cap, stream)`` to give a route a body cap of its own
    (and have its handler read the body as a stream); other routes get ``limits.max_body_bytes``,
    buffered. Paths in ``priority_paths`` (health, metrics) run on threads of their own, so they
    answer while every general worker is busy.
    """

    def __init__(
        self,
        app: WSGIApp,
        host: str,
        port: int,
        *,
        limits: FrontLimits | None = None,
        tls: TLSFiles | None = None,
        priority_paths: Collection[str] = (),
        registry: CollectorRegistry | None = None,
        name: str = "http",
    ):
        self.app = app
        self.limits = limits or FrontLimits()
        self.limits.validate()
        self.ssl_context = server_ssl_context(tls) if tls is not None else None
        self.priority_paths = frozenset(priority_paths)
        self.metrics = FrontMetrics.for_registry(registry or CollectorRegistry())
        self.name = name
        self.stopping = False
        fds = raise_fd_limit(self.limits.max_conns + _FD_RESERVE * 4)
        if fds - _FD_RESERVE < self.limits.max_conns:
            effective = max(fds - _FD_RESERVE, 64)
            log.warning(
                "the open-file limit (%d) caps HTTP connections at %d instead of %d",
                fds,
                effective,
                self.limits.max_conns,
            )
            per_client = min(self.limits.max_conns_per_client, effective)
            self.limits = replace(self.limits, max_conns=effective, max_conns_per_client=per_client)
        self.table = ConnectionTable(self.limits)
        self._policy: Callable[[dict[str, Any]], tuple[int, bool] | None] | None = getattr(app, "body_policy", None)
        self._sock = _listen(host, port)
        self.address: tuple[str, int] = self._sock.getsockname()[:2]
        self._pool = concurrent.futures.ThreadPoolExecutor(self.limits.workers, thread_name_prefix=f"{name}-worker")
        self._priority = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix=f"{name}-priority")
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(_quiet_exceptions)
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[asyncio.Task] = set()
        self.parked: set[asyncio.Future] = set()  # requests suspended by their handler (blocking queries)
        self.shared: dict[tuple, SharedRun] = {}  # woken requests whose one handler run others share
        self._wakes: list[tuple[asyncio.Future, tuple | None]] = []
        self._wakes_lock = threading.Lock()

    # -- running -------------------------------------------------------------------------------------
    def start(self) -> None:
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._accept, sock=self._sock, limit=self.limits.max_header_bytes * 2)
            )
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name=f"{self.name}-loop", daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("the HTTP front did not start")

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(timeout), self._loop)
        with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
            future.result(timeout + 2)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._thread = None
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._priority.shutdown(wait=False, cancel_futures=True)

    async def _shutdown(self, timeout: float) -> None:
        """Stop accepting, close every connection that holds no request, give the others ``timeout``."""
        self.stopping = True
        if self._server is not None:
            self._server.close()
        for woken in list(self.parked):  # suspended requests answer now, with what they have
            if not woken.done():
                woken.set_result(None)
        self.table.close_idle()
        tasks = list(self._connections)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.stopping:
            writer.transport.abort()
            return
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        self.metrics.connections.inc()
        try:
            await Connection(self, reader, writer).serve()
        finally:
            self._connections.discard(task)
            self.metrics.connections.dec()

    # -- used by connections ---------------------------------------------------------------------------
    def body_policy(self, environ: dict[str, Any]) -> tuple[int, bool]:
        if self._policy is not None:
            policy = self._policy(environ)
            if policy is not None:
                return policy
        return self.limits.max_body_bytes, False

    def waker(self, woken: asyncio.Future, key: tuple | None = None) -> Callable[[], None]:
        """A thread-safe function that resolves ``woken`` on the loop.

        Wakes are batched: a thousand suspended requests woken by one change cost one call into the
        loop, not a thousand. ``key`` names what makes identical requests identical (see
        :class:`SharedRun`); None: this request runs its handler on its own.
        """
        entry = (woken, key)

        def wake() -> None:
            with self._wakes_lock:
                first = not self._wakes
                self._wakes.append(entry)
            if first:
                with contextlib.suppress(RuntimeError):  # RuntimeError: the loop is closed, the front stopped
                    self._loop.call_soon_threadsafe(self._deliver_wakes)

        return wake

    def _deliver_wakes(self) -> None:
        """Resolve the woken requests: the first of each identical group leads, the others follow it.

        A follower is not resumed until its leader's answer is there (then once, with the answer), so a
        thousand woken requests cost the loop nothing while the one handler run reads the state.
        """
        with self._wakes_lock:
            wakes, self._wakes = self._wakes, []
        for woken, key in wakes:
            if woken.done():
                continue
            if key is None:
                woken.set_result(WOKEN)
                continue
            run = self.shared.get(key)
            if run is None:
                self.shared[key] = SharedRun()
                woken.set_result(LEAD)
            elif run.finished:
                woken.set_result(run)
            else:
                run.followers.append(woken)

    def finish_shared(self, key: tuple, run: SharedRun, result: Any) -> None:
        """The leader's run is over (``result``: its answer, a Suspend, or None when it failed): hand it
        to every follower, and keep it ``SHARE_SECONDS`` for identical requests woken just after."""
        run.finish(result)
        followers, run.followers = run.followers, []
        for woken in followers:
            if not woken.done():
                woken.set_result(run)
        self._loop.call_later(SHARE_SECONDS, self._forget, key, run)

    def _forget(self, key: tuple, run: SharedRun) -> None:
        if self.shared.get(key) is run:
            del self.shared[key]

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        environ = args[0] if args and isinstance(args[0], dict) else None
        pool = self._priority if environ is not None and environ.get("PATH_INFO") in self.priority_paths else self._pool
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say they are TCP,
    # and accepted sockets inherit the listener's protocol number. With Nagle on, every answer written in
    # two pieces waits 40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _quiet_exceptions(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    # Peers that vanish mid-handshake or mid-write are routine on a public port: debug, not error.
    exc = context.get("exception")
    if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError)):
        log.debug("HTTP front: %s", context.get("message"))
        return
    loop.default_exception_handler(context)
