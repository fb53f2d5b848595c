# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""accept_status: HTTP error statuses that are answers for one call (autopilot health 429, variable CAS 409)."""

from __future__ import annotations

import io
import json
from email.message import Message
from urllib.error import HTTPError

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsAPIError, RaftopsClient


def http_error(code, body, content_type):
    headers = Message()
    headers["Content-Type"] = content_type
    return HTTPError("http://h:1/x", code, "Error", headers, io.BytesIO(body))


class FakeRequest:
    def __init__(self, outcomes):
        self.outcomes = list(outcomes)
        self.calls = 0

    def open(self, method, url, data=None, headers=None):
        self.calls += 1
        raise self.outcomes.pop(0)


def client(outcomes, warnings):
    params = {"url": "http://h:1", "retries": 3}
    return RaftopsClient(params, warn=warnings.append, sleep=lambda s: None, request=FakeRequest(outcomes))


def test_an_accepted_status_is_returned_not_raised_nor_retried():
    body = json.dumps({"Namespace": "default", "ModifyIndex": 21}).encode()
    warnings = []
    api = client([http_error(409, body, "application/json")], warnings)
    response = api.put("/v1/var/app", body={"Items": {"a": "b"}}, retry=True, accept_status=(409,))
    assert response.status == 409
    assert response.data == {"Namespace": "default", "ModifyIndex": 21}
    assert response.header("Content-Type") == "application/json"
    assert api._request.calls == 1 and warnings == []


def test_a_retryable_status_can_be_accepted():
    api = client([http_error(429, b'{"Healthy": false}', "text/plain; charset=utf-8")], [])
    response = api.get("/v1/operator/autopilot/health", retry=True, accept_status=(429,))
    assert response.status == 429
    assert response.data == '{"Healthy": false}'  # labelled text/plain, as Nomad sends it


def test_other_statuses_still_raise():
    api = client([http_error(403, b"Permission denied", "text/plain")], [])
    with pytest.raises(RaftopsAPIError) as error:
        api.get("/v1/var/app", accept_status=(409,))
    assert error.value.status == 403


def test_raw_keeps_the_bytes():
    api = client([http_error(409, b"{}", "application/json")], [])
    assert api.get("/x", raw=True, accept_status=(409,)).data == b"{}"
