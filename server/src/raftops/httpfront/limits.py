"""What one client, and all clients together, may hold of an HTTP front; and who goes when it is full.

A connection costs a file descriptor and a little memory, nothing more, until its request is complete:
the front never gives a thread to a connection that is connecting, idle, sending its headers or
sending a buffered body. So the caps below bound descriptors, and when a cap is reached the front
makes room by closing the oldest connection that holds nothing in progress (preferring connections
that never completed a request: idle sockets, slowloris, slow bodies) instead of refusing the new
one. A flood of idle connections from one address therefore cannot lock out the next request from
that address or any other, which a plain refusal at the cap (Nomad's http_max_conns_per_client)
would.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class FrontLimits:
    """The bounds of one HTTP front. Seconds unless named otherwise."""

    max_conns: int = 4096
    max_conns_per_client: int = 256
    handshake_timeout: float = 10.0  # TLS handshake, from accept
    header_timeout: float = 10.0  # request line + headers, from connect or from the request's first byte
    idle_timeout: float = 60.0  # a keep-alive connection between requests
    body_timeout: float = 30.0  # a buffered body, whole
    stream_timeout: float = 60.0  # the longest pause inside a streamed body or response
    max_header_bytes: int = 64 * 1024
    max_body_bytes: int = 16 * MiB
    workers: int = 32

    def validate(self) -> None:
        for name in ("max_conns", "max_conns_per_client", "max_header_bytes", "max_body_bytes", "workers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("handshake_timeout", "header_timeout", "idle_timeout", "body_timeout", "stream_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be a positive number of seconds")
        if self.max_conns_per_client > self.max_conns:
            raise ValueError("max_conns_per_client cannot exceed max_conns")


class Phase(enum.Enum):
    HANDSHAKE = "handshake"
    IDLE = "idle"
    HEADERS = "headers"
    BODY = "body"  # a buffered body being received: still no thread
    BUSY = "busy"  # a handler runs, or a response is being written: never evicted


_EVICTABLE = (Phase.HANDSHAKE, Phase.IDLE, Phase.HEADERS, Phase.BODY)


class Tracked:
    """One connection as the table sees it."""

    __slots__ = ("client", "phase", "opened", "served", "_close")

    def __init__(self, client: str, close: Callable[[], None]):
        self.client = client
        self.phase = Phase.HANDSHAKE
        self.opened = time.monotonic()
        self.served = 0  # requests answered on this connection
        self._close = close

    def evict(self) -> None:
        self._close()


class ConnectionTable:
    """Every open connection, per client address, in opening order. Used from the event loop only."""

    def __init__(self, limits: FrontLimits):
        self.limits = limits
        self._all: dict[Tracked, None] = {}  # insertion-ordered: oldest first
        self._by_client: dict[str, dict[Tracked, None]] = {}
        self.evicted = 0
        self.refused = 0

    def __len__(self) -> int:
        return len(self._all)

    def count(self, client: str) -> int:
        return len(self._by_client.get(client, ()))

    def admit(self, conn: Tracked) -> bool:
        """Add ``conn``, evicting to stay within the caps; False when nothing can be evicted."""
        mine = self._by_client.get(conn.client, {})
        if len(mine) >= self.limits.max_conns_per_client and not self._evict_from(mine):
            self.refused += 1
            return False
        if len(self._all) >= self.limits.max_conns and not self._evict_from(self._all):
            self.refused += 1
            return False
        self._all[conn] = None
        self._by_client.setdefault(conn.client, {})[conn] = None
        return True

    def remove(self, conn: Tracked) -> None:
        self._all.pop(conn, None)
        mine = self._by_client.get(conn.client)
        if mine is not None:
            mine.pop(conn, None)
            if not mine:
                del self._by_client[conn.client]

    def close_idle(self) -> None:
        """Close every connection that holds no request in progress (the front is stopping)."""
        for conn in [c for c in self._all if c.phase in _EVICTABLE]:
            self.remove(conn)
            conn.evict()

    def _evict_from(self, pool: dict[Tracked, None]) -> bool:
        victim = _oldest(pool, lambda c: c.served == 0) or _oldest(pool, lambda c: True)
        if victim is None:
            return False
        self.remove(victim)
        self.evicted += 1
        victim.evict()
        return True


def _oldest(pool: dict[Tracked, None], also: Callable[[Tracked], bool]) -> Tracked | None:
    for conn in pool:
        if conn.phase in _EVICTABLE and also(conn):
            return conn
    return None
