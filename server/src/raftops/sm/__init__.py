"""Snapshot management (SM): OpenSearch's snapshot-management policies on raftops.

* ``policy``/``schema``: the policy document, its validation (jsonschema plus upstream's checks) and rendering;
* ``cron``, ``timevalue``, ``datefmt``: cron schedules, OpenSearch TimeValues, Java date patterns;
* ``metadata``/``statemachine``: the per-policy workflow state and upstream's state machine;
* ``store``: policies and metadata in the state store (``sm/policies/<name>``, ``sm/metadata/<name>``);
* ``repositories``/``snapshots``: repository definitions (``sm/repositories/<name>``) and the snapshots in them;
* ``notifications``: webhook channels (``notifications/configs/<id>``) and sending;
* ``executor``: the cluster duty that runs every enabled policy; ``clock``: the one place it reads time.
"""
