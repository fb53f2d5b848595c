# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Streaming request bodies to and from the agent, for snapshot archives that must not be held in memory.

RaftopsClient (``_client.py``) reads every answer whole, which is right for JSON and wrong for a snapshot of a large
state. StreamingTransport sends requests with the same connection settings (URL, token, TLS, timeout, User-Agent,
redirect rules) through ``ansible.module_utils.urls.Request`` and hands the body over in slices:

* download(): ``GET`` into a temporary file in the destination's directory, hashing while it writes, checking the
  ``Digest`` header and the ``Content-Length`` at the end, fsync; the caller renames the file into place.
* upload(): ``PUT`` a file with its length and ``Digest`` header.

Failures are the client's RaftopsAPIError, with the HTTP status and the server's message.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import hashlib
import os
import tempfile
import time
from http.client import HTTPException
from urllib.error import HTTPError, URLError

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import Request

from ansible_collections.raftops.cluster.plugins.module_utils._archive import digest_mismatch
from ansible_collections.raftops.cluster.plugins.module_utils._client import (
    TOKEN_HEADER,
    USER_AGENT,
    RaftopsAPIError,
    backoff_delay,
    build_url,
    decode_body,
    error_message,
    is_retryable_status,
)

CHUNK = 256 * 1024


class Download(object):
    """A downloaded body in ``temp_path`` (fsynced, not yet in place): its ``size`` and ``sha256`` (hex)."""

    __slots__ = ("temp_path", "size", "sha256", "headers")

    def __init__(self, temp_path, size, sha256, headers):
        self.temp_path = temp_path
        self.size = size
        self.sha256 = sha256
        self.headers = headers


def _headers(response):
    info = response.headers if getattr(response, "headers", None) is not None else response.info()
    return dict((key.lower(), value) for key, value in info.items())


def _api_error(exc, method, path):
    try:
        content = exc.read()
    except Exception:  # pylint: disable=broad-except
        content = b""
    headers = dict((k.lower(), v) for k, v in exc.headers.items()) if exc.headers is not None else {}
    body = decode_body(content, headers.get("content-type"))
    return RaftopsAPIError(exc.code, error_message(body, exc.reason), body, method=method, path=path, headers=headers)


def fsync_directory(directory):
    """Make a rename in ``directory`` durable (best effort where directories cannot be opened)."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


class StreamingTransport(object):
    """Streaming requests with the connection settings of a RaftopsClient (``client``); ``timeout`` (seconds per
    read or write of the socket) replaces the client's, since a snapshot transfer can take much longer."""

    def __init__(self, client, warn=None, sleep=None, request=None, timeout=None):
        self.client = client
        self._warn = warn
        self._sleep = sleep
        self._request = request or Request(
            http_agent=USER_AGENT,
            timeout=timeout or client.timeout,
            validate_certs=client.validate_certs,
            ca_path=client.ca_path,
            client_cert=client.client_cert,
            client_key=client.client_key,
            follow_redirects="safe",
            use_netrc=False,
            unredirected_headers=[TOKEN_HEADER],
        )

    def _open(self, method, path, query=None, data=None, headers=None):
        url = build_url(self.client.base_url, path, query)
        request_headers = {}
        if self.client.token:
            request_headers[TOKEN_HEADER] = self.client.token
        request_headers.update(headers or {})
        try:
            return self._request.open(method, url, data=data, headers=request_headers, decompress=False)
        except HTTPError as exc:
            raise _api_error(exc, method, path) from None
        except (URLError, UrlsConnectionError, HTTPException, OSError) as exc:
            reason = to_text(getattr(exc, "reason", exc)) or exc.__class__.__name__
            raise RaftopsAPIError(
                None, "no answer from %s: %s" % (self.client.base_url, reason), method=method, path=path
            ) from None

    def download(self, path, directory, prefix, query=None, require_digest=True):
        """GET ``path`` into a new temporary file in ``directory``; a Download, or RaftopsAPIError.

        Connection errors, broken or damaged transfers (a body that does not match its ``Digest`` header or its
        ``Content-Length``: status None), HTTP 429 and 5xx are retried, since a GET is safe to repeat, up to the
        client's ``retries``, with a warning each time. The temporary file is removed on any failure.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._download_once(path, directory, prefix, query, require_digest)
            except RaftopsAPIError as exc:
                retryable = exc.status is None or is_retryable_status(exc.status)
                if not retryable or attempt > self.client.retries:
                    raise
                delay = backoff_delay(attempt, exc.headers.get("retry-after"))
                if self._warn:
                    self._warn("%s; retry %d of %d in %.1f s" % (exc, attempt, self.client.retries, delay))
                (self._sleep or time.sleep)(delay)

    def _download_once(self, path, directory, prefix, query, require_digest):
        response = self._open("GET", path, query=query, headers={"Accept": "application/x-gzip"})
        try:
            headers = _headers(response)
            handle, temp_path = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=".part")
        except BaseException:
            response.close()
            raise
        try:
            sha = hashlib.sha256()
            size = 0
            with os.fdopen(handle, "wb") as out:
                try:
                    while True:
                        chunk = _read(response, path)
                        if not chunk:
                            break
                        sha.update(chunk)
                        out.write(chunk)  # a local OSError (disk full) propagates as it is
                        size += len(chunk)
                finally:
                    response.close()
                out.flush()
                os.fsync(out.fileno())
            problem = _transfer_problem(headers, size, sha.digest(), require_digest)
            if problem:
                raise RaftopsAPIError(None, "the download is damaged: %s" % problem, method="GET", path=path)
            return Download(temp_path, size, sha.hexdigest(), headers)
        except BaseException:
            remove_quietly(temp_path)
            raise

    def upload(self, method, path, file_path, digest, query=None):
        """Send the file at ``file_path`` as the body (never retried: the server may have applied it)."""
        size = os.path.getsize(file_path)
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Length": str(size),
            "Accept": "application/json, text/plain",
        }
        if digest:
            headers["Digest"] = digest
        with open(file_path, "rb") as body:
            response = self._open(method, path, query=query, data=body, headers=headers)
            try:
                content = response.read()
                status = getattr(response, "status", None) or response.getcode()
            finally:
                response.close()
        return status, content


def _read(response, path):
    """The next slice of a response body; a broken connection becomes RaftopsAPIError (status None, retryable)."""
    try:
        return response.read(CHUNK)
    except (HTTPException, OSError) as exc:
        raise RaftopsAPIError(
            None, "the download broke off: %s" % (to_text(exc) or exc.__class__.__name__), method="GET", path=path
        ) from None


def remove_quietly(path):
    """Remove a temporary file that may already be gone."""
    with contextlib.suppress(OSError):
        os.unlink(path)


def _transfer_problem(headers, size, sha256_bytes, require_digest):
    """Why a downloaded body cannot be trusted, or None."""
    expected_length = headers.get("content-length")
    if expected_length is not None and expected_length.isdigit() and int(expected_length) != size:
        return "received %d bytes, Content-Length said %s" % (size, expected_length)
    digest = headers.get("digest")
    if digest is None and not require_digest:
        return None
    return digest_mismatch(digest, sha256_bytes)
