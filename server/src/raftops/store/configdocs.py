"""The cluster's singleton configuration documents (autopilot, scheduler, license): where each lives.

raftops.cluster.configs describes each document (fields, defaults, Go names) and names it; this module
is the one place that maps a name to its state path. A record's ``create_index``/``modify_index`` are
the key's create/mod revisions (Nomad's ``CreateIndex``/``ModifyIndex``).
"""

from __future__ import annotations

from .records import Outcome, Record
from .state import StateStore

AUTOPILOT = "autopilot"
SCHEDULER = "scheduler"
LICENSE = "license"

PATHS = {
    AUTOPILOT: "operator/autopilot",
    SCHEDULER: "operator/scheduler",
    LICENSE: "operator/license",
}
# The state paths, for tests and the local-cluster harness that look at the state directly.
AUTOPILOT_PATH = PATHS[AUTOPILOT]
SCHEDULER_PATH = PATHS[SCHEDULER]
LICENSE_PATH = PATHS[LICENSE]


class ConfigDocuments:
    """Reads and CAS writes of the configuration documents, by name."""

    def __init__(self, state: StateStore):
        self.state = state

    def get(self, name: str) -> Record | None:
        item = self.state.get(PATHS[name])
        return Record(name, item.value, item.create_index, item.modify_index) if item is not None else None

    def put(self, name: str, value: bytes, *, cas: int | None = None) -> Outcome:
        """Write the whole document; with ``cas``, only if its mod revision is still ``cas`` (0: if it does
        not exist). A failed CAS reports the document as it is."""
        res = self.state.put(PATHS[name], value, cas=cas)
        current = res.current
        return Outcome(
            res.succeeded,
            res.index,
            Record(name, current.value, current.create_index, current.modify_index) if current else None,
        )

    def etcd_revision(self) -> int:
        """etcd's current revision: what a write that did nothing reports."""
        return self.state.etcd_revision()
