"""Snapshot management's repositories: where SM policies, their executor metadata, snapshot repository
definitions, notification channels, in-progress snapshot markers and the test clock live in etcd.

Every class here stores and returns plain records (bytes and revisions); raftops.sm parses them into
its domain types. The layout:

- ``sm/policies/<name>``: a policy document, ``sm/metadata/<name>``: its executor state (state paths,
  in the current data generation);
- ``sm/repositories/<name>``: a snapshot repository definition (state path);
- ``notifications/configs/<id>``: a notification channel, the id percent-encoded (upstream ids may
  contain ``/``) (state path);
- ``/raftops-ephemeral/v1/sm/running/<repository>/<blob base>``: a snapshot being created, on the
  creating agent's liveness lease (ephemeral: not state, not in snapshots);
- ``/raftops/v1/cluster/sm-test-clock``: the test clock's shared offset (cluster metadata, outside the
  data generations).
"""

from __future__ import annotations

from urllib.parse import quote

from .keys import EPHEMERAL
from .records import Outcome, Record
from .records import record as _record
from .records import records as _records
from .state import Condition, StateStore, Write

POLICIES = "sm/policies/"
METADATA = "sm/metadata/"
REPOSITORIES = "sm/repositories/"
CHANNELS = "notifications/configs/"
RUNNING = EPHEMERAL + b"sm/running/"
TEST_CLOCK = b"sm-test-clock"  # under the cluster metadata (StateStore.cluster_*)


class SMPolicies:
    """SM policy documents and their executor metadata (raftops.sm.store parses both)."""

    def __init__(self, state: StateStore):
        self.state = state

    def raft_term(self) -> int:
        """etcd's raft term now: stored with a policy as its ``_primary_term``."""
        return self.state.etcd.status().raft_term

    def get(self, name: str) -> Record | None:
        item = self.state.get(POLICIES + name)
        return _record(item, POLICIES) if item is not None else None

    def list(self) -> list[Record]:
        _, items = self.state.list(POLICIES)
        return _records(items, POLICIES)

    def load_all(self) -> tuple[list[Record], list[Record]]:
        """Every policy and every metadata record, read at one revision (one request)."""
        _, (policies, metadata) = self.state.read_many([(POLICIES, True), (METADATA, True)])
        return _records(policies, POLICIES), _records(metadata, METADATA)

    def metadata(self) -> list[Record]:
        _, (items,) = self.state.read_many([(METADATA, True)])
        return _records(items, METADATA)

    def put(self, name: str, value: bytes, modify_index: int, *, read_back: bool = False) -> Outcome:
        """Write the policy if its mod revision is still ``modify_index`` (0: if it does not exist)."""
        path = POLICIES + name
        res = self.state.commit(
            [Condition(path, modify_index)], [Write(path, value)], read_back=path if read_back else None
        )
        return Outcome(res.succeeded, res.index, _record(res.current, POLICIES) if res.current else None)

    def delete(self, name: str, modify_index: int) -> Outcome:
        """The policy and its executor metadata in one txn, if the policy is still at ``modify_index``."""
        res = self.state.commit(
            [Condition(POLICIES + name, modify_index)],
            [Write(POLICIES + name, None), Write(METADATA + name, None)],
        )
        return Outcome(res.succeeded, res.index)

    def put_metadata(self, name: str, value: bytes, metadata_index: int, policy_index: int) -> bool:
        """Write a policy's executor metadata if neither it nor the policy changed meanwhile."""
        path = METADATA + name
        res = self.state.commit(
            [Condition(path, metadata_index), Condition(POLICIES + name, policy_index)], [Write(path, value)]
        )
        return res.succeeded


class RepositoryDefinitions:
    """Snapshot repository definitions (raftops.sm.repositories parses them)."""

    def __init__(self, state: StateStore):
        self.state = state

    def get(self, name: str) -> Record | None:
        item = self.state.get(REPOSITORIES + name)
        return _record(item, REPOSITORIES) if item is not None else None

    def list(self) -> list[Record]:
        _, items = self.state.list(REPOSITORIES)
        return _records(items, REPOSITORIES)

    def put(self, name: str, value: bytes) -> None:
        self.state.put(REPOSITORIES + name, value)

    def delete(self, name: str) -> None:
        self.state.delete(REPOSITORIES + name)


def _channel_path(config_id: str) -> str:
    return CHANNELS + quote(config_id, safe="")


class NotificationChannels:
    """Notification channel documents, by config id (raftops.sm.notifications parses them)."""

    def __init__(self, state: StateStore):
        self.state = state

    def get(self, config_id: str) -> Record | None:
        item = self.state.get(_channel_path(config_id))
        return _record(item, CHANNELS) if item is not None else None

    def list(self) -> list[Record]:
        _, items = self.state.list(CHANNELS)
        return _records(items, CHANNELS)

    def put(self, config_id: str, value: bytes, modify_index: int) -> bool:
        """Write the channel if its mod revision is still ``modify_index`` (0: if it does not exist)."""
        path = _channel_path(config_id)
        return self.state.commit([Condition(path, modify_index)], [Write(path, value)]).succeeded

    def delete(self, config_ids: list[str], expected: dict[str, int]) -> bool:
        """Delete the channels ``config_ids`` in one txn, if each of ``expected`` (config id -> mod revision)
        is unchanged."""
        conditions = [Condition(_channel_path(cid), index) for cid, index in expected.items()]
        return self.state.commit(conditions, [Write(_channel_path(cid), None) for cid in config_ids]).succeeded


class RunningSnapshots:
    """The markers of snapshots being created, one per snapshot, on the creating agent's lease."""

    def __init__(self, state: StateStore):
        self.etcd = state.etcd  # the markers are ephemeral keys, outside the data generations

    @staticmethod
    def _prefix(repository: str) -> bytes:
        return RUNNING + repository.encode() + b"/"

    def list(self, repository: str) -> list[bytes]:
        """The marker values of ``repository``'s snapshots in progress, on any agent."""
        return [kv.value for kv in self.etcd.range(self._prefix(repository), prefix=True).kvs]

    def put(self, repository: str, blob_base: str, value: bytes, lease_id: int) -> None:
        self.etcd.put(self._prefix(repository) + blob_base.encode(), value, lease=lease_id)

    def delete(self, repository: str, blob_base: str) -> None:
        self.etcd.delete(self._prefix(repository) + blob_base.encode())


class TestClockRecord:
    """The SM test clock's shared document (cluster metadata: not state, not in snapshots)."""

    __test__ = False  # not a pytest class

    def __init__(self, state: StateStore):
        self.state = state

    def get(self) -> tuple[bytes, int] | None:
        """(value, mod revision), or None when no test clock was ever set."""
        kv = self.state.cluster_get(TEST_CLOCK)
        return (kv.value, kv.mod_revision) if kv is not None else None

    def put(self, value: bytes, mod_revision: int) -> bool:
        """Write if the record's mod revision is still ``mod_revision`` (0: if it does not exist)."""
        return self.state.cluster_cas(TEST_CLOCK, value, mod_revision)
