"""Change notification for blocking queries: one etcd watch per prefix for the whole agent, fanned out.

Nomad answers a blocking query (``?index=N``) once the state it reads has an index above ``N``. Here a
waiting request registers "wake me when a state path (or a path prefix) changes after revision N";
one watch stream on the data prefix (every generation) and one on the generation pointer feed every
registration, so a thousand waiting requests cost one etcd watch, not a thousand. A pointer flip (an
online restore) wakes everyone: every index may have moved.

The hub keeps the keys and revisions of the last ``history`` events. That closes the race between a
handler's read and its registration (a change that lands in between is found in the history and
wakes the request at once), and tells a handler whether a path changed after ``N`` when the read
alone cannot (a delete leaves no revision behind). Changes from before the watch started, or older
than the history, are unknown: :meth:`changed_since` then says True, so the caller answers at once
instead of missing a change.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from .gateway import EtcdError, b64, prefix_end, unb64
from .state import DATA, POINTER, StateStore

log = logging.getLogger(__name__)

_EVERYTHING = b""  # the key recorded for a pointer flip: it matches every path
_STREAM_READ_TIMEOUT = 60.0  # an idle watch reconnects (from its last revision) this often
_RETRY_SECONDS = 0.5


class _Waiter:
    __slots__ = ("after", "key", "prefix", "wake")

    def __init__(self, key: bytes, prefix: bool, after: int, wake: Callable[[], None]):
        self.key = key
        self.prefix = prefix
        self.after = after
        self.wake = wake


class WatchHub:
    """Wakes registered callbacks when state paths change (thread-safe; watches start on first use)."""

    def __init__(self, state: StateStore, *, history: int = 4096, start_timeout: float = 5.0):
        self.state = state
        self.start_timeout = start_timeout
        self._lock = threading.Lock()
        self._exact: dict[bytes, set[_Waiter]] = {}
        self._prefixes: dict[bytes, set[_Waiter]] = {}
        self._recent: deque[tuple[int, bytes]] = deque(maxlen=history)
        self._horizon = 0  # changes after this revision are all known (once both watches are created)
        self._created: dict[bytes, int] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._ready = threading.Event()
        self._start_lock = threading.Lock()

    # -- lifecycle ------------------------------------------------------------------------------
    def ensure_started(self) -> bool:
        """Start the watches if needed; True once they are established."""
        if self._ready.is_set():
            return True
        with self._start_lock:
            if not self._threads and not self._stop.is_set():
                for name, key, end in ((b"data", DATA, prefix_end(DATA)), (b"pointer", POINTER, None)):
                    thread = threading.Thread(
                        target=self._run, args=(name, key, end), name=f"watch-{name.decode()}", daemon=True
                    )
                    self._threads.append(thread)
                    thread.start()
        return self._ready.wait(self.start_timeout)

    def close(self) -> None:
        self._stop.set()
        self.wake_all()

    # -- queries from handlers ------------------------------------------------------------------
    def changed_since(self, path: str, *, prefix: bool, index: int) -> bool:
        """Did ``path`` (or anything under it) change after revision ``index``? True when unknown."""
        key = self.state.key(path)
        with self._lock:
            if not self._ready.is_set() or index < self._known_from():
                return True
            return any(rev > index and _matches(key, prefix, k) for rev, k in reversed(self._recent))

    def subscribe(self, path: str, *, prefix: bool, after: int, wake: Callable[[], None]) -> Callable[[], None]:
        """Call ``wake`` once ``path`` changes at a revision above ``after``; returns the unsubscribe.

        A change already seen (in the history) wakes at once.
        """
        waiter = _Waiter(self.state.key(path), prefix, after, wake)
        table = self._prefixes if prefix else self._exact
        with self._lock:
            seen = any(rev > after and _matches(waiter.key, prefix, k) for rev, k in reversed(self._recent))
            if not seen:
                table.setdefault(waiter.key, set()).add(waiter)
        if seen:
            wake()
            return _nothing

        def unsubscribe() -> None:
            with self._lock:
                waiters = table.get(waiter.key)
                if waiters is not None:
                    waiters.discard(waiter)
                    if not waiters:
                        del table[waiter.key]

        return unsubscribe

    def waiting(self) -> int:
        with self._lock:
            return sum(len(w) for w in self._exact.values()) + sum(len(w) for w in self._prefixes.values())

    def wake_all(self) -> None:
        with self._lock:
            waiters = [w for ws in (*self._exact.values(), *self._prefixes.values()) for w in ws]
            self._exact.clear()
            self._prefixes.clear()
        for waiter in waiters:
            waiter.wake()

    # -- the watches ----------------------------------------------------------------------------
    def _known_from(self) -> int:
        dropped = self._recent[0][0] - 1 if len(self._recent) == self._recent.maxlen else 0
        return max(self._horizon, dropped)

    def _events(self, changes: list[tuple[int, bytes]]) -> None:
        woken: list[_Waiter] = []
        with self._lock:
            for rev, key in changes:
                self._recent.append((rev, key))
                if key == _EVERYTHING:
                    woken += [w for ws in (*self._exact.values(), *self._prefixes.values()) for w in ws]
                    self._exact.clear()
                    self._prefixes.clear()
                    continue
                waiters = self._exact.get(key)
                if waiters:
                    ready = [w for w in waiters if w.after < rev]
                    waiters.difference_update(ready)
                    if not waiters:
                        del self._exact[key]
                    woken += ready
                for pfx in [p for p in self._prefixes if key.startswith(p)]:
                    waiters = self._prefixes[pfx]
                    ready = [w for w in waiters if w.after < rev]
                    waiters.difference_update(ready)
                    if not waiters:
                        del self._prefixes[pfx]
                    woken += ready
        for waiter in woken:
            waiter.wake()

    def _run(self, name: bytes, key: bytes, end: bytes | None) -> None:
        last = 0  # the last revision this watch has delivered
        gateway = self.state.etcd.gateway
        while not self._stop.is_set():
            request: dict[str, Any] = {"key": b64(key)}
            if end is not None:
                request["range_end"] = b64(end)
            if last:
                request["start_revision"] = str(last + 1)
            try:
                for item in gateway.stream("watch", {"create_request": request}, timeout=_STREAM_READ_TIMEOUT):
                    if self._stop.is_set():
                        return
                    header_rev = int(item.get("header", {}).get("revision", 0))
                    if item.get("canceled"):
                        # Compacted past our last revision: changes in between are lost. Start afresh
                        # from now, and let every waiting request look again.
                        log.info(
                            "the %s watch was compacted (%s); restarting", name.decode(), item.get("compact_revision")
                        )
                        last = 0
                        with self._lock:
                            self._horizon = max(self._horizon, header_rev)
                        self.wake_all()
                        break
                    if item.get("created"):
                        if not last:
                            last = header_rev
                            with self._lock:
                                self._created[name] = header_rev
                                if len(self._created) == 2:
                                    self._horizon = max(self._horizon, *self._created.values())
                                    self._ready.set()
                        continue
                    changes = []
                    for event in item.get("events", []):
                        kv = event.get("kv", {})
                        rev = int(kv.get("mod_revision", 0)) or header_rev
                        last = max(last, rev)
                        changes.append((rev, _EVERYTHING if name == b"pointer" else unb64(kv.get("key"))))
                    if changes:
                        self._events(changes)
            except EtcdError as exc:
                if not self._stop.is_set():
                    log.debug("the %s watch broke: %s; reconnecting", name.decode(), exc)
            except Exception:
                log.exception("the %s watch failed; reconnecting", name.decode())
            self._stop.wait(_RETRY_SECONDS)


def _matches(key: bytes, prefix: bool, changed: bytes) -> bool:
    if changed == _EVERYTHING:
        return True
    return changed.startswith(key) if prefix else changed == key


def _nothing() -> None:
    return None


__all__ = ["WatchHub"]
