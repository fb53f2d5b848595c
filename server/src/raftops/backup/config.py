"""Sidecar configuration: a YAML/JSON file, overridden by flags, validated once.

File keys (flags in brackets)::

    addr: [http://10.0.0.1:4646, ...]      # [-addr URL[,URL...]] any healthy agent; rotate on failure
    token: <ACL secret>                     # [-token]; else RAFTOPS_TOKEN / NOMAD_TOKEN
    bind: 127.0.0.1                         # [-bind]
    port: 19999                             # [-port]
    backup_interval_in_second: 1800         # [-interval] 0 means the default, 1800
    max_backups: 0                          # [-max-backups] 0 keeps every backup
    dir: /var/lib/raftops/backups           # [-dir] local storage, or:
    s3: {bucket, prefix, endpoint, region, access_key, secret_key, session_token, path_style}
                                            # [-s3-bucket -s3-prefix -s3-endpoint -s3-region]
    tls: {ca_file, cert_file, key_file}     # HTTPS to the agents
    http_tls: {cert_file, key_file, ca_file} # serve HTTPS; client certificates signed by ca_file
                                            # are accepted as credentials [-http-tls-cert ...]
    insecure_no_auth: false                 # [-insecure-no-auth] serve without authentication (warns)
    tmp_dir: ...                            # where a download is spooled before it is stored
    log_level: INFO                         # [-log-level]

Secrets (``token``, ``s3.secret_key``, ``s3.session_token``) never appear in logs or errors.

Callers of the sidecar's API authenticate (a backup holds every secret of the cluster): an ACL
token in ``X-Nomad-Token`` or ``Authorization: Bearer`` (management for ``/v1/backup`` and
``/v1/backupnow``, operator:read for ``/v1/status``), checked against the agents, or a client
certificate that ``http_tls.ca_file`` signed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import LOG_LEVELS, ConfigError, load_file

DEFAULT_PORT = 19999  # etcd-operator's DefaultBackupPodHTTPPort
DEFAULT_INTERVAL = 1800  # etcd-operator's DefaultSnapshotInterval, seconds
DEFAULT_BIND = "127.0.0.1"  # backups hold every ACL secret: expose the port deliberately

S3_KEYS = ("bucket", "prefix", "endpoint", "region", "access_key", "secret_key", "session_token", "path_style")
TLS_KEYS = ("ca_file", "cert_file", "key_file")
TOP_KEYS = (
    "addr",
    "token",
    "bind",
    "port",
    "backup_interval_in_second",
    "max_backups",
    "dir",
    "s3",
    "tls",
    "tmp_dir",
    "log_level",
    "http_tls",
    "insecure_no_auth",
)


@dataclass
class S3Settings:
    bucket: str = ""
    prefix: str = ""
    endpoint: str = ""
    region: str = ""
    access_key: str = ""
    secret_key: str = field(default="", repr=False)
    session_token: str = field(default="", repr=False)
    path_style: bool = False

    def repository_settings(self) -> dict[str, Any]:
        """The repository layer's S3 settings; empty credentials fall back to boto3's chain (env, files)."""
        settings: dict[str, Any] = {"bucket": self.bucket, "base_path": self.prefix}
        for key, value in (
            ("endpoint", self.endpoint),
            ("region", self.region),
            ("access_key", self.access_key),
            ("secret_key", self.secret_key),
            ("session_token", self.session_token),
        ):
            if value:
                settings[key] = value
        if self.path_style:
            settings["path_style_access"] = "true"
        return settings


@dataclass
class SidecarConfig:
    addr: list[str] = field(default_factory=list)
    token: str | None = field(default=None, repr=False)
    bind: str = DEFAULT_BIND
    port: int = DEFAULT_PORT
    backup_interval_in_second: int = 0
    max_backups: int = 0
    dir: str = ""
    s3: S3Settings = field(default_factory=S3Settings)
    tls: dict[str, str] = field(default_factory=dict)
    tmp_dir: str = ""
    log_level: str = "INFO"
    http_tls: dict[str, str] = field(default_factory=dict)
    insecure_no_auth: bool = False

    @property
    def interval(self) -> int:
        """Seconds between periodic attempts: 0 means etcd-operator's default."""
        return self.backup_interval_in_second or DEFAULT_INTERVAL

    @property
    def storage_kind(self) -> str:
        return "s3" if self.s3.bucket else "fs"

    def describe_storage(self) -> str:
        if self.s3.bucket:
            return f"s3://{self.s3.bucket}/{self.s3.prefix.strip('/')}"
        return self.dir

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | None, overrides: dict[str, Any] | None = None) -> SidecarConfig:
        """``overrides`` uses file keys, with ``s3`` a partial mapping; None values are ignored."""
        raw = load_file(path) if path else {}
        unknown = sorted(set(raw) - set(TOP_KEYS))
        if unknown:
            raise ConfigError(f"unknown configuration keys: {', '.join(unknown)}")
        for key, value in (overrides or {}).items():
            if value is None:
                continue
            if key == "s3":
                merged = dict(_mapping(raw.get("s3"), "s3"))
                merged.update({k: v for k, v in value.items() if v is not None})
                raw["s3"] = merged
            else:
                raw[key] = value
        cfg = cls.from_dict(raw)
        cfg.validate()
        return cfg

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SidecarConfig:
        cfg = cls()
        for key, value in raw.items():
            if key == "addr":
                cfg.addr = _url_list(value)
            elif key == "s3":
                s3 = _mapping(value, "s3")
                bad = sorted(set(s3) - set(S3_KEYS))
                if bad:
                    raise ConfigError(f"unknown keys in s3: {', '.join(bad)}")
                cfg.s3 = S3Settings(
                    **{k: _bool(f"s3.{k}", v) if k == "path_style" else _str(v) for k, v in s3.items() if v is not None}
                )
            elif key in ("tls", "http_tls"):
                tls = _mapping(value, key)
                bad = sorted(set(tls) - set(TLS_KEYS))
                if bad:
                    raise ConfigError(f"unknown keys in {key}: {', '.join(bad)}")
                setattr(cfg, key, {k: _str(v) for k, v in tls.items() if v})
            elif key == "insecure_no_auth":
                cfg.insecure_no_auth = _bool(key, value)
            elif key in ("port", "backup_interval_in_second", "max_backups"):
                setattr(cfg, key, _int(key, value))
            elif key == "token":
                cfg.token = None if value is None else _str(value)
            else:
                setattr(cfg, key, _str(value))
        return cfg

    def validate(self) -> None:
        if not self.addr:
            raise ConfigError("addr must name at least one raftops agent URL (e.g. http://127.0.0.1:4646)")
        for url in self.addr:
            if not url.startswith(("http://", "https://")):
                raise ConfigError(f"agent address {url!r} must be an http:// or https:// URL")
        if not 0 < self.port < 65536:
            raise ConfigError(f"port {self.port} is not a TCP port")
        if self.backup_interval_in_second < 0:
            raise ConfigError("backup_interval_in_second must be >= 0 (0 means the default, 1800)")
        if self.max_backups < 0:
            raise ConfigError("MaxBackups value should be >= 0")  # etcd-operator's BackupPolicy.Validate
        if self.dir and self.s3.bucket:
            raise ConfigError("set either dir (local storage) or s3.bucket, not both")
        if not self.dir and not self.s3.bucket:
            raise ConfigError("no storage: set dir (a local directory) or s3.bucket")
        if self.dir and not os.path.isabs(self.dir):
            raise ConfigError(f"dir {self.dir!r} must be an absolute path")
        if self.tmp_dir and not os.path.isabs(self.tmp_dir):
            raise ConfigError(f"tmp_dir {self.tmp_dir!r} must be an absolute path")
        if self.log_level.upper() not in LOG_LEVELS:
            raise ConfigError(f"log_level must be one of {', '.join(LOG_LEVELS)}")
        for section in ("tls", "http_tls"):
            tls = getattr(self, section)
            if bool(tls.get("cert_file")) != bool(tls.get("key_file")):
                raise ConfigError(f"{section} needs both cert_file and key_file")
            for name in TLS_KEYS:
                value = tls.get(name)
                if value and not Path(value).is_file():
                    raise ConfigError(f"{section}.{name}: file {value} does not exist")
        if self.http_tls.get("ca_file") and not self.http_tls.get("cert_file"):
            raise ConfigError("http_tls.ca_file (client certificates) needs http_tls.cert_file and key_file: HTTPS")


def _mapping(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be a mapping")
    return value


def _url_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError("addr must be a list of URLs or a comma-separated string")
    return [v.strip().rstrip("/") for v in value if v.strip()]


def _str(value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise ConfigError(f"expected a string, got {type(value).__name__}")
    return str(value)


def _int(key: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{key}: expected an integer, got {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key}: expected an integer, got {value!r}") from None


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "1", "yes", "on"):
        return True
    if str(value).lower() in ("false", "0", "no", "off", ""):
        return False
    raise ConfigError(f"{key}: expected true or false, got {value!r}")
