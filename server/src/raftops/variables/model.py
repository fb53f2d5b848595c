"""Nomad Variables: the rules and the stored form (pure logic; the service is service.py, HTTP api/variables.py).

Rules from nomad/structs/variables.go: paths match ``^[a-zA-Z0-9-_~/]{1,128}$``; under the top-level
``nomad`` directory only ``nomad/jobs...``, ``nomad/sentinel...`` and ``nomad/job-templates/<name>``
are allowed; the items (keys plus values, in bytes) are limited to 64 KiB; a write may not target
the wildcard namespace ``*``. Each variable is one state key ``vars/<namespace>/<path>`` holding
``{"Namespace", "Path", "Items", "ModifyTime"}`` (times in Unix nanoseconds); its CreateTime is in a
sibling key (store/variables.py) so that a write is one etcd round trip. Values written before that
carry ``CreateTime`` themselves, which is read when the sibling is missing.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..store.state import Item

PREFIX = "vars/"
MAX_SIZE = 65536
DEFAULT_NAMESPACE = "default"
ALL_NAMESPACES = "*"
# Used with fullmatch: Go's "$" never matches before a trailing "\n", Python's does.
_VALID_PATH = re.compile(r"[a-zA-Z0-9\-_~/]{1,128}")
_VALID_NAMESPACE = re.compile(r"[a-zA-Z0-9-]{1,128}")


def path_error(path: str) -> str | None:
    """Nomad's ValidatePath message, or None when the path is valid."""
    if not path:
        return "variable requires path"
    if not _VALID_PATH.fullmatch(path):
        return f'invalid path "{path}"'
    parts = path.split("/")
    if parts[0] != "nomad":
        return None
    if len(parts) == 1:
        return (
            '"nomad" is a reserved top-level directory path, but you may write variables to "nomad/jobs", '
            '"nomad/job-templates", "nomad/sentinel", or below'
        )
    if parts[1] in ("jobs", "sentinel"):
        return None
    if parts[1] == "job-templates" and len(parts) == 3:
        return None
    if parts[1] == "job-templates":
        return (
            '"nomad/job-templates" is a reserved directory path, but you may write variables at the level '
            'below it, for example, "nomad/job-templates/template-name"'
        )
    return (
        'only paths at "nomad/jobs" or "nomad/job-templates" and below are valid paths under the top-level '
        '"nomad" directory'
    )


def items_size(items: dict[str, str]) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in items.items())


def validate(namespace: str, path: str, items: dict[str, str]) -> str | None:
    """Nomad's VariableDecrypted.Validate, in its order."""
    if namespace == ALL_NAMESPACES:
        return 'can not target wildcard ("*")namespace'
    if not items:
        return "empty variables are invalid"
    if items_size(items) > MAX_SIZE:
        return "variables are limited to 64KiB in total size"
    return path_error(path)


def namespace_error(namespace: str) -> str | None:
    """Namespaces become key segments, so they must be Nomad namespace names (or ``*`` for reads)."""
    if namespace == ALL_NAMESPACES or _VALID_NAMESPACE.fullmatch(namespace):
        return None
    return f'invalid namespace "{namespace}"'


def state_path(namespace: str, path: str) -> str:
    return f"{PREFIX}{namespace}/{path}"


def encode(namespace: str, path: str, items: dict[str, str], modify_time: int) -> bytes:
    doc = {"Namespace": namespace, "Path": path, "Items": items, "ModifyTime": modify_time}
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def legacy_create_time(value: bytes) -> int:
    """CreateTime as variables written before store/variables.py kept it in a sibling key stored it."""
    return int(json.loads(value).get("CreateTime", 0) or 0)


def metadata(item: Item, create_time: int | None = None) -> dict[str, Any]:
    """Nomad's VariableMetadata (the list form: no items). ``create_time``: from the sibling key
    (store/variables.py); None takes the one inside the value (variables written before it)."""
    doc = json.loads(item.value)
    return {
        "Namespace": doc["Namespace"],
        "Path": doc["Path"],
        "CreateIndex": item.create_index,
        "CreateTime": doc.get("CreateTime", 0) if create_time is None else create_time,
        "ModifyIndex": item.modify_index,
        "ModifyTime": doc.get("ModifyTime", 0),
    }


def decrypted(item: Item, with_items: bool = True, create_time: int | None = None) -> dict[str, Any]:
    """Nomad's VariableDecrypted: metadata plus ``Items`` (omitted when empty or not readable)."""
    out = metadata(item, create_time)
    items = json.loads(item.value).get("Items") or {}
    if with_items and items:
        out["Items"] = items
    return out


def zero_value(namespace: str, path: str) -> dict[str, Any]:
    """The conflict Nomad reports when a CAS expected a variable that does not exist."""
    return {"Namespace": namespace, "Path": path, "CreateIndex": 0, "CreateTime": 0, "ModifyIndex": 0, "ModifyTime": 0}


def page_token(meta: dict[str, Any]) -> str:
    """Nomad's NamespaceIDTokenizer: "<namespace>.<path>"."""
    return f"{meta['Namespace']}.{meta['Path']}"
