"""Snapshots of the raftops state: the archive format (``archive``), the state.bin codec
(``statebin``) and the save/restore operations on a running cluster (``service``).

The archive module is the one place that writes, verifies and reads snapshot archives; the
HTTP API, the CLI, the SM executor and the backup sidecar all go through it.
"""
