"""Agent configuration: file (YAML or JSON) < environment < command-line flags, validated once."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR")


class ConfigError(ValueError):
    """The configuration is invalid; the message names the offending setting."""


@dataclass
class TLSConfig:
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    # HTTP only: require client certificates signed by ca_file. Unset means "yes when ca_file is set":
    # configuring a client CA is asking for client certificates to be checked.
    verify_https_client: bool | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.cert_file and self.key_file)

    @property
    def configured(self) -> bool:
        return bool(self.ca_file or self.cert_file or self.key_file)

    def as_dict(self) -> dict[str, str]:
        return {"ca_file": self.ca_file, "cert_file": self.cert_file, "key_file": self.key_file}


TLS_KEYS = ("ca_file", "cert_file", "key_file", "verify_https_client")


@dataclass
class LimitsConfig:
    """Bounds of the HTTP front (``limits`` in the file, in the spirit of Nomad's limits block).

    Timeouts are seconds (a number, or a Go duration such as "10s").
    """

    http_max_conns: int = 4096
    http_max_conns_per_client: int = 256
    https_handshake_timeout: float = 10.0
    http_header_timeout: float = 10.0
    http_idle_timeout: float = 60.0
    http_body_timeout: float = 30.0
    http_stream_timeout: float = 60.0
    http_max_header_bytes: int = 64 * 1024
    http_max_body_bytes: int = 16 * 1024 * 1024
    snapshot_max_bytes: int = 2 * 1024 * 1024 * 1024  # a restore's archive: etcd's default quota
    http_workers: int = 32

    def front(self):  # -> raftops.httpfront.FrontLimits (imported here to keep config import-light)
        from .httpfront.limits import FrontLimits

        return FrontLimits(
            max_conns=self.http_max_conns,
            max_conns_per_client=self.http_max_conns_per_client,
            handshake_timeout=self.https_handshake_timeout,
            header_timeout=self.http_header_timeout,
            idle_timeout=self.http_idle_timeout,
            body_timeout=self.http_body_timeout,
            stream_timeout=self.http_stream_timeout,
            max_header_bytes=self.http_max_header_bytes,
            max_body_bytes=self.http_max_body_bytes,
            workers=self.http_workers,
        )


def parse_limits(value: Any) -> LimitsConfig:
    if not isinstance(value, dict):
        raise ConfigError("limits must be a mapping")
    limits = LimitsConfig()
    known = {f.name: f.type for f in fields(LimitsConfig)}
    for key, raw in value.items():
        if key not in known:
            raise ConfigError(f"unknown key limits.{key}; known: {', '.join(sorted(known))}")
        if known[key] == "float":
            setattr(limits, key, _seconds(f"limits.{key}", raw))
        else:
            number = _coerce(f"limits.{key}", raw, int)
            if number < 1:
                raise ConfigError(f"limits.{key} must be at least 1, got {number}")
            setattr(limits, key, number)
    if limits.http_max_conns_per_client > limits.http_max_conns:
        raise ConfigError("limits.http_max_conns_per_client cannot exceed limits.http_max_conns")
    return limits


def _seconds(key: str, raw: Any) -> float:
    from . import godur

    if isinstance(raw, str) and raw and not raw.replace(".", "", 1).isdigit():
        try:
            value = godur.parse_ns(raw) / 1e9
        except ValueError as exc:
            raise ConfigError(f"{key}: {exc}") from exc
    else:
        value = _coerce(key, raw, float)
    if not 0 < value <= 86400:
        raise ConfigError(f"{key} must be a positive duration of at most a day, got {raw!r}")
    return value


@dataclass
class Config:
    node_name: str = field(default_factory=socket.gethostname)
    bind_addr: str = "0.0.0.0"
    http_port: int = 4646
    advertise_http: str = ""  # host:port other hosts use to reach this agent's API
    advertise_raft: str = ""  # the etcd peer URL host:port of the local member
    etcd_endpoints: list[str] = field(default_factory=lambda: ["http://127.0.0.1:2379"])
    etcd_timeout: float = 2.0
    etcd_tls: TLSConfig = field(default_factory=TLSConfig)
    http_tls: TLSConfig = field(default_factory=TLSConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    data_dir: str = ""
    log_level: str = "INFO"
    heartbeat_ttl: int = 10
    acl_enabled: bool = False
    license_public_key: str = ""
    dev: bool = False
    # Autopilot removes an etcd member unreachable for longer than this (seconds) when CleanupDeadServers is on.
    autopilot_dead_server_threshold: float = 300.0
    # Snapshot management (docs/api/sm.md). sm_test_clock enables POST /_plugins/_sm/_test/clock: tests only.
    sm_test_clock: bool = False
    sm_path_repo: list[str] = field(default_factory=list)  # like OpenSearch path.repo; empty = any absolute path
    sm_s3: dict[str, str] = field(default_factory=dict)  # S3 defaults and credentials: access_key, secret_key, ...

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | None = None, overrides: dict[str, Any] | None = None) -> Config:
        raw: dict[str, Any] = {}
        if path:
            raw = load_file(path)
        raw.update({k: v for k, v in (overrides or {}).items() if v is not None})
        cfg = cls.from_dict(raw)
        cfg.validate()
        return cfg

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Config:
        flat = _flatten(raw)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(flat) - known)
        if unknown:
            raise ConfigError(f"unknown configuration keys: {', '.join(unknown)}")
        cfg = cls()
        for key, value in flat.items():
            if key in ("etcd_tls", "http_tls"):
                setattr(cfg, key, _parse_tls(key, value))
            elif key == "limits":
                cfg.limits = parse_limits(value)
            elif key == "etcd_endpoints":
                if isinstance(value, str):
                    value = [v for v in value.split(",") if v]
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ConfigError("etcd_endpoints must be a list of URLs")
                cfg.etcd_endpoints = value
            else:
                setattr(cfg, key, _coerce(key, value, type(getattr(cfg, key))))
        return cfg

    def validate(self) -> None:
        if not self.node_name or any(c.isspace() for c in self.node_name):
            raise ConfigError("node_name must be a non-empty name without whitespace")
        if not 0 < int(self.http_port) < 65536:
            raise ConfigError(f"http_port {self.http_port} is not a TCP port")
        if not self.etcd_endpoints:
            raise ConfigError("etcd_endpoints must name at least one etcd client URL")
        for url in self.etcd_endpoints:
            if not url.startswith(("http://", "https://")):
                raise ConfigError(f"etcd endpoint {url!r} must be an http:// or https:// URL")
        if self.log_level.upper() not in LOG_LEVELS:
            raise ConfigError(f"log_level must be one of {', '.join(LOG_LEVELS)}")
        if self.autopilot_dead_server_threshold <= 0:
            raise ConfigError("autopilot.dead_server_threshold must be a positive number of seconds")
        if self.heartbeat_ttl < 2:
            raise ConfigError("heartbeat_ttl must be at least 2 seconds")
        self._validate_sm()
        if not self.dev and not self.data_dir:
            raise ConfigError("data_dir is required (it keeps the server ID across restarts)")
        for name in ("advertise_http", "advertise_raft"):
            value = getattr(self, name)
            if value and not _is_host_port(value):
                raise ConfigError(f"{name} must be host:port, got {value!r}")
        for tls_name in ("etcd_tls", "http_tls"):
            tls: TLSConfig = getattr(self, tls_name)
            if bool(tls.cert_file) != bool(tls.key_file):
                raise ConfigError(f"{tls_name} needs both cert_file and key_file")
            for f in (tls.ca_file, tls.cert_file, tls.key_file):
                if f and not Path(f).is_file():
                    raise ConfigError(f"{tls_name}: file {f} does not exist")
        if self.etcd_tls.verify_https_client is not None:
            raise ConfigError("etcd.tls.verify_https_client is not a setting: etcd checks client certificates itself")
        if self.etcd_tls.configured and not all(u.startswith("https://") for u in self.etcd_endpoints):
            raise ConfigError("etcd.tls is set, so every etcd endpoint must be an https:// URL")
        http = self.http_tls
        if http.configured and not http.enabled:
            raise ConfigError("tls.http needs cert_file and key_file to serve HTTPS")
        if http.verify_https_client is None:
            http.verify_https_client = bool(http.ca_file)
        if http.verify_https_client and not http.ca_file:
            raise ConfigError("tls.http.verify_https_client needs ca_file: the CA that signs the client certificates")

    def _validate_sm(self) -> None:
        if isinstance(self.sm_path_repo, str):
            self.sm_path_repo = [p for p in self.sm_path_repo.split(",") if p]
        if not isinstance(self.sm_path_repo, list) or not all(
            isinstance(p, str) and p.startswith("/") for p in self.sm_path_repo
        ):
            raise ConfigError("sm.path_repo must be a list of absolute directory paths")
        allowed = {"access_key", "secret_key", "session_token", "region", "endpoint", "path_style_access", "bucket"}
        if not isinstance(self.sm_s3, dict):
            raise ConfigError("sm.s3 must be a mapping")
        bad = sorted(set(self.sm_s3) - allowed)
        if bad:
            raise ConfigError(f"unknown keys in sm.s3: {', '.join(bad)}")
        self.sm_s3 = {k: str(v) for k, v in self.sm_s3.items()}

    @property
    def http_address(self) -> str:
        if self.advertise_http:
            return self.advertise_http
        host = self.bind_addr if self.bind_addr not in ("0.0.0.0", "::", "") else socket.gethostname()
        return f"{host}:{self.http_port}"

    def public_dict(self) -> dict[str, Any]:
        """The configuration as /v1/agent/self shows it (no secrets are held here)."""
        return {
            "NodeName": self.node_name,
            "BindAddr": self.bind_addr,
            "Ports": {"HTTP": self.http_port},
            "AdvertiseAddrs": {"HTTP": self.http_address, "RPC": self.advertise_raft},
            "DataDir": self.data_dir,
            "LogLevel": self.log_level.upper(),
            "DevMode": self.dev,
            "ACL": {"Enabled": self.acl_enabled},
            "TLSConfig": {
                "EnableHTTP": self.http_tls.enabled,
                "VerifyHTTPSClient": bool(self.http_tls.verify_https_client),
                "EnableEtcd": self.etcd_tls.configured,
            },
            "Etcd": {"Endpoints": list(self.etcd_endpoints)},
        }


def _parse_tls(key: str, value: Any) -> TLSConfig:
    if not isinstance(value, dict):
        raise ConfigError(f"{key} must be a mapping with ca_file, cert_file, key_file")
    bad = set(value) - set(TLS_KEYS)
    if bad:
        raise ConfigError(f"unknown keys in {key}: {', '.join(sorted(bad))}")
    tls = TLSConfig(**{k: str(v) for k, v in value.items() if k != "verify_https_client" and v is not None})
    if value.get("verify_https_client") is not None:
        tls.verify_https_client = _coerce(f"{key}.verify_https_client", value["verify_https_client"], bool)
    return tls


def load_file(path: str) -> dict[str, Any]:
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML/JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping")
    return data


# Nested keys in files map to flat settings, in the spirit of Nomad's agent config.
_NESTED = {
    ("ports", "http"): "http_port",
    ("advertise", "http"): "advertise_http",
    ("advertise", "raft"): "advertise_raft",
    ("etcd", "endpoints"): "etcd_endpoints",
    ("etcd", "timeout"): "etcd_timeout",
    ("etcd", "tls"): "etcd_tls",
    ("tls", "http"): "http_tls",
    ("acl", "enabled"): "acl_enabled",
    ("license", "public_key"): "license_public_key",
    ("autopilot", "dead_server_threshold"): "autopilot_dead_server_threshold",
    ("sm", "test_clock"): "sm_test_clock",
    ("sm", "path_repo"): "sm_path_repo",
    ("sm", "s3"): "sm_s3",
}


def _flatten(raw: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict) and any(k[0] == key for k in _NESTED):
            for sub, subval in value.items():
                target = _NESTED.get((key, sub))
                if target is None:
                    raise ConfigError(f"unknown configuration key {key}.{sub}")
                flat[target] = subval
        else:
            flat[key] = value
    return flat


def _coerce(key: str, value: Any, typ: type) -> Any:
    try:
        if typ is bool:
            if isinstance(value, str):
                if value.lower() in ("true", "1", "yes", "on"):
                    return True
                if value.lower() in ("false", "0", "no", "off"):
                    return False
                raise ValueError(value)
            return bool(value)
        if typ is int:
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if typ is float:
            return float(value)
        if typ is str:
            return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{key}: expected {typ.__name__}, got {value!r}") from exc
    return value


def _is_host_port(value: str) -> bool:
    host, sep, port = value.rpartition(":")
    return bool(sep and host and port.isdigit() and 0 < int(port) < 65536)


def env_overrides() -> dict[str, Any]:
    """RAFTOPS_* environment settings that override the file (flags override these)."""
    mapping = {
        "RAFTOPS_NODE_NAME": "node_name",
        "RAFTOPS_DATA_DIR": "data_dir",
        "RAFTOPS_LOG_LEVEL": "log_level",
        "RAFTOPS_ETCD_ENDPOINTS": "etcd_endpoints",
    }
    return {key: os.environ[env] for env, key in mapping.items() if os.environ.get(env)}
