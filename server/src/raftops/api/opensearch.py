"""OpenSearch's HTTP conventions for the SM, snapshot-repository and notification families.

Errors are BytesRestResponse's JSON (``{"error":{"root_cause":[...],"type":...,"reason":...},"status":N}``)
with ``Content-Type: application/json; charset=UTF-8``; unknown query parameters are refused the way
``BaseRestHandler`` does (``request [<path>] contains unrecognized parameter: [x] -> did you mean [y]?``);
``?pretty`` indents; a wrong method is 405 with OpenSearch's simple error body and an ``Allow`` header.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from werkzeug.wrappers import Request, Response

from .. import jsonlimits
from ..errors import (
    DomainError,
    UpstreamError,
    illegal_argument,
    parse_exception,
    status_exception,
    validation_failed,
    version_conflict,
)
from ..sm.names import MAX_DOC_ID_BYTES, check_doc_id

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/json; charset=UTF-8"
# Consumed by OpenSearch's RestController/AbstractRestChannel on every request, so always allowed.
RESPONSE_PARAMS = ("error_trace", "filter_path", "format", "human", "pretty")


# The OpenSearch family's domain error is raftops.errors.UpstreamError (the domain, sm/, names upstream's
# exception types); here it is rendered. OpenSearchError is its name in this family.
OpenSearchError = UpstreamError


def error_body(exc: UpstreamError) -> dict[str, Any]:
    """BytesRestResponse's JSON for an error: ``{"error": {"root_cause": [cause], **cause}, "status": N}``."""
    cause = {"type": exc.type, "reason": exc.reason, **exc.extra}
    return {"error": {"root_cause": [dict(cause)], **cause}, "status": exc.status}


def json_response(
    request: Request | None, obj: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    pretty = request is not None and request.args.get("pretty") not in (None, "false")
    text = json.dumps(obj, indent=2, separators=(",", " : ")) if pretty else json.dumps(obj, separators=(",", ":"))
    return Response(text + ("\n" if pretty else ""), status=status, content_type=CONTENT_TYPE, headers=headers)


def error_response(request: Request | None, exc: OpenSearchError) -> Response:
    return json_response(request, error_body(exc), exc.status)


def method_not_allowed(request: Request, allowed: Iterable[str]) -> Response:
    """RestController.handleUnsupportedHttpMethod."""
    methods = sorted(set(allowed))
    message = f"Incorrect HTTP method for uri [{request.full_path.rstrip('?')}] and method [{request.method}]"
    if methods:
        message += f", allowed: [{', '.join(methods)}]"
    return json_response(request, {"error": message, "status": 405}, 405, headers={"Allow": ",".join(methods)})


# -- query parameters ---------------------------------------------------------------------------
def _similarity(a: str, b: str) -> float:
    """Lucene's LevenshteinDistance.getDistance: 1 - distance / max(len)."""
    if not a or not b:
        return 1.0 if a == b else 0.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return 1.0 - prev[-1] / max(len(a), len(b))


def check_params(request: Request, allowed: Iterable[str]) -> None:
    """BaseRestHandler's unconsumed-parameter check (400 ``illegal_argument_exception``)."""
    candidates = set(allowed) | set(RESPONSE_PARAMS)
    invalid = sorted(k for k in request.args if k not in candidates)
    if not invalid:
        return
    parts = []
    for name in invalid:
        # A distance is at least the difference in length, so a candidate more than twice as long (or
        # short) can never score above 0.5: skipping it keeps a long parameter name from costing O(n*m).
        close = [c for c in candidates if 2 * abs(len(name) - len(c)) < max(len(name), len(c))]
        scored = sorted(((s, c) for c in close if (s := _similarity(name, c)) > 0.5), key=lambda sc: (-sc[0], sc[1]))
        text = f"[{name}]"
        if len(scored) == 1:
            text += f" -> did you mean [{scored[0][1]}]?"
        elif scored:
            text += f" -> did you mean any of [{', '.join(c for _, c in scored)}]?"
        parts.append(text)
    plural = "s" if len(invalid) > 1 else ""
    raise illegal_argument(f"request [{request.path}] contains unrecognized parameter{plural}: {', '.join(parts)}")


_LONG_BITS = {"long": 64, "int": 32}


def param_long(request: Request, name: str, default: int | None = None, *, kind: str = "long") -> int | None:
    """RestRequest.paramAsLong/paramAsInt: Java's parseLong/parseInt (sign, digits, no spaces, in range)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    digits = raw[1:] if raw[:1] in ("+", "-") else raw
    bits = _LONG_BITS.get(kind, 64)
    if digits and digits.isdecimal() and len(digits) <= 20:
        value = int(raw)
        if -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
            return value
    raise illegal_argument(f"Failed to parse {kind} parameter [{name}] with value [{raw}]")


def param_bool(request: Request, name: str, default: bool = False) -> bool:
    """RestRequest.paramAsBoolean: empty and "true" are true, "false" false, anything else an error."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if raw in ("", "true"):
        return True
    if raw == "false":
        return False
    raise illegal_argument(f"Failed to parse value [{raw}] as only [true] or [false] are allowed.")


def refresh_policy(request: Request) -> str:
    """WriteRequest.RefreshPolicy.parse; the SM handlers default to IMMEDIATE ("true")."""
    raw = request.args.get("refresh")
    if raw is None or raw in ("", "true"):
        return "true"
    if raw in ("false", "wait_for"):
        return raw
    raise illegal_argument(f"Unknown value for refresh: [{raw}].")


# -- bodies ---------------------------------------------------------------------------------------
def json_body(request: Request, *, required: bool = True) -> Any:
    """The request body as JSON, with OpenSearch's errors for a missing, malformed or oversized one.

    Bounded in one place (:mod:`.jsonlimits`): nesting deeper than ``MAX_DEPTH``, a number literal
    longer than Jackson's ``maxNumberLength``, ``NaN``/``Infinity`` and lone UTF-16 surrogates (which no
    document store can write back out) are a 400 ``x_content_parse_exception`` (upstream fails some of
    these with a 500: see docs/api/sm.md).
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise parse_exception("request body is required")
        return None
    try:
        text = raw.decode()
    except UnicodeDecodeError as exc:
        raise OpenSearchError(400, "json_parse_exception", f"Invalid UTF-8 in the request body: {exc}") from None
    try:
        value, _ = jsonlimits.loads(text)
    except jsonlimits.LimitError as exc:
        line, col = jsonlimits.line_col(text, exc.pos)
        kind = "json_parse_exception" if exc.kind == "constant" else "x_content_parse_exception"
        raise OpenSearchError(400, kind, f"[{line}:{col}] {exc.message}") from None
    except json.JSONDecodeError as exc:
        raise OpenSearchError(
            400, "json_parse_exception", f"{exc.msg}: line: {exc.lineno}, column: {exc.colno}"
        ) from None
    lone = jsonlimits.has_lone_surrogate(text, value)
    if lone is not None:
        raise OpenSearchError(
            400,
            "x_content_parse_exception",
            f"Invalid UTF-16 in a string: lone surrogate \\u{ord(lone):04x} (a document cannot hold it)",
        )
    return value


def object_body(request: Request) -> dict[str, Any]:
    body = json_body(request)
    if not isinstance(body, dict):
        kind = {list: "START_ARRAY", str: "VALUE_STRING", bool: "VALUE_BOOLEAN"}.get(type(body), "VALUE_NUMBER")
        if body is None:
            kind = "VALUE_NULL"
        raise OpenSearchError.parsing(
            f"Failed to parse object: expecting token of type [START_OBJECT] but found [{kind}]"
        )
    return body


# -- the handler wrapper ----------------------------------------------------------------------------
def opensearch_handler(fn: Callable[..., Any]) -> Callable[..., Response]:
    """Turn OpenSearchError, ACL denials and store failures into OpenSearch error JSON."""
    from ..store.etcd import EtcdError
    from ..store.state import StateError

    @wraps(fn)
    def wrapper(request: Request, **kwargs: Any) -> Response:
        try:
            result = fn(request, **kwargs)
        except OpenSearchError as exc:
            return error_response(request, exc)
        except DomainError as exc:  # an ACL denial (raftops.acl.authorize) or another category
            kind = "security_exception" if exc.status == 403 else "status_exception"
            return error_response(request, OpenSearchError(exc.status, kind, exc.message))
        except EtcdError as exc:
            log.warning("%s %s failed: %s", request.method, request.path, exc)
            if exc.unavailable:
                reason = "blocked by: [SERVICE_UNAVAILABLE/2/no cluster-manager];"
                return error_response(request, OpenSearchError(503, "cluster_block_exception", reason))
            return error_response(request, OpenSearchError(500, "exception", str(exc)))
        except StateError as exc:
            return error_response(request, OpenSearchError(500, "exception", str(exc)))
        except Exception as exc:  # OpenSearch answers any other failure as a 500 of the exception's kind
            log.exception("unhandled error serving %s %s", request.method, request.path)
            return error_response(request, OpenSearchError(500, "exception", str(exc) or type(exc).__name__))
        if isinstance(result, Response):
            return result
        return json_response(request, result)

    return wrapper


__all__ = [
    "CONTENT_TYPE",
    "MAX_DOC_ID_BYTES",
    "OpenSearchError",
    "check_doc_id",
    "check_params",
    "error_body",
    "error_response",
    "illegal_argument",
    "json_body",
    "json_response",
    "method_not_allowed",
    "object_body",
    "opensearch_handler",
    "param_bool",
    "param_long",
    "parse_exception",
    "refresh_policy",
    "status_exception",
    "validation_failed",
    "version_conflict",
]
