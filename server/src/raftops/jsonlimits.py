"""Bounded JSON decoding, shared by the Nomad (gobody) and OpenSearch (opensearch) body decoders.

Python's ``json`` module has three behaviours that a client can turn into a 500 or into stored data
no client can read back: nesting beyond the interpreter's recursion limit raises RecursionError,
an integer literal longer than 4,300 digits raises ValueError (CPython's int/str conversion limit),
and ``NaN``/``Infinity`` are accepted although they are not JSON. Each family decodes through
:func:`loads`, which refuses all three with :class:`LimitError` before anything else looks at the
document; the family turns it into its upstream's 400 (Go's ``invalid character ... exceeded max
depth``, Jackson's ``StreamReadConstraints`` texts).

Limits: :data:`MAX_DEPTH` nested arrays/objects (Go allows 10,000 and OpenSearch 1,000; no document
of these APIs nests deeper than 6, and 100 keeps every recursive step after decoding, such as
``json.dumps`` and ``copy.deepcopy``, far from the recursion limit); :data:`MAX_NUMBER_CHARS` characters
in one number literal (Jackson's default ``maxNumberLength``). Families that accept longer numbers
(Go does, and refuses them only where a field cannot hold them) pass ``long_numbers``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

MAX_DEPTH = 100
MAX_NUMBER_CHARS = 1000
_OPENERS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]', re.DOTALL)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class LimitError(ValueError):
    """A document beyond a limit. ``kind`` is "depth", "number" or "constant"; ``pos`` the offset in the text."""

    def __init__(self, kind: str, message: str, pos: int, token: str = ""):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.pos = pos
        self.token = token


class LongNumber(float):
    """A number literal longer than ``MAX_NUMBER_CHARS``, or one no float64 holds, kept as its text.

    Its float value is ``inf`` (what it rounds to); ``literal`` is what the client sent, for error
    messages. Only decoders that pass ``long_numbers=True`` ever see one.
    """

    literal: str

    def __new__(cls, literal: str) -> LongNumber:
        value = super().__new__(cls, math.inf if not literal.startswith("-") else -math.inf)
        value.literal = literal
        return value


class GoFloat(float):
    """A float that remembers its literal ("1e5"), so errors can quote it the way Go does."""

    literal: str

    def __new__(cls, literal: str) -> GoFloat:
        value = super().__new__(cls, literal)
        value.literal = literal
        return value


def literal(value: Any) -> str:
    """The text of a number as the client sent it (when known)."""
    text = getattr(value, "literal", None)
    return text if isinstance(text, str) else json.dumps(value)


def _digits(text: str) -> int:
    return len(text) - (1 if text[:1] in "-+" else 0)


def _number_error(text: str, kind: str) -> LimitError:
    return LimitError(
        "number",
        f"Number value length ({len(text)}) exceeds the maximum allowed ({MAX_NUMBER_CHARS}, from "
        "`StreamReadConstraints.getMaxNumberLength()`)",
        -1,
        text[:40] + kind,
    )


def _decoder(long_numbers: bool, keep_literals: bool) -> json.JSONDecoder:
    def parse_int(text: str) -> Any:
        if _digits(text) <= MAX_NUMBER_CHARS:
            return int(text)
        if long_numbers:
            return LongNumber(text)
        raise _number_error(text, "")

    def parse_float(text: str) -> Any:
        if len(text) > MAX_NUMBER_CHARS and not long_numbers:
            raise _number_error(text, "")
        value = float(text)
        if not math.isfinite(value):
            if long_numbers:
                return LongNumber(text)
            raise LimitError("number", f"Numeric value ({text[:40]}) out of range of double", -1, text[:40])
        return GoFloat(text) if keep_literals else value

    def parse_constant(name: str) -> Any:
        raise LimitError("constant", f"Non-standard token '{name}'", -1, name)

    return json.JSONDecoder(parse_int=parse_int, parse_float=parse_float, parse_constant=parse_constant)


_DECODERS: dict[tuple[bool, bool], json.JSONDecoder] = {}


def decoder(*, long_numbers: bool = False, keep_literals: bool = False) -> json.JSONDecoder:
    key = (long_numbers, keep_literals)
    if key not in _DECODERS:
        _DECODERS[key] = _decoder(long_numbers, keep_literals)
    return _DECODERS[key]


def depth_error(text: str, start: int = 0) -> LimitError:
    """The error for a document nested deeper than MAX_DEPTH, pointing at the first opener too deep."""
    depth = 0
    pos = start
    for m in _OPENERS.finditer(text, start):
        token = m.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                pos = m.start()
                break
        elif token in "]}":
            depth -= 1
    return LimitError(
        "depth",
        f"Document nesting depth ({MAX_DEPTH + 1}) exceeds the maximum allowed ({MAX_DEPTH}, from "
        "`StreamReadConstraints.getMaxNestingDepth()`)",
        pos,
        text[pos : pos + 1] or "[",
    )


def _too_deep(value: Any, depth: int = 1) -> bool:
    """Whether ``value`` nests more than MAX_DEPTH containers (recursion bounded by MAX_DEPTH)."""
    if depth > MAX_DEPTH:
        return True
    if isinstance(value, dict):
        return any(isinstance(v, dict | list) and _too_deep(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(isinstance(v, dict | list) and _too_deep(v, depth + 1) for v in value)
    return False


def loads(
    text: str,
    *,
    first_value: bool = False,
    long_numbers: bool = False,
    keep_literals: bool = False,
) -> tuple[Any, int]:
    """(value, end offset) of the JSON in ``text`` (starting at its first character), within the limits.

    ``first_value`` reads only the first value (Go's json.Decoder) instead of requiring the whole text
    to be one. json.JSONDecodeError for malformed JSON, LimitError for a document beyond a limit.
    """
    dec = decoder(long_numbers=long_numbers, keep_literals=keep_literals)
    try:
        if first_value:
            value, end = dec.raw_decode(text)
        else:
            value = dec.decode(text)
            end = len(text)
    except RecursionError:
        raise depth_error(text) from None
    except LimitError as exc:
        if exc.kind == "number" and exc.token:
            found = text.find(exc.token)
            exc.pos = max(found, 0)
        elif exc.kind == "constant":
            found = re.search(r"(?<![\w\"])" + re.escape(exc.token), text)
            exc.pos = found.start() if found else 0
        raise
    # Only a text with more openers than the limit can be too deep: most bodies skip the walk.
    openers = text.count("[", 0, end) + text.count("{", 0, end)
    if isinstance(value, dict | list) and openers > MAX_DEPTH and _too_deep(value):
        raise depth_error(text)
    return value, end


def has_lone_surrogate(text: str, value: Any) -> str | None:
    """The first lone UTF-16 surrogate (``\\ud800``..``\\udfff`` escape) in ``value``'s strings, or None.

    ``text`` is the JSON it was decoded from: UTF-8 input cannot hold surrogates, so only a ``\\uD8xx``..
    ``\\uDFxx`` escape makes one, and a text without one is skipped without walking the value.
    """
    if not _SURROGATE_ESCAPE.search(text):
        return None
    found: list[str] = []

    def visit(v: Any) -> None:
        if found:
            return
        if isinstance(v, str):
            m = _LONE_SURROGATE.search(v)
            if m:
                found.append(m.group())
        elif isinstance(v, dict):
            for k, item in v.items():
                visit(k)
                visit(item)
        elif isinstance(v, list):
            for item in v:
                visit(item)

    visit(value)
    return found[0] if found else None


def replace_lone_surrogates(text: str, value: Any) -> Any:
    """``value`` with every lone surrogate replaced by U+FFFD, as Go's decoder does (``text``: the JSON)."""
    if not _SURROGATE_ESCAPE.search(text):
        return value
    return _replace(value)


def _replace(v: Any) -> Any:
    if isinstance(v, str):
        return _LONE_SURROGATE.sub("\ufffd", v)
    if isinstance(v, dict):
        return {_replace(k): _replace(item) for k, item in v.items()}
    if isinstance(v, list):
        return [_replace(item) for item in v]
    return v


def line_col(text: str, pos: int) -> tuple[int, int]:
    """1-based line and column of offset ``pos`` (for x-content locations)."""
    pos = max(0, min(pos, len(text)))
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


Loader = Callable[..., tuple[Any, int]]

__all__ = [
    "MAX_DEPTH",
    "MAX_NUMBER_CHARS",
    "GoFloat",
    "LimitError",
    "LongNumber",
    "depth_error",
    "has_lone_surrogate",
    "line_col",
    "literal",
    "loads",
    "replace_lone_surrogates",
]
