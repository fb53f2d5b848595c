"""``raftops backup-sidecar``: wire the config, storage, agents, loop and HTTP server together."""

from __future__ import annotations

import logging
import os
import threading

from cheroot import wsgi

from .. import __version__
from ..repository import RepositoryError, open_repository
from .agents import AgentPool
from .api import SidecarAPI
from .config import SidecarConfig
from .metrics import BackupMetrics
from .service import TEST_WRITE_DELAY_ENV, BackupService
from .storage import BackupStore

log = logging.getLogger("raftops.backup")


class SidecarStartError(Exception):
    """The sidecar cannot start; the message says why."""


class Sidecar:
    def __init__(self, config: SidecarConfig):
        self.config = config
        try:
            if config.storage_kind == "s3":
                repository = open_repository("s3", config.s3.repository_settings())
            else:
                repository = open_repository("fs", {"location": config.dir})
        except RepositoryError as exc:
            raise SidecarStartError(f"cannot open storage {config.describe_storage()}: {exc}") from exc
        self.tmp_dir = self._tmp_dir()
        self.store = BackupStore(repository, tmp_dir=self.tmp_dir)
        self.agents = AgentPool(config.addr, config.token, config.tls)
        try:
            delay = float(os.environ.get(TEST_WRITE_DELAY_ENV) or 0)
        except ValueError:
            raise SidecarStartError(f"{TEST_WRITE_DELAY_ENV} must be a number of seconds") from None
        if delay > 0:
            log.warning(
                "%s=%s: backups are written slowly on purpose (a test-only setting)", TEST_WRITE_DELAY_ENV, delay
            )
        self.service = BackupService(
            self.agents,
            self.store,
            interval=config.interval,
            max_backups=config.max_backups,
            metrics=BackupMetrics(),
            tmp_dir=self.tmp_dir,
            test_write_delay=delay,
        )
        self.api = SidecarAPI(self.service, self.store)
        self._http: wsgi.Server | None = None

    def _tmp_dir(self) -> str | None:
        """Downloads are spooled here: tmp_dir, else the storage directory's .tmp (same disk), else $TMPDIR."""
        path = self.config.tmp_dir or (os.path.join(self.config.dir, ".tmp") if self.config.dir else "")
        if not path:
            return None
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise SidecarStartError(f"cannot create the temporary directory {path}: {exc.strerror}") from exc
        return path

    def start(self) -> None:
        try:
            self.service.prepare()
        except RepositoryError as exc:
            raise SidecarStartError(f"cannot list the backups in {self.store.describe()}: {exc}") from exc
        server = wsgi.Server(
            (self.config.bind, self.config.port),
            self.api,
            numthreads=8,
            server_name=f"raftops-backup-sidecar/{__version__}",
            timeout=60,
            shutdown_timeout=5,
        )
        try:
            server.prepare()  # binds now: a busy port fails the start, not a thread
        except OSError as exc:
            raise SidecarStartError(f"cannot listen on {self.config.bind}:{self.config.port}: {exc}") from exc
        self._http = server
        threading.Thread(target=server.serve, name="http", daemon=True).start()
        self.service.start()
        log.info(
            "backup sidecar %s listening on %s:%d; agents %s; storage %s; interval %ds; max_backups %d",
            __version__,
            self.config.bind,
            self.config.port,
            ", ".join(self.config.addr),
            self.store.describe(),
            self.config.interval,
            self.config.max_backups,
        )

    def stop(self) -> None:
        self.service.stop()
        if self._http is not None:
            self._http.stop()
