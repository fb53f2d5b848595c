"""Process plumbing shared by the long-running commands (``agent`` in cli.py, ``backup-sidecar``)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import Any


def setup_logging(level: str) -> None:
    """Log to stderr at ``level`` (Nomad's names: TRACE, DEBUG, INFO, WARN, ERROR); urllib3 at WARNING."""
    level = level.upper()
    py_level = {"TRACE": logging.DEBUG, "WARN": logging.WARNING}.get(level, getattr(logging, level, logging.INFO))
    logging.basicConfig(level=py_level, stream=sys.stderr, format="%(asctime)s [%(levelname)s] %(name)s: %(message)s")
    logging.getLogger("urllib3").setLevel(logging.WARNING)


def wait_for_signal() -> None:
    """Block until SIGTERM or SIGINT (both are handled from now on)."""
    stop = threading.Event()

    def handle(signum: int, _frame: Any) -> None:
        logging.getLogger("raftops").info("caught signal %s, shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    while not stop.wait(0.5):
        pass


__all__ = ["setup_logging", "wait_for_signal"]
