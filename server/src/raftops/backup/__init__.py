"""The backup sidecar: etcd-operator's backup service (v0.4-v0.6) for a raftops cluster.

``raftops backup-sidecar`` is a separate process that takes snapshots through the agents'
snapshot API on a schedule, skips them while the replicated state has not changed, keeps
``max_backups`` of them in a directory or an S3 bucket, and serves them over etcd-operator's
HTTP API (``/v1/backupnow``, ``/v1/backup``, ``/v1/status``) plus Prometheus ``/metrics``.

Modules: ``names`` (file names, versions, Go formatting: pure logic), ``config``, ``agents``
(the HTTP client side), ``storage`` (backups on a repository), ``service`` (the loop),
``metrics``, ``api`` (the HTTP side) and ``sidecar`` (process wiring).
"""
