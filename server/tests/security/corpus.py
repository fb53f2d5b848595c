"""A corpus of malformed requests, as an attacker sends them: every endpoint x every class of bad input.

Classes (each a list of raw JSON texts, or raw strings for paths and query parameters):

* nesting: arrays and objects nested past the limit (101, 5,000 and 50,000 levels);
* big numbers: integer literals of 1,001, 4,301 and 20,000 digits, 2**63, 2**64, 1e30, 1e400;
* floats where integers go, ``NaN``/``Infinity``, negative values, ``-0``;
* strings: NUL and other control characters, a lone UTF-16 surrogate, a 200 KB string, odd Unicode;
* wrong JSON types (null, true, [], {}, "") and broken or non-UTF-8 bodies;
* names and paths with control characters, NUL, CR/LF (header injection), ``..``, long names, odd Unicode;
* query parameters beyond int32/int64, negative, non-decimal, with NUL and control characters.

Bodies are built by text: a template is serialised with a placeholder at one leaf, and the
placeholder is replaced by the raw hostile text (so values json.dumps cannot make, such as 50,000
levels of nesting or a lone surrogate, reach the server byte for byte).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

HOLE = "\u0001HOLE\u0001"


def deep(n: int, kind: str = "[") -> str:
    close = {"[": "]", "{": "}"}[kind]
    if kind == "{":
        return '{"a":' * n + "1" + close * n
    return "[" * n + close * n


# Raw JSON texts put at a leaf (or sent as the whole body).
VALUES: dict[str, str] = {
    "deep-101": deep(101),
    "deep-obj-101": deep(101, "{"),
    "deep-5000": deep(5000),
    "deep-50000": deep(50000),
    "digits-1001": "9" * 1001,
    "digits-4301": "9" * 4301,
    "digits-neg-20000": "-" + "9" * 20000,
    "int64+1": str(2**63),
    "uint64+1": str(2**64),
    "neg": "-1",
    "negmax": str(-(2**63)),
    "float": "1.5",
    "exp-1e30": "1e30",
    "exp-1e400": "1e400",
    "neg-zero": "-0",
    "NaN": "NaN",
    "Infinity": "-Infinity",
    "null": "null",
    "true": "true",
    "array": "[]",
    "object": "{}",
    "empty-string": '""',
    "nul": '"a\\u0000b"',
    "newline": '"nl\\ntest"',
    "crlf": '"x\\r\\nX-Injected: 1"',
    "del-c1": '"\\u007f\\u0085\\u2028"',
    "surrogate": '"\\ud800"',
    "surrogate-pair-half": '"\\udfff\\ud800x"',
    "long-string": json.dumps("x" * 200_000),
    "unicode": json.dumps("é☃\U0001f4a9"),
    "duration-overflow": '"9999999999h"',
    "duration-negative": '"-5s"',
    "duration-huge-frac": '"0.' + "9" * 5000 + 's"',
    "timevalue-long": '"' + "9" * 100_000 + 'x"',
    "zone": '"Mars/Olympus"',
    "path-escape": '"../../../../etc/passwd"',
}
# Whole bodies that are not a document at all.
RAW_BODIES: dict[str, bytes] = {
    "empty": b"",
    "spaces": b"   \n ",
    "not-utf8": b'{"a": "\xff\xfe"}',
    "truncated": b'{"a": [1, 2',
    "trailing": b'{"a": 1} garbage',
    "single-quotes": b"{'a': 1}",
    "bom": b'\xef\xbb\xbf{"a": 1}',
    "nul-byte": b'{"a"\x00: 1}',
}
# Path segments (already percent-encoded, as they travel).
NAMES: dict[str, str] = {
    "nul": "a%00b",
    "newline": "nl%0Atest",
    "crlf-injection": "x%0D%0AX-Injected:%201",
    "tab": "a%09b",
    "del": "a%7Fb",
    "c1-nel": "a%C2%85b",
    "line-separator": "a%E2%80%A8b",
    "rtl-override": "a%E2%80%AEb",
    "not-utf8": "a%FF%FEb",
    "dotdot": "..",
    "dotdot-encoded": "%2E%2E%2Fx",
    "slash-encoded": "a%2Fb",
    "long": "a" * 4000,
    "unicode": "%C3%A9%E2%98%83",
    "emoji": "%F0%9F%92%A9",
    "percent": "a%25b",
    "hash": "a%23b",
    "question": "a%3Fb",
    "space": "a%20b",
    "upper": "Upper",
    "underscore": "_x",
}
# Query parameter values (percent-encoded).
NUMBERS: dict[str, str] = {
    "int64+1": "9223372036854775808",
    "uint64+1": "18446744073709551616",
    "int32+1": "2147483648",
    "digits-5000": "9" * 5000,
    "neg": "-1",
    "negmax": "-9223372036854775809",
    "float": "1.5",
    "exp": "1e3",
    "space": "%201",
    "plus": "%2B1",
    "underscore": "1_000",
    "arabic-digits": "%D9%A1%D9%A2",
    "fullwidth": "%EF%BC%91",
    "empty": "",
    "nul": "1%00",
    "newline": "1%0A",
    "word": "abc",
}
TEXTS: dict[str, str] = {
    "nul": "a%00b",
    "crlf": "a%0D%0Ab",
    "long": "a" * 8000,
    "not-utf8": "%FF",
    "wild-12": "*a" * 12 + "*b",
    "wild-many": "*?" * 500,
    "clauses": "+OR+".join(["a*"] * 2000),
    "brackets": "[a-z]*",
    "regex": ".*(a+)+$",
    "escape": "%5C",
}


@dataclass
class Case:
    """One hostile request."""

    label: str
    method: str
    path: str
    data: bytes | None = None
    params: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def leaves(doc: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a leaf (and to every container, which can be replaced whole too)."""
    if prefix:
        yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from leaves(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from leaves(value, (*prefix, i))


def with_hole(doc: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return HOLE
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        return {k: (with_hole(v, rest) if k == head else v) for k, v in doc.items()}
    return [with_hole(v, rest) if i == head else v for i, v in enumerate(doc)]


def mutations(template: Any, values: dict[str, str] | None = None) -> Iterator[tuple[str, bytes]]:
    """(label, body) for every leaf x every hostile value, plus the hostile values and raw bodies whole."""
    values = values or VALUES
    for path in leaves(template):
        text = json.dumps(with_hole(template, path))
        for label, raw in values.items():
            yield f"{'.'.join(map(str, path))}={label}", text.replace(json.dumps(HOLE), raw).encode()
    for label, raw in values.items():
        yield f"body={label}", raw.encode()
    yield from ((f"raw={label}", raw) for label, raw in RAW_BODIES.items())


__all__ = ["NAMES", "NUMBERS", "RAW_BODIES", "TEXTS", "VALUES", "Case", "deep", "mutations"]
