"""The autopilot configuration as health and autopilot actions read it.

The document (raftops.store.configdocs, by name) is JSON with Nomad's field names and
durations as Go duration strings (the wire form of ``GET /v1/operator/autopilot/configuration``).
When it is absent, Nomad's defaults apply (nomad/config.go DefaultConfig, in raftops.cluster.configs).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from .. import godur
from ..store.configdocs import ConfigDocuments
from ..store.state import StateStore
from .configs import AUTOPILOT

log = logging.getLogger(__name__)

# The document's fields and Nomad's defaults (wire form) have one home: raftops.cluster.configs; where it
# is stored, raftops.store.configdocs.
DEFAULTS: dict[str, Any] = AUTOPILOT.defaults()


@dataclass(frozen=True)
class AutopilotSettings:
    cleanup_dead_servers: bool = DEFAULTS["CleanupDeadServers"]
    last_contact_threshold: float = godur.parse(DEFAULTS["LastContactThreshold"])  # seconds
    max_trailing_logs: int = DEFAULTS["MaxTrailingLogs"]
    min_quorum: int = DEFAULTS["MinQuorum"]
    server_stabilization_time: float = godur.parse(DEFAULTS["ServerStabilizationTime"])  # seconds

    @classmethod
    def from_document(cls, doc: dict[str, Any] | None) -> AutopilotSettings:
        """Settings from the stored document; a missing or unreadable field keeps Nomad's default."""
        base = cls()
        if not doc:
            return base
        return cls(
            cleanup_dead_servers=_field(doc, "CleanupDeadServers", bool, base.cleanup_dead_servers),
            last_contact_threshold=_duration(doc, "LastContactThreshold", base.last_contact_threshold),
            max_trailing_logs=_field(doc, "MaxTrailingLogs", int, base.max_trailing_logs),
            min_quorum=_field(doc, "MinQuorum", int, base.min_quorum),
            server_stabilization_time=_duration(doc, "ServerStabilizationTime", base.server_stabilization_time),
        )


def load(state: StateStore) -> AutopilotSettings:
    item = ConfigDocuments(state).get(AUTOPILOT.name)
    if item is None:
        return AutopilotSettings()
    try:
        doc = json.loads(item.value)
    except ValueError:
        log.warning("the stored autopilot configuration is not JSON; using the defaults")
        return AutopilotSettings()
    return AutopilotSettings.from_document(doc if isinstance(doc, dict) else None)


def _field(doc: dict[str, Any], name: str, typ: type, default: Any) -> Any:
    value = doc.get(name, default)
    # bool is an int in Python: keep the two apart as Go's JSON decoder does.
    if isinstance(value, typ) and (typ is bool or not isinstance(value, bool)):
        return value
    log.warning("autopilot configuration field %s=%r is not a %s; using %r", name, value, typ.__name__, default)
    return default


def _duration(doc: dict[str, Any], name: str, default: float) -> float:
    value = doc.get(name)
    if value is None:
        return default
    if isinstance(value, str):
        try:
            return godur.parse(value)
        except ValueError as exc:
            log.warning("autopilot configuration field %s: %s; using the default", name, exc)
            return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value / godur.SECOND  # Go's time.Duration as a JSON number is nanoseconds
    log.warning("autopilot configuration field %s=%r is not a duration; using the default", name, value)
    return default
