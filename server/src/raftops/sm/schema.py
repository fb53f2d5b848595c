"""JSON schemas of the documents the SM family accepts, checked with jsonschema before upstream's own rules.

The schemas check shapes and types only; required fields and cross-field rules are checked by the
parsers afterwards, in upstream's order and with upstream's messages. Integers may come as strings
of digits and booleans as "true"/"false", because OpenSearch's parser coerces both.
"""

from __future__ import annotations

import math
from typing import Any

from jsonschema import Draft202012Validator

from ..errors import illegal_argument

_INT = {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": r"^\s*[+-]?\d+\s*$"}]}
_BOOL = {"anyOf": [{"type": "boolean"}, {"enum": ["true", "false"]}]}
_TIME = {"type": ["string", "number"]}
_MILLIS = {"anyOf": [{"type": ["integer", "null"]}, {"type": "string", "pattern": r"^\d+$"}]}
_OBJECT = {"type": "object"}
_TEXT = {"type": ["string", "number", "boolean"]}

WORKFLOW = {
    "type": "object",
    "properties": {
        "schedule": _OBJECT,
        "time_limit": _TIME,
        "condition": {
            "type": "object",
            "properties": {"max_age": _TIME, "max_count": _INT, "min_count": _INT},
        },
        "snapshot_pattern": _TEXT,
    },
}

POLICY = {
    "type": "object",
    "properties": {
        "name": {"type": ["string", "number", "boolean", "null"]},
        "description": {"type": ["string", "number", "boolean", "null"]},
        "schema_version": _INT,
        "creation": WORKFLOW,
        "deletion": WORKFLOW,
        "snapshot_config": {
            "type": ["object", "null"],
            "properties": {
                "repository": {"type": ["string", "null"]},
                "date_format": {"type": "string"},
                "date_format_timezone": {"type": "string"},
                "metadata": {"type": ["object", "null"]},
            },
        },
        "last_updated_time": _MILLIS,
        "enabled_time": _MILLIS,
        "schedule": _OBJECT,
        "enabled": _BOOL,
        "notification": {
            "type": "object",
            "properties": {
                "channel": {"type": "object", "properties": {"id": _TEXT}},
                "conditions": {
                    "type": "object",
                    "properties": {k: _BOOL for k in ("creation", "deletion", "failure", "time_limit_exceeded")},
                },
            },
        },
    },
}

WEBHOOK_CONFIG = {
    "type": "object",
    "properties": {
        "config_id": {"type": ["string", "null"]},
        "config": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "description": {"type": "string"},
                "config_type": {"type": "string"},
                "is_enabled": _BOOL,
                "webhook": {
                    "type": "object",
                    "properties": {
                        "url": {"type": "string"},
                        "method": {"type": "string"},
                        "header_params": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                },
            },
        },
    },
}

REPOSITORY = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "settings": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}},
    },
}

SNAPSHOT_REQUEST = {
    "type": "object",
    "properties": {
        "indices": {"type": ["string", "array"]},
        "ignore_unavailable": _BOOL,
        "include_global_state": _BOOL,
        "partial": _BOOL,
        "metadata": {"type": ["object", "null"]},
    },
}

_VALIDATORS = {id(s): Draft202012Validator(s) for s in (POLICY, WEBHOOK_CONFIG, REPOSITORY, SNAPSHOT_REQUEST)}


def check(schema: dict[str, Any], doc: Any) -> None:
    """400 ``illegal_argument_exception`` naming the first offending field (document order)."""
    errors = list(_VALIDATORS[id(schema)].iter_errors(doc))
    if not errors:
        return
    error = min(errors, key=lambda e: [str(p) for p in e.absolute_path])
    where = ".".join(str(p) for p in error.absolute_path) or "body"
    value = error.instance
    raise illegal_argument(f"Failed to parse field [{where}]: {_describe(value)} is not a valid {_expected(error)}")


def _describe(value: Any) -> str:
    import json

    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _expected(error: Any) -> str:
    schema = error.schema
    named = {id(_INT): "integer", id(_BOOL): "boolean ([true] or [false])", id(_MILLIS): "epoch milliseconds"}
    if id(schema) in named:
        return named[id(schema)]
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(kind)
    return str(kind or error.validator)


def to_bool(value: Any) -> bool:
    return value is True or value == "true"


def to_int(value: Any, bits: int = 32) -> int:
    """XContentParser.intValue/longValue (coerce): an integer, a float (truncated) or a string of digits,
    within Java's int (``bits=32``) or long (64). Out of range is a 400 with Jackson's text (upstream
    lets Jackson's InputCoercionException become a 500)."""
    if isinstance(value, float):
        number = int(value) if math.isfinite(value) and abs(value) < 2.0**63 else None
    elif isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        digits = text.lstrip("+-")
        number = int(text) if digits.isdecimal() and len(digits) <= 20 and len(text) - len(digits) <= 1 else None
        if number is None and not digits.isdecimal():
            raise illegal_argument(f'For input string: "{value}"')
    kind = "int" if bits == 32 else "long"
    if number is None or not -(1 << (bits - 1)) <= number < (1 << (bits - 1)):
        shown = value if not isinstance(value, str) else value.strip()
        raise illegal_argument(
            f"Numeric value ({str(shown)[:40]}) out of range of {kind} ({-(1 << (bits - 1))} - {(1 << (bits - 1)) - 1})"
        )
    return number
