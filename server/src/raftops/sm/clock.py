"""The one place snapshot management reads the time, with a test-only offset.

Production reads the system clock and nothing else. With ``sm.test_clock: true`` in the agent
config (off by default; for tests and demos only) the time is the system clock plus an offset kept
in etcd (raftops.store.sm.TestClockRecord), shared by every agent so that a failover does not
move the executor's time back or forth. The key is cluster metadata, outside the data generations:
it is not state, is not in snapshots and does not move the state revision. The same key carries a
test-only delay that makes snapshot creation wait, to exercise ``time_limit``.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from ..store.sm import TestClockRecord
from ..store.state import StateStore

MAX_RETRIES = 5


class Clock:
    def __init__(self, state: StateStore, test_clock: bool = False):
        self.record = TestClockRecord(state)
        self.test_clock = test_clock
        self._offset_ms = 0
        self._delay_ms = 0
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Re-read the shared test offset (a no-op, and no etcd request, unless the test clock is on)."""
        if not self.test_clock:
            return
        stored = self.record.get()
        doc = json.loads(stored[0]) if stored is not None else {}
        with self._lock:
            self._offset_ms = int(doc.get("offset_ms", 0))
            self._delay_ms = int(doc.get("creation_delay_ms", 0))

    def now_ms(self) -> int:
        with self._lock:
            offset = self._offset_ms
        return int(time.time() * 1000) + offset

    def creation_delay_ms(self) -> int:
        """Test-only: how long a snapshot creation waits before it starts writing (0 in production)."""
        with self._lock:
            return self._delay_ms if self.test_clock else 0

    def status(self) -> dict[str, Any]:
        with self._lock:
            offset, delay = self._offset_ms, self._delay_ms
        real = int(time.time() * 1000)
        return {"now": real + offset, "real_now": real, "offset_ms": offset, "creation_delay_ms": delay}

    def update(
        self, *, advance_ms: int | None = None, offset_ms: int | None = None, creation_delay_ms: int | None = None
    ) -> dict[str, Any]:
        """Change the shared offset/delay in one CAS txn (retried on a concurrent change)."""
        for _ in range(MAX_RETRIES):
            stored = self.record.get()
            doc = json.loads(stored[0]) if stored is not None else {"offset_ms": 0, "creation_delay_ms": 0}
            if offset_ms is not None:
                doc["offset_ms"] = offset_ms
            if advance_ms is not None:
                doc["offset_ms"] = int(doc.get("offset_ms", 0)) + advance_ms
            if creation_delay_ms is not None:
                doc["creation_delay_ms"] = creation_delay_ms
            value = json.dumps(doc, sort_keys=True).encode()
            if self.record.put(value, stored[1] if stored is not None else 0):
                self.refresh()
                return self.status()
        raise RuntimeError("the SM test clock kept changing; try again")
