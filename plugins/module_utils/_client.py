# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The one HTTP layer of the raftops.cluster modules.

Every module talks to a raftops agent through RaftopsClient. It only uses the Python standard library and
ansible.module_utils.urls, so nothing has to be installed on the host that runs the module.

Errors of every kind (HTTP status >= 400, connection refused, TLS failure, timeout) are raised as one
exception type, RaftopsAPIError, whose ``status`` is the HTTP status or None when no answer came back.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import ssl
import time
from http.client import HTTPException
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode, urlsplit

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import Request, SSLValidationError

DEFAULT_URL = "http://127.0.0.1:4646"
TOKEN_HEADER = "X-Nomad-Token"
USER_AGENT = "ansible-raftops.cluster"

# Environment variables consulted, in order, when an option is not set. The argument spec applies them through
# env_fallback; RaftopsClient applies them again so that the client also works with a plain dict of parameters.
ENV_FALLBACKS = {
    "url": ("RAFTOPS_ADDR", "NOMAD_ADDR"),
    "token": ("RAFTOPS_TOKEN", "NOMAD_TOKEN"),
    "ca_path": ("RAFTOPS_CACERT", "NOMAD_CACERT"),
    "client_cert": ("RAFTOPS_CLIENT_CERT", "NOMAD_CLIENT_CERT"),
    "client_key": ("RAFTOPS_CLIENT_KEY", "NOMAD_CLIENT_KEY"),
}

# Documented in plugins/doc_fragments/_connection.py; keep both in sync.
CONNECTION_ARGSPEC = {
    "url": {"type": "str", "default": DEFAULT_URL, "fallback": (env_fallback, list(ENV_FALLBACKS["url"]))},
    "token": {"type": "str", "no_log": True, "fallback": (env_fallback, list(ENV_FALLBACKS["token"]))},
    "ca_path": {"type": "path", "fallback": (env_fallback, list(ENV_FALLBACKS["ca_path"]))},
    "client_cert": {"type": "path", "fallback": (env_fallback, list(ENV_FALLBACKS["client_cert"]))},
    "client_key": {"type": "path", "fallback": (env_fallback, list(ENV_FALLBACKS["client_key"]))},
    "validate_certs": {"type": "bool", "default": True},
    "timeout": {"type": "int", "default": 10},
    "retries": {"type": "int", "default": 3},
}

DEFAULT_TIMEOUT = 10
DEFAULT_RETRIES = 3

# Retry schedule: BACKOFF_BASE * 2**n seconds, capped at BACKOFF_MAX.
BACKOFF_BASE = 1.0
BACKOFF_MAX = 10.0
RETRYABLE_STATUS = frozenset((429, 500, 502, 503, 504))

# Error bodies are kept for the error message and the failure result; cap what we keep.
MAX_ERROR_TEXT = 4000


def argument_spec():
    """Return the connection options' argument spec, a fresh copy to merge with the module's own options."""
    return copy.deepcopy(CONNECTION_ARGSPEC)


class RaftopsAPIError(Exception):
    """Any failure of a request to the agent.

    ``status`` is the HTTP status code, or None when no HTTP answer was received (connection refused, timeout,
    TLS error). ``message`` is the server's error message (plain text for the Nomad-style API, the ``reason`` of
    OpenSearch-style JSON errors) or a description of the transport failure. ``body`` is the parsed JSON error
    body, the error text, or None. ``headers`` holds the response headers (lower-case names) when there was a
    response.
    """

    def __init__(self, status, message, body=None, method=None, path=None, headers=None):
        self.status = status
        self.message = message
        self.body = body
        self.method = method
        self.path = path
        self.headers = headers or {}
        super(RaftopsAPIError, self).__init__(self.__str__())

    def __str__(self):
        where = "%s %s: " % (self.method, self.path) if self.method and self.path else ""
        if self.status is None:
            return "%s%s" % (where, self.message)
        return "%sHTTP %s: %s" % (where, self.status, self.message)


class RaftopsResponse(object):
    """A small, fully read HTTP response.

    ``data`` is the parsed JSON document when the body is JSON, the decoded text for other bodies, None for an
    empty body, or the raw bytes when the request asked for ``raw``. ``raw`` always holds the body bytes.
    ``headers`` is a dict with lower-case header names.
    """

    __slots__ = ("status", "headers", "data", "raw")

    def __init__(self, status, headers, data, raw):
        self.status = status
        self.headers = headers
        self.data = data
        self.raw = raw

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)


def quote_segment(value):
    """Quote one path segment (an ID, a policy name), so that '/', '?', '#' and spaces cannot change the path."""
    return quote(to_native(value), safe="")


def _query_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return to_native(value)


def build_url(base_url, path, query=None):
    """Join the agent's base URL, an API path and query parameters.

    ``base_url`` may carry a path prefix (reverse proxy), which is kept; a trailing slash is ignored.
    ``path`` is an absolute API path such as ``/v1/status/leader``; it is used as given (quote variable
    segments with quote_segment()). ``query`` is a dict or a list of (key, value) pairs; values that are None are
    left out, booleans become ``true``/``false``, lists or tuples repeat the key. Keys keep their order.
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("url must be an http:// or https:// URL with a host, got %r" % (base_url,))
    if parts.query or parts.fragment:
        raise ValueError("url must not contain a query or a fragment, got %r" % (base_url,))
    if not path.startswith("/"):
        path = "/" + path
    url = "%s://%s%s%s" % (parts.scheme, parts.netloc, parts.path.rstrip("/"), path)

    if query:
        items = query.items() if isinstance(query, dict) else query
        pairs = []
        for key, value in items:
            if value is None:
                continue
            if isinstance(value, (list, tuple)):
                pairs.extend((key, _query_value(v)) for v in value)
            else:
                pairs.append((key, _query_value(value)))
        if pairs:
            url += "?" + urlencode(pairs, quote_via=quote)
    return url


def _is_json_content_type(content_type):
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def decode_body(raw, content_type):
    """Parse a response body: JSON when the content type says so (or the body looks like JSON), else text.

    Returns None for an empty body. Undecodable JSON is returned as text.
    """
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    stripped = text.strip()
    if _is_json_content_type(content_type) or (not content_type and stripped[:1] in ("{", "[", '"')):
        try:
            return json.loads(stripped)
        except ValueError:
            pass
    return text


def error_message(body, reason=None):
    """Extract the server's error message from a decoded error body (see decode_body()).

    - Nomad-style errors are plain text: the text, stripped.
    - OpenSearch-style errors are ``{"error": {"reason": ..., "root_cause": [...]}, "status": N}``: the reason
      (or the first root cause's reason).
    - ``{"error": "text"}`` and ``{"message": "text"}`` give that text.
    - Anything else gives ``reason`` (the HTTP reason phrase) or a compact rendering of the body.
    """
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            if error.get("reason"):
                return to_text(error["reason"])
            root_cause = error.get("root_cause")
            first_cause = root_cause[0] if isinstance(root_cause, list) and root_cause else None
            if isinstance(first_cause, dict) and first_cause.get("reason"):
                return to_text(first_cause["reason"])
            if error.get("type"):
                return to_text(error["type"])
        elif isinstance(error, str) and error.strip():
            return error.strip()
        message = body.get("message")
        if isinstance(message, str) and message.strip():
            return message.strip()
    elif isinstance(body, str) and body.strip():
        text = body.strip()
        if len(text) > MAX_ERROR_TEXT:
            text = text[:MAX_ERROR_TEXT] + "..."
        return text
    if body is not None and not isinstance(body, str):
        rendered = json.dumps(body, sort_keys=True)
        if len(rendered) > MAX_ERROR_TEXT:
            rendered = rendered[:MAX_ERROR_TEXT] + "..."
        return rendered
    return reason or "no error message in the response"


def backoff_delay(retry_number, retry_after=None, base=BACKOFF_BASE, maximum=BACKOFF_MAX):
    """Seconds to wait before retry ``retry_number`` (1 for the first retry).

    Exponential: base, 2*base, 4*base, ... capped at ``maximum``. A server ``Retry-After`` value in seconds is
    honoured when it is shorter than the cap (an HTTP-date or garbage is ignored).
    """
    delay = min(base * (2 ** (retry_number - 1)), maximum)
    if retry_after is not None:
        try:
            server_delay = float(retry_after)
        except (TypeError, ValueError):
            server_delay = None
        if server_delay is not None and server_delay >= 0:
            delay = min(server_delay, maximum)
    return delay


def backoff_schedule(retries, base=BACKOFF_BASE, maximum=BACKOFF_MAX):
    """All delays for ``retries`` retries, without server hints: [1.0, 2.0, 4.0] for 3."""
    return [backoff_delay(n, base=base, maximum=maximum) for n in range(1, retries + 1)]


def is_retryable_status(status):
    return status in RETRYABLE_STATUS


def _describe_transport_error(exc):
    reason = getattr(exc, "reason", exc)
    return to_text(reason) or exc.__class__.__name__


def _is_certificate_error(exc):
    if isinstance(exc, (SSLValidationError, ssl.CertificateError)):
        return True
    return isinstance(getattr(exc, "reason", None), (ssl.CertificateError, SSLValidationError))


def _encode_body(body, headers):
    if body is None:
        return None
    if isinstance(body, bytes):
        headers.setdefault("Content-Type", "application/octet-stream")
        return body
    if isinstance(body, str):
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        return body.encode("utf-8")
    if hasattr(body, "read"):
        headers.setdefault("Content-Type", "application/octet-stream")
        return body
    headers.setdefault("Content-Type", "application/json")
    return json.dumps(body).encode("utf-8")


def _param(params, name):
    """An option's value, else the first set environment variable of ENV_FALLBACKS, else None."""
    value = params.get(name)
    if value is None:
        for variable in ENV_FALLBACKS.get(name, ()):
            if os.environ.get(variable):
                return os.environ[variable]
    return value


class RaftopsClient(object):
    """HTTP client of one raftops agent, configured from the connection options.

    ``params`` is a dict with the options of argument_spec() (usually ``module.params``). ``warn`` is called with
    a message before each retry (usually ``module.warn``). ``sleep`` is injectable for tests.
    """

    def __init__(self, params, warn=None, sleep=time.sleep, request=None):
        url = _param(params, "url") or DEFAULT_URL
        build_url(url, "/")  # validate early, with a clear message
        self.base_url = url
        self.token = _param(params, "token")
        self.ca_path = _param(params, "ca_path")
        self.client_cert = _param(params, "client_cert")
        self.client_key = _param(params, "client_key")
        if self.client_key and not self.client_cert:
            raise ValueError("client_key requires client_cert")
        for option in ("ca_path", "client_cert", "client_key"):
            value = getattr(self, option)
            if value and not os.path.isfile(value):
                raise ValueError("%s: no such file: %s" % (option, value))
        validate_certs = params.get("validate_certs")
        self.validate_certs = True if validate_certs is None else bool(validate_certs)
        timeout = params.get("timeout")
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        if self.timeout <= 0:
            raise ValueError("timeout must be greater than 0, got %s" % (self.timeout,))
        retries = params.get("retries")
        self.retries = DEFAULT_RETRIES if retries is None else retries
        if self.retries < 0:
            raise ValueError("retries must be 0 or greater, got %s" % (self.retries,))
        self._warn = warn
        self._sleep = sleep
        self._request = request or Request(
            http_agent=USER_AGENT,
            timeout=self.timeout,
            validate_certs=self.validate_certs,
            ca_path=self.ca_path,
            client_cert=self.client_cert,
            client_key=self.client_key,
            follow_redirects="safe",
            use_netrc=False,
            # never send the token to another host after a redirect
            unredirected_headers=[TOKEN_HEADER],
        )

    @classmethod
    def from_module(cls, module):
        """Build a client from an AnsibleModule whose argument spec includes argument_spec()."""
        return cls(module.params, warn=module.warn)

    def get(self, path, query=None, body=None, headers=None, retry=False, raw=False, accept_status=()):
        return self.request(
            "GET", path, query=query, body=body, headers=headers, retry=retry, raw=raw, accept_status=accept_status
        )

    def put(self, path, query=None, body=None, headers=None, retry=False, raw=False, accept_status=()):
        return self.request(
            "PUT", path, query=query, body=body, headers=headers, retry=retry, raw=raw, accept_status=accept_status
        )

    def post(self, path, query=None, body=None, headers=None, retry=False, raw=False, accept_status=()):
        return self.request(
            "POST", path, query=query, body=body, headers=headers, retry=retry, raw=raw, accept_status=accept_status
        )

    def delete(self, path, query=None, body=None, headers=None, retry=False, raw=False, accept_status=()):
        return self.request(
            "DELETE", path, query=query, body=body, headers=headers, retry=retry, raw=raw, accept_status=accept_status
        )

    def request(self, method, path, query=None, body=None, headers=None, retry=False, raw=False, accept_status=()):
        """Send one request and return a RaftopsResponse, or raise RaftopsAPIError.

        ``retry`` marks the call as safe to repeat (a read, or an idempotent or CAS-guarded write): only then are
        connection errors, timeouts, HTTP 429 and HTTP 5xx retried, up to ``retries`` times with backoff_delay().

        ``accept_status`` lists HTTP error statuses that are answers rather than failures for this call (the 429 of
        an unhealthy autopilot health report, the 409 of a variable CAS conflict): they are returned as a
        RaftopsResponse, never raised and never retried.
        """
        url = build_url(self.base_url, path, query)
        request_headers = {"Accept": "application/json"}
        if self.token:
            request_headers[TOKEN_HEADER] = self.token
        request_headers.update(headers or {})
        data = _encode_body(body, request_headers)
        attempts = 1 + (self.retries if retry else 0)

        attempt = 0
        while True:
            attempt += 1
            retry_after = None
            try:
                response = self._request.open(method, url, data=data, headers=request_headers)
                try:
                    content = response.read()
                finally:
                    response.close()
                return self._response(response, content, raw)
            except HTTPError as exc:
                if exc.code in accept_status:
                    return self._accepted_error(exc, raw)
                error = self._http_error(exc, method, path)
                if not is_retryable_status(error.status):
                    raise error from None
                retry_after = error.headers.get("retry-after")
            except (URLError, UrlsConnectionError, HTTPException, OSError) as exc:
                # OSError covers socket timeouts and resets; HTTPException covers truncated or garbled answers.
                if _is_certificate_error(exc):
                    raise RaftopsAPIError(
                        None, "TLS error: %s" % _describe_transport_error(exc), method=method, path=path
                    ) from None
                error = RaftopsAPIError(
                    None,
                    "no answer from %s: %s" % (self.base_url, _describe_transport_error(exc)),
                    method=method,
                    path=path,
                )

            if attempt >= attempts:
                raise error
            if hasattr(data, "seek"):
                data.seek(0)
            delay = backoff_delay(attempt, retry_after)
            if self._warn:
                self._warn("%s; retry %d of %d in %.1f s" % (error, attempt, attempts - 1, delay))
            self._sleep(delay)

    def _response(self, response, content, raw):
        info = response.headers if getattr(response, "headers", None) is not None else response.info()
        headers = dict((k.lower(), v) for k, v in info.items())
        status = getattr(response, "status", None) or response.getcode()
        data = content if raw else decode_body(content, headers.get("content-type"))
        return RaftopsResponse(status, headers, data, content)

    def _accepted_error(self, exc, raw):
        try:
            content = exc.read()
        except Exception:  # pylint: disable=broad-except
            content = b""
        headers = dict((k.lower(), v) for k, v in exc.headers.items()) if exc.headers is not None else {}
        data = content if raw else decode_body(content, headers.get("content-type"))
        return RaftopsResponse(exc.code, headers, data, content)

    def _http_error(self, exc, method, path):
        try:
            content = exc.read()
        except Exception:  # pylint: disable=broad-except
            content = b""
        headers = dict((k.lower(), v) for k, v in exc.headers.items()) if exc.headers is not None else {}
        body = decode_body(content, headers.get("content-type"))
        return RaftopsAPIError(
            exc.code, error_message(body, exc.reason), body, method=method, path=path, headers=headers
        )


def fail_from(module, exc, **kwargs):
    """Fail the module with one message for a RaftopsAPIError (or a configuration error such as ValueError).

    The result carries ``status`` (the HTTP status, or null when no answer came back) and, for API errors, the
    parsed error ``body``. Extra keyword arguments are added to the result.
    """
    if isinstance(exc, RaftopsAPIError):
        module.fail_json(msg=to_native(exc), status=exc.status, body=exc.body, **kwargs)
    module.fail_json(msg=to_native(exc), status=None, **kwargs)
