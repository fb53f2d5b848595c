"""Backup names, versions and the Go formatting the sidecar's wire format needs (pure logic).

etcd-operator (v0.5.2 pkg/backup/util.go, version.go) names a backup
``fmt.Sprintf("%s_%016x_%s", version, rev, "etcd.backup")``, counts a name as a backup when it
ends in ``etcd.backup`` and its second ``_`` field parses as a hex int64, and sorts backups by
that revision. The version is the etcd server version; ``/v1/backup?etcdVersion=`` checks it
against the compatibility rule below (docs/backup-sidecar.md).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

SUFFIX = "etcd.backup"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_DIGITS = {10: re.compile(r"[+-]?[0-9]+"), 16: re.compile(r"[+-]?[0-9A-Fa-f]+")}


# -- Go's strconv ------------------------------------------------------------------------------
def go_quote(s: str) -> str:
    """strconv.Quote, as Go error messages show their input."""
    escapes = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r"}
    escapes |= {"\t": "\\t", "\v": "\\v"}
    out = []
    for ch in s:
        if ch in escapes:
            out.append(escapes[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def parse_int(text: str, base: int) -> int:
    """strconv.ParseInt(text, base, 64): optional sign, digits only (no 0x, no underscores)."""
    if not _DIGITS[base].fullmatch(text):
        raise ValueError(f"strconv.ParseInt: parsing {go_quote(text)}: invalid syntax")
    value = int(text, base)
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(f"strconv.ParseInt: parsing {go_quote(text)}: value out of range")
    return value


# -- names ---------------------------------------------------------------------------------------
def make_name(version: str, revision: int) -> str:
    """``<version>_<revision as 16 hex digits>_etcd.backup`` (Go's %016x: a sign counts in the width)."""
    return f"{version}_{revision:016x}_{SUFFIX}"


def is_backup(name: str) -> bool:
    return name.endswith(SUFFIX)


def parse_revision(name: str) -> int:
    parts = name.split("_", 2)
    if len(parts) != 3:
        raise ValueError(f"bad backup name: {name}")
    try:
        return parse_int(parts[1], 16)
    except ValueError as exc:
        raise ValueError(f"unexpected revision string: {parts[1]}, err: {exc}") from None


def revision_or_none(name: str) -> int | None:
    """The revision of a name that counts as a backup, else None."""
    if not is_backup(name):
        return None
    try:
        return parse_revision(name)
    except ValueError:
        return None


def sort_backups(names: Iterable[str]) -> list[str]:
    """The names that count as backups, oldest (lowest revision) first."""
    found = [(rev, name) for name in names if (rev := revision_or_none(name)) is not None]
    return [name for _, name in sorted(found, key=lambda pair: pair[0])]


def version_from_name(name: str) -> str:
    return name.split("_", 1)[0]


# -- versions ------------------------------------------------------------------------------------
def major_minor(raw: str) -> str:
    """coreos/go-semver NewVersion, then "major.minor"; errors carry go-semver's/strconv's text."""
    version, _, _metadata = raw.partition("+")
    version, _, _pre = version.partition("-")
    parts = version.split(".", 2)
    if len(parts) != 3:
        raise ValueError(f"{version} is not in dotted-tri format")
    major, minor, _patch = (parse_int(p, 10) for p in parts)
    return f"{major}.{minor}"


def is_compatible(requested: str, backup: str) -> bool:
    """Can a backup made on etcd ``backup`` (major.minor) seed a cluster of etcd ``requested``?

    etcd-operator's table is ``3.0: {2.3, 3.0}, 3.1: {3.0, 3.1}, 3.2: {3.1, 3.2}``: the same
    minor version or the one before it, which is etcd's supported upgrade step. The project was
    archived before etcd 3.3; raftops continues the same rule for every later 3.x minor.
    """
    if requested == "3.0":
        return backup in ("2.3", "3.0")
    major, _, minor = requested.partition(".")
    if major != "3" or not minor.isdigit():
        return False
    step = int(minor)
    return backup in (f"3.{step - 1}", f"3.{step}")


# -- Go's JSON and time formats ------------------------------------------------------------------
def to_mb(size: int) -> float:
    """etcd-operator's toMB: bytes / 2^20, rounded to three decimals ("truncate to KB")."""
    return float(f"{size / (1024 * 1024):.3f}")


def go_float(value: float) -> str:
    """encoding/json's float64: shortest digits, fixed notation between 1e-6 and 1e21."""
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"json: unsupported value: {value}")
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        mantissa, _, exponent = repr(value).partition("e")
        sign = exponent[0] if exponent[0] in "+-" else "+"
        return f"{mantissa}e{sign}{int(exponent.lstrip('+-'))}"
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _go_string(text: str) -> str:
    encoded = json.dumps(text, ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028")):
        encoded = encoded.replace(raw, escaped)
    return encoded.replace("\u2029", "\\u2029")


def go_json(value: Any) -> str:
    """What Go's json.Encoder.Encode writes for ``value`` (dict order kept), newline included."""
    return _encode(value) + "\n"


def _encode(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, str):
        return _go_string(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_go_string(str(k))}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def rfc3339(when: float | None = None) -> str:
    """Go's time.Format(time.RFC3339) in local time: ``2006-01-02T15:04:05+01:00``, ``Z`` at UTC."""
    stamp = time.time() if when is None else when
    local = time.localtime(stamp)
    offset = local.tm_gmtoff
    if offset == 0:
        zone = "Z"
    else:
        sign = "+" if offset > 0 else "-"
        hours, minutes = divmod(abs(offset) // 60, 60)
        zone = f"{sign}{hours:02d}:{minutes:02d}"
    return time.strftime("%Y-%m-%dT%H:%M:%S", local) + zone
