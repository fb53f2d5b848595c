"""``raftops backup-sidecar``: wire the config, storage, agents, loop and HTTP server together."""

from __future__ import annotations

import logging
import os

from .. import __version__
from ..httpfront import FrontLimits, HTTPFront, TLSFiles
from ..repository import RepositoryError, open_repository
from .agents import AgentPool
from .api import SidecarAPI
from .auth import SidecarAuth
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
        if config.insecure_no_auth:
            log.warning(
                "insecure_no_auth: the sidecar API answers anyone who reaches %s:%d, and a backup holds every "
                "secret of the cluster",
                config.bind,
                config.port,
            )
        self.api = SidecarAPI(self.service, self.store, SidecarAuth(self.agents, disabled=config.insecure_no_auth))
        self._http: HTTPFront | None = None

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
        http_tls = self.config.http_tls
        tls = None
        if http_tls.get("cert_file"):
            tls = TLSFiles(
                http_tls["cert_file"], http_tls["key_file"], http_tls.get("ca_file", ""), verify_client=False
            )
        try:
            server = HTTPFront(
                self.api,
                self.config.bind,
                self.config.port,
                # Requests carry no bodies worth the name (a form value at most); downloads stream out.
                limits=FrontLimits(max_conns=1024, max_conns_per_client=64, max_body_bytes=64 * 1024, workers=8),
                tls=tls,
                priority_paths=("/metrics",),
                registry=self.service.metrics.registry,
                name="sidecar-http",
            )  # binds now: a busy port fails the start, not a thread
        except (OSError, ValueError) as exc:
            raise SidecarStartError(f"cannot listen on {self.config.bind}:{self.config.port}: {exc}") from exc
        server.start()
        self._http = server
        self.service.start()
        log.info(
            "backup sidecar %s listening on %s://%s:%d; agents %s; storage %s; interval %ds; max_backups %d",
            __version__,
            "https" if tls else "http",
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
