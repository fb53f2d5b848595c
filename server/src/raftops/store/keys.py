"""The key layout of raftops' state in etcd: every prefix the store layer builds its keys from.

Only ``store/`` reads this module; the rest of the server reaches etcd through the store's repositories.
"""

from __future__ import annotations

SCHEMA_VERSION = 1
ROOT = b"/raftops/v1/"
CLUSTER = ROOT + b"cluster/"
POINTER = CLUSTER + b"generation"
TOUCHED = CLUSTER + b"state-touched"  # rewritten by every state txn: its mod_revision is the state revision
SERVERS = CLUSTER + b"servers/"
DATA = ROOT + b"data/"
EPHEMERAL = b"/raftops-ephemeral/v1/"
ALIVE = EPHEMERAL + b"alive/"
ELECTIONS = EPHEMERAL + b"election/"
