"""Request bodies decoded the way Nomad's ``decodeBody`` (Go's encoding/json) decodes them.

What clients notice: an empty body is ``Request body is empty``; only the first JSON value is read;
field names match case-insensitively; unknown fields and ``null`` are ignored (the field keeps its
zero value); a wrong type is ``json: cannot unmarshal <json type> into Go struct field <T.F> of type <t>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request

from .. import godur, govalidate, jsonlimits

BOOL, UINT64, UINT, INT64, STRING, DURATION = "bool", "uint64", "uint", "int64", "string", "duration"
STRINGS, STRING_MAP, ANY = "[]string", "map[string]string", "any"
_ZERO: dict[str, Any] = {BOOL: False, UINT64: 0, UINT: 0, INT64: 0, STRING: "", DURATION: "0s", ANY: None}


class BodyError(ValueError):
    """The body cannot be decoded; the message is what Go would say."""


@dataclass(frozen=True)
class Struct:
    """A Go struct: its name (for error messages) and its fields (name -> kind or nested Struct)."""

    name: str
    fields: dict[str, Any]

    def zero(self) -> dict[str, Any]:
        return {name: _zero(kind) for name, kind in self.fields.items()}


def _zero(kind: Any) -> Any:
    if isinstance(kind, Struct):
        return kind.zero()
    return _ZERO.get(kind)


_GO_CONTEXT = {
    "Expecting value": "looking for beginning of value",
    "Expecting property name enclosed in double quotes": "looking for beginning of object key string",
    "Expecting ':' delimiter": "after object key",
    "Expecting ',' delimiter": "after object key:value pair",
}


def read_json(request: Request) -> Any:
    """The first JSON value of the body, or BodyError with Go's message.

    Bounded by :mod:`.jsonlimits` (nesting depth, ``NaN``/``Infinity``); number literals of any length
    decode (longer ones as :class:`~.jsonlimits.LongNumber`, refused by :func:`decode` where a field
    cannot hold them, as Go does); lone UTF-16 surrogates become U+FFFD, as Go's decoder makes them.
    """
    raw = request.get_data(cache=True)
    if not raw:
        raise BodyError("Request body is empty")
    try:
        text = raw.decode()
    except UnicodeDecodeError as exc:
        raise BodyError("invalid character in request body (not UTF-8)") from exc
    stripped = text.lstrip(" \t\r\n")
    if not stripped:
        raise BodyError("EOF")
    try:
        value, _ = jsonlimits.loads(stripped, first_value=True, long_numbers=True, keep_literals=True)
    except jsonlimits.LimitError as exc:
        # Go: a scanner SyntaxError ("invalid character 'N' looking for beginning of value",
        # "invalid character '[' exceeded max depth").
        if exc.kind == "depth":
            raise BodyError(f"invalid character {_go_char(exc.token or '[')} exceeded max depth") from None
        raise BodyError(f"invalid character {_go_char(exc.token[:1] or '?')} looking for beginning of value") from None
    except json.JSONDecodeError as exc:
        if exc.pos >= len(stripped):
            raise BodyError("unexpected EOF") from exc
        context = _GO_CONTEXT.get(exc.msg, "in JSON value")
        raise BodyError(f"invalid character {_go_char(stripped[exc.pos])} {context}") from exc
    return jsonlimits.replace_lone_surrogates(stripped, value)


def _go_char(c: str) -> str:
    return "'\\''" if c == "'" else f"'{c}'"


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def decode(value: Any, struct: Struct, go_type: str) -> dict[str, Any]:
    """``value`` (parsed JSON) into ``struct``'s fields, zero-filled; ``go_type`` names the target in errors."""
    if value is None:
        return struct.zero()
    if not isinstance(value, dict):
        raise BodyError(f"json: cannot unmarshal {json_type(value)} into Go value of type {go_type}")
    return _decode_struct(value, struct, struct.name)


def decode_struct(value: dict[str, Any], struct: Struct, where: str) -> dict[str, Any]:
    """An object held in a field (``where``: Go's field path for error messages, e.g. "ACLPolicy.JobACL")."""
    return _decode_struct(value, struct, where)


def _field_for(struct: Struct, key: str) -> str | None:
    if key in struct.fields:
        return key
    folded = key.casefold()
    for name in struct.fields:
        if name.casefold() == folded:
            return name
    return None


def _decode_struct(value: dict[str, Any], struct: Struct, where: str) -> dict[str, Any]:
    out = struct.zero()
    for key, item in value.items():
        name = _field_for(struct, key)
        if name is None or item is None:
            continue
        out[name] = _decode_value(item, struct.fields[name], f"{where}.{name}")
    return out


def _mismatch(value: Any, where: str, go_type: str) -> BodyError:
    shown = json_type(value)
    if shown == "number":
        shown = f"number {jsonlimits.literal(value)}"
    return BodyError(f"json: cannot unmarshal {shown} into Go struct field {where} of type {go_type}")


def _decode_value(value: Any, kind: Any, where: str) -> Any:
    if isinstance(kind, Struct):
        if not isinstance(value, dict):
            raise _mismatch(value, where, kind.name)
        return _decode_struct(value, kind, where)  # Go names nested fields by their full path
    if kind == ANY:
        # Go decodes a number into interface{} as a float64: one it cannot hold is an error.
        big = _long_number(value)
        if big is not None:
            raise BodyError(f"json: cannot unmarshal number {big.literal} into Go struct field {where} of type float64")
        return value
    if kind == BOOL:
        if not isinstance(value, bool):
            raise _mismatch(value, where, "bool")
        return value
    if kind in (UINT64, UINT, INT64):
        ok = isinstance(value, int) and not isinstance(value, bool)
        if ok and kind != INT64:
            ok = 0 <= value < 2**64
        if ok and kind == INT64:
            ok = -(2**63) <= value < 2**63
        if not ok:
            raise _mismatch(value, where, kind)
        return value
    if kind == STRING:
        if not isinstance(value, str):
            raise _mismatch(value, where, "string")
        return value
    if kind == DURATION:
        # Nomad's MarshalJSON/UnmarshalJSON carry durations as strings; "" keeps the zero value.
        if not isinstance(value, str):
            raise _mismatch(value, where, "string")
        if value == "":
            return "0s"
        try:
            return godur.format_ns(godur.parse_ns(value))
        except ValueError as exc:
            raise BodyError(str(exc)) from exc
    if kind == STRINGS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _mismatch(value, where, "[]string")
        return list(value)
    if kind == STRING_MAP:
        if not isinstance(value, dict):
            raise _mismatch(value, where, "map[string]string")
        for v in value.values():
            if v is not None and not isinstance(v, str):
                raise _mismatch(v, where, "string")
        return {k: (v or "") for k, v in value.items()}
    raise ValueError(f"unknown kind {kind!r}")


def _long_number(value: Any) -> jsonlimits.LongNumber | None:
    """The first number in ``value`` that no float64 holds (depth is bounded by jsonlimits)."""
    if isinstance(value, jsonlimits.LongNumber):
        return value
    if isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        found = _long_number(item)
        if found is not None:
            return found
    return None


def parse_int_param(raw: str, bits: int = 64) -> int:
    """strconv.ParseInt(raw, 10, bits): ValueError with Go's text (ASCII digits, optional sign)."""
    body = raw[1:] if raw[:1] in ("+", "-") else raw
    if not (body and body.isascii() and body.isdigit()):
        raise ValueError(f"strconv.ParseInt: parsing {govalidate.quote(raw)}: invalid syntax")
    value = int(raw) if len(body) <= 30 else (1 << 200) * (-1 if raw.startswith("-") else 1)
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise ValueError(f"strconv.ParseInt: parsing {govalidate.quote(raw)}: value out of range")
    return value


def parse_uint_param(name: str, raw: str) -> int:
    """strconv.ParseUint(raw, 10, 64) with Go's error text."""
    if raw and raw.isascii() and raw.isdigit():
        value = int(raw) if len(raw) <= 30 else 2**64  # longer is out of range (and int() of >4300 digits fails)
        if value < 2**64:
            return value
        raise BodyError(f"strconv.ParseUint: parsing {govalidate.quote(raw)}: value out of range")
    raise BodyError(f"strconv.ParseUint: parsing {govalidate.quote(raw)}: invalid syntax")
