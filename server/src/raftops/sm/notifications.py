"""Notification channels (OpenSearch notifications plugin, webhook type) and sending to them.

A channel is a state document (raftops.store.sm.NotificationChannels, by id):
``{"config_id", "created_time_ms", "last_updated_time_ms", "config": {...}}``.
A webhook gets the bare message as its body, with the channel's ``header_params`` or, when it has
none, ``Content-type: application/json``: what upstream's custom webhook destination sends.

Header values are write-only (they often carry an ``Authorization`` secret): the API never returns
them, only :func:`header_mask` of each, ``<hidden:sha256:HEX>`` with HEX the SHA-256 of
``raftops-webhook-header NUL <config_id> NUL <header name> NUL <value>`` (salted with the channel and
the header, so equal secrets do not look equal). A client that knows the value it wants computes the
same mask to see whether the channel already holds it; a write that sends a channel's current mask
back for a header keeps that header's value (so a read-modify-write does not need the secret).
Sending happens on a small thread pool, with a bounded retry (3 attempts, 1 s then 2 s apart,
5 s timeout each), so a slow receiver never holds up the executor.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import urllib3

from ..errors import UpstreamError, illegal_argument, status_exception, version_conflict
from ..store.sm import NotificationChannels, Record
from ..store.state import StateStore
from . import schema
from .names import check_doc_id

CONFIG_INDEX = ".opensearch-notifications-config"
VALID_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/_-")
METHODS = ("POST", "PUT", "PATCH")
SEND_ATTEMPTS = 3
SEND_TIMEOUT_S = 5.0
BACKOFF_S = (1.0, 2.0)

MASK_PREFIX = "<hidden:sha256:"
MASK_RE = re.compile(r"<hidden:sha256:[0-9a-f]{64}>")
MASK_SALT = "raftops-webhook-header"
HEADER_NAME_CHARS = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

log = logging.getLogger(__name__)


def header_mask(config_id: str, name: str, value: str) -> str:
    """What the API shows instead of a header value (see the module docstring)."""
    digest = hashlib.sha256("\x00".join((MASK_SALT, config_id, name, value)).encode()).hexdigest()
    return f"{MASK_PREFIX}{digest}>"


def is_mask(value: Any) -> bool:
    return isinstance(value, str) and MASK_RE.fullmatch(value) is not None


def masked_config(config_id: str, config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with every webhook header value replaced by its mask."""
    webhook = config.get("webhook")
    if not isinstance(webhook, dict) or not isinstance(webhook.get("header_params"), dict):
        return config
    headers = {name: header_mask(config_id, name, str(value)) for name, value in webhook["header_params"].items()}
    return {**config, "webhook": {**webhook, "header_params": headers}}


def not_found(config_id: str) -> UpstreamError:
    return status_exception(404, f"NotificationConfig {config_id} not found")


@dataclass(frozen=True)
class Channel:
    config_id: str
    created_time_ms: int
    last_updated_time_ms: int
    config: dict[str, Any]
    modify_index: int = 0

    def info(self) -> dict[str, Any]:
        """The channel as the API returns it: header values masked (never the values themselves)."""
        return {
            "config_id": self.config_id,
            "last_updated_time_ms": self.last_updated_time_ms,
            "created_time_ms": self.created_time_ms,
            "config": masked_config(self.config_id, self.config),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "config_id": self.config_id,
            "created_time_ms": self.created_time_ms,
            "last_updated_time_ms": self.last_updated_time_ms,
            "config": self.config,
        }


def parse_config(doc: Any, config_id: str = "", current: dict[str, Any] | None = None) -> dict[str, Any]:
    """NotificationConfig.parse + Webhook.parse, rendered as upstream's toXContent.

    ``current``: the channel's stored config on an update, whose header values a mask sent back keeps.
    """
    if not isinstance(doc, dict):
        raise UpstreamError.parsing("Failed to parse object: expecting token of type [START_OBJECT]")
    name = config_type = webhook = None
    description = ""
    enabled = True
    for key, value in doc.items():
        if key == "name":
            name = value
        elif key == "description":
            description = str(value)
        elif key == "config_type":
            config_type = str(value)
        elif key == "is_enabled":
            enabled = schema.to_bool(value)
        elif key == "webhook" and webhook is None:
            current_headers = ((current or {}).get("webhook") or {}).get("header_params") or {}
            webhook = _webhook(value, config_id, current_headers)
    if name is None:
        raise illegal_argument("name field absent")
    if config_type is None:
        raise illegal_argument("config_type field absent")
    if not name:
        raise illegal_argument("name is null or empty")
    if config_type != "webhook":
        raise illegal_argument(f"config_type [{config_type}] is not supported: raftops sends to webhook channels only")
    if webhook is None:
        raise illegal_argument(f"ConfigType: {config_type} and data doesn't match")
    return {
        "name": name,
        "description": description,
        "config_type": config_type,
        "is_enabled": enabled,
        "webhook": webhook,
    }


def _webhook(doc: Any, config_id: str = "", current_headers: dict[str, str] | None = None) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise UpstreamError.parsing("Failed to parse object: expecting token of type [START_OBJECT]")
    url = None
    headers: dict[str, str] = {}
    method = "POST"
    for key, value in doc.items():
        if key == "url":
            url = value
        elif key == "header_params":
            headers = _headers(value or {}, config_id, current_headers or {})
        elif key == "method":
            method = str(value) if str(value) in METHODS else "POST"  # HttpMethodType.fromTagOrDefault
    if url is None:
        raise illegal_argument("url field absent")
    if not url:
        raise illegal_argument("URL is null or empty")
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise illegal_argument("Invalid URL or unsupported")
    return {"url": url, "header_params": headers, "method": method}


def _headers(given: dict[str, Any], config_id: str, current: dict[str, str]) -> dict[str, str]:
    """Header names must be HTTP tokens and values free of control characters (they are sent as they are:
    upstream would fail at the first message); a value that is the channel's current mask keeps it."""
    out: dict[str, str] = {}
    for raw_name, raw_value in given.items():
        name, value = str(raw_name), str(raw_value)
        if not name or any(c not in HEADER_NAME_CHARS for c in name):
            raise illegal_argument(f"Invalid header name [{name!r}] in header_params: it must be an HTTP token")
        if any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in value):
            raise illegal_argument(f"Invalid value for header [{name}] in header_params: control characters")
        if is_mask(value):
            kept = current.get(name)
            if kept is None or header_mask(config_id, name, kept) != value:
                raise illegal_argument(
                    f"header_params[{name}] is a mask this channel does not hold for that header: "
                    "send the value itself (values are write-only)"
                )
            value = kept
        out[name] = value
    return out


def check_id(config_id: str) -> str:
    bad = "".join(c for c in config_id if c not in VALID_ID_CHARS)
    if bad or not config_id.strip():
        raise illegal_argument(f"Invalid characters in id : {bad}")
    check_doc_id(config_id)
    return config_id


class Notifications:
    def __init__(self, state: StateStore):
        self.channels = NotificationChannels(state)
        self.http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=SEND_TIMEOUT_S))
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sm-notify")
        self.sent = 0  # delivered messages, for the metrics endpoint and tests
        self._lock = threading.Lock()

    # -- channels -----------------------------------------------------------------------------------
    def _load(self, item: Record) -> Channel:
        doc = json.loads(item.value)
        return Channel(
            doc["config_id"], doc["created_time_ms"], doc["last_updated_time_ms"], doc["config"], item.modify_index
        )

    def get(self, config_id: str) -> Channel | None:
        record = self.channels.get(config_id)
        return self._load(record) if record is not None else None

    def list(self) -> list[Channel]:
        return [self._load(r) for r in self.channels.list()]

    def create(self, body: dict[str, Any], now_ms: int) -> str:
        schema.check(schema.WEBHOOK_CONFIG, body)
        config_id = None
        raw_config = None
        for key, value in body.items():
            if key == "config_id":
                config_id = None if value is None else str(value)
            elif key == "config":
                raw_config = value
                parse_config(value, config_id or "")  # upstream's order of errors: the config as it comes
        if raw_config is None:
            raise illegal_argument("config field absent")
        if config_id is not None:
            check_id(config_id)
        else:
            config_id = uuid.uuid4().hex[:20]
        config = parse_config(raw_config, config_id)
        channel = Channel(config_id, now_ms, now_ms, config)
        if not self.channels.put(config_id, json.dumps(channel.to_json()).encode(), 0):
            raise version_conflict(
                f"[{config_id}]: version conflict, document already exists (current version [1])", CONFIG_INDEX
            )
        return config_id

    def update(self, config_id: str, body: dict[str, Any], now_ms: int) -> str:
        schema.check(schema.WEBHOOK_CONFIG, body)
        if "config" not in body:
            raise illegal_argument("config field absent")
        current = self.get(config_id)
        config = parse_config(body["config"], config_id, current.config if current is not None else None)
        if current is None:
            raise not_found(config_id)
        if current.config.get("config_type") != config["config_type"]:
            raise status_exception(409, "Config type cannot be changed after creation")
        updated = Channel(config_id, current.created_time_ms, now_ms, config)
        if not self.channels.put(config_id, json.dumps(updated.to_json()).encode(), current.modify_index):
            raise status_exception(500, "NotificationConfig Update failed")
        return config_id

    def delete(self, config_ids: list[str]) -> dict[str, str]:
        current = {cid: self.get(cid) for cid in config_ids}
        absent = [cid for cid, ch in current.items() if ch is None]
        if absent:
            if len(config_ids) == 1:
                raise not_found(config_ids[0])
            raise status_exception(404, f"NotificationConfig [{', '.join(absent)}] not found")
        expected = {cid: ch.modify_index for cid, ch in current.items() if ch is not None}
        if not self.channels.delete(config_ids, expected):
            raise status_exception(500, "NotificationConfig delete failed")
        return {cid: "OK" for cid in config_ids}

    # -- sending ------------------------------------------------------------------------------------
    def send_async(self, channel_id: str, message: str, source: str) -> None:
        self._pool.submit(self._send_logged, channel_id, message, source)

    def _send_logged(self, channel_id: str, message: str, source: str) -> None:
        try:
            self.send(channel_id, message)
        except Exception as exc:  # a failed notification is logged, never raised into the executor
            log.warning("notification for %s to channel %s failed: %s", source, channel_id, exc)

    def send(self, channel_id: str, message: str) -> None:
        channel = self.get(channel_id)
        if channel is None:
            raise RuntimeError(f"channel {channel_id} does not exist")
        if not channel.config.get("is_enabled", True):
            log.info("channel %s is muted; not sending", channel_id)
            return
        hook = channel.config["webhook"]
        headers = dict(hook.get("header_params") or {}) or {"Content-type": "application/json"}
        last = ""
        for attempt in range(SEND_ATTEMPTS):
            try:
                resp = self.http.request(
                    hook.get("method", "POST"), hook["url"], body=message.encode(), headers=headers
                )
                if 200 <= resp.status < 300:
                    with self._lock:
                        self.sent += 1
                    return
                last = f"HTTP {resp.status}"
            except urllib3.exceptions.HTTPError as exc:
                last = str(exc)
            if attempt < len(BACKOFF_S):
                time.sleep(BACKOFF_S[attempt])
        raise RuntimeError(f"webhook {hook['url']} failed after {SEND_ATTEMPTS} attempts: {last}")
