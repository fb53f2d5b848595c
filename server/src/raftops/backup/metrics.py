"""Prometheus metrics of the backup sidecar, in a registry of its own (``GET /metrics``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # the text format generate_latest writes


class BackupMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.last_success = Gauge(
            "raftops_backup_last_success_timestamp_seconds",
            "Unix time of the last backup written and verified (0: none by this process)",
            registry=r,
        )
        self.last_attempt = Gauge(
            "raftops_backup_last_attempt_timestamp_seconds",
            "Unix time of the last attempt (backup or skip)",
            registry=r,
        )
        self.duration = Gauge(
            "raftops_backup_last_duration_seconds", "Seconds the last written backup took, end to end", registry=r
        )
        self.size = Gauge("raftops_backup_last_size_bytes", "Size of the last written backup", registry=r)
        self.revision = Gauge(
            "raftops_backup_last_revision", "State revision of the latest backup in storage", registry=r
        )
        self.successes = Counter("raftops_backup_success", "Backups written and verified", registry=r)
        self.failures = Counter(
            "raftops_backup_failures", "Attempts that failed (see /v1/status lastError)", registry=r
        )
        self.skipped = Counter(
            "raftops_backup_skipped", "Attempts skipped because the state revision had not changed", registry=r
        )
        self.purged = Counter("raftops_backup_purged", "Backups deleted by retention (max_backups)", registry=r)
        self.stored = Gauge("raftops_backup_stored_backups", "Backups in storage at the last look", registry=r)
        self.stored_bytes = Gauge("raftops_backup_stored_bytes", "Total size of the backups in storage", registry=r)

    def text(self) -> bytes:
        return generate_latest(self.registry)
