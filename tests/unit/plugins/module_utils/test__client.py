# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the pure parts of the HTTP layer: URL building, body and error parsing, backoff, retry policy.

No network: the retry-loop tests hand RaftopsClient a stand-in for ansible.module_utils.urls.Request.
"""

from __future__ import annotations

import io
import json
from email.message import Message
from urllib.error import HTTPError, URLError

import pytest
import yaml

from ansible_collections.raftops.cluster.plugins.doc_fragments._connection import ModuleDocFragment
from ansible_collections.raftops.cluster.plugins.module_utils import _client
from ansible_collections.raftops.cluster.plugins.module_utils._client import (
    RaftopsAPIError,
    RaftopsClient,
    argument_spec,
    backoff_delay,
    backoff_schedule,
    build_url,
    decode_body,
    error_message,
    fail_from,
    quote_segment,
)

ENV_NAMES = [name for names in _client.ENV_FALLBACKS.values() for name in names]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


# --- build_url ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "path", "query", "expected"),
    [
        ("http://127.0.0.1:4646", "/v1/status/leader", None, "http://127.0.0.1:4646/v1/status/leader"),
        ("http://127.0.0.1:4646/", "/v1/status/leader", None, "http://127.0.0.1:4646/v1/status/leader"),
        ("https://lb.example.com/raftops/", "/v1/agent/self", {}, "https://lb.example.com/raftops/v1/agent/self"),
        ("http://h:1", "v1/x", None, "http://h:1/v1/x"),
        ("http://[::1]:4646", "/v1/x", None, "http://[::1]:4646/v1/x"),
        (
            "http://h:1",
            "/v1/operator/raft/peer",
            {"id": "a b/c?d&e=f", "address": None},
            "http://h:1/v1/operator/raft/peer?id=a%20b%2Fc%3Fd%26e%3Df",
        ),
        ("http://h:1", "/v1/x", {"stale": True, "pretty": False}, "http://h:1/v1/x?stale=true&pretty=false"),
        ("http://h:1", "/v1/x", {"cas": 42}, "http://h:1/v1/x?cas=42"),
        ("http://h:1", "/v1/x", [("b", "1"), ("a", "2"), ("b", "3")], "http://h:1/v1/x?b=1&a=2&b=3"),
        ("http://h:1", "/v1/x", {"tag": ["x", "y z"]}, "http://h:1/v1/x?tag=x&tag=y%20z"),
        ("http://h:1", "/v1/x", {"only_none": None}, "http://h:1/v1/x"),
        ("http://h:1", "/v1/x", {"name": "grüße"}, "http://h:1/v1/x?name=gr%C3%BC%C3%9Fe"),
    ],
)
def test_build_url(base, path, query, expected):
    assert build_url(base, path, query) == expected


@pytest.mark.parametrize(
    "base",
    ["127.0.0.1:4646", "ftp://h/", "http://", "unix:///run/raftops.sock", "http://h:1/?x=1", "http://h:1/#f", ""],
)
def test_build_url_rejects_bad_base(base):
    with pytest.raises(ValueError, match="url must"):
        build_url(base, "/v1/x")


def test_quote_segment():
    assert quote_segment("daily snapshots/1") == "daily%20snapshots%2F1"
    assert quote_segment(7) == "7"
    path = "/_plugins/_sm/policies/" + quote_segment("a?b#c")
    assert build_url("http://h:1", path) == "http://h:1/_plugins/_sm/policies/a%3Fb%23c"


# --- decode_body / error_message ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        (b"", "application/json", None),
        (b'"10.0.0.1:2380"', "application/json", "10.0.0.1:2380"),
        (b'["a", "b"]\n', "application/json; charset=utf-8", ["a", "b"]),
        (b'{"a": 1}', "application/vnd.raftops+json", {"a": 1}),
        (b'{"a": 1}', None, {"a": 1}),
        (b"Permission denied\n", "text/plain; charset=utf-8", "Permission denied\n"),
        (b'{"looks": "like json"}', "text/plain", '{"looks": "like json"}'),
        (b"{broken", "application/json", "{broken"),
        (b"\xff\xfe bytes", None, "\ufffd\ufffd bytes"),
    ],
)
def test_decode_body(raw, content_type, expected):
    assert decode_body(raw, content_type) == expected


OPENSEARCH_404 = {
    "error": {
        "root_cause": [{"type": "status_exception", "reason": "Snapshot management policy not found"}],
        "type": "status_exception",
        "reason": "Snapshot management policy not found",
    },
    "status": 404,
}


@pytest.mark.parametrize(
    ("body", "reason", "expected"),
    [
        ("Permission denied\n", "Forbidden", "Permission denied"),
        ("No cluster leader", None, "No cluster leader"),
        (OPENSEARCH_404, "Not Found", "Snapshot management policy not found"),
        ({"error": {"root_cause": [{"reason": "from root cause"}], "type": "x"}}, None, "from root cause"),
        (
            {"error": {"root_cause": [], "type": "version_conflict_engine_exception"}},
            None,
            "version_conflict_engine_exception",
        ),
        ({"error": "backup not found"}, None, "backup not found"),
        ({"message": "bad request body"}, None, "bad request body"),
        ({"unexpected": True}, "Bad Request", '{"unexpected": true}'),
        ([1, 2], None, "[1, 2]"),
        (None, "Method Not Allowed", "Method Not Allowed"),
        ("  \n", "Internal Server Error", "Internal Server Error"),
        (None, None, "no error message in the response"),
    ],
)
def test_error_message(body, reason, expected):
    assert error_message(body, reason) == expected


def test_error_message_truncates_long_text():
    message = error_message("x" * (_client.MAX_ERROR_TEXT + 100))
    assert len(message) == _client.MAX_ERROR_TEXT + 3
    assert message.endswith("...")


def test_api_error_str():
    assert str(RaftopsAPIError(403, "Permission denied", method="GET", path="/v1/x")) == (
        "GET /v1/x: HTTP 403: Permission denied"
    )
    assert str(RaftopsAPIError(None, "no answer from http://h:1: timed out")) == "no answer from http://h:1: timed out"


# --- backoff -----------------------------------------------------------------------------------------------------


def test_backoff_schedule_is_exponential_and_capped():
    assert backoff_schedule(0) == []
    assert backoff_schedule(3) == [1.0, 2.0, 4.0]
    assert backoff_schedule(6) == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert backoff_schedule(3, base=0.5, maximum=1.5) == [0.5, 1.0, 1.5]


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("3", 3.0), ("0", 0.0), ("120", 10.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 4.0), ("-1", 4.0), (None, 4.0)],
)
def test_backoff_delay_honours_retry_after(retry_after, expected):
    assert backoff_delay(3, retry_after) == expected


# --- argument spec and doc fragment ------------------------------------------------------------------------------


def test_argument_spec_matches_doc_fragment():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    spec = argument_spec()
    assert sorted(documented) == sorted(spec)
    for name, option in documented.items():
        assert option["type"] == spec[name]["type"], name
        assert option.get("default") == spec[name].get("default"), name
    assert spec["token"]["no_log"] is True


def test_argument_spec_is_a_copy():
    spec = argument_spec()
    spec["url"]["default"] = "http://changed"
    spec["extra"] = {}
    assert argument_spec()["url"]["default"] == _client.DEFAULT_URL
    assert "extra" not in argument_spec()


# --- client configuration ----------------------------------------------------------------------------------------


def params(**kwargs):
    base = {
        "url": None,
        "token": None,
        "ca_path": None,
        "client_cert": None,
        "client_key": None,
        "validate_certs": True,
        "timeout": 10,
        "retries": 3,
    }
    base.update(kwargs)
    return base


def test_client_env_fallbacks_in_code(monkeypatch):
    monkeypatch.setenv("NOMAD_ADDR", "http://nomad:4646")
    monkeypatch.setenv("NOMAD_TOKEN", "nomad-token")
    client = RaftopsClient(params(), request=FakeRequest([]))
    assert client.base_url == "http://nomad:4646"
    assert client.token == "nomad-token"

    monkeypatch.setenv("RAFTOPS_ADDR", "https://raftops:4646")
    monkeypatch.setenv("RAFTOPS_TOKEN", "raftops-token")
    client = RaftopsClient(params(), request=FakeRequest([]))
    assert client.base_url == "https://raftops:4646"
    assert client.token == "raftops-token"

    client = RaftopsClient(params(url="http://explicit:1", token="t"), request=FakeRequest([]))
    assert (client.base_url, client.token) == ("http://explicit:1", "t")


def test_client_defaults_from_empty_params():
    client = RaftopsClient({}, request=FakeRequest([]))
    assert client.base_url == "http://127.0.0.1:4646"
    assert (client.timeout, client.retries, client.validate_certs) == (10, 3, True)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"url": "raft1:4646"}, "url must"),
        ({"retries": -1}, "retries"),
        ({"timeout": 0}, "timeout"),
        ({"client_key": "/nonexistent/key.pem"}, "client_key requires client_cert"),
        ({"ca_path": "/nonexistent/ca.pem"}, "ca_path: no such file"),
    ],
)
def test_client_rejects_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RaftopsClient(params(**kwargs), request=FakeRequest([]))


# --- request / retry policy, with a stand-in for urls.Request ----------------------------------------------------


def _message(headers):
    msg = Message()
    for key, value in headers.items():
        msg[key] = value
    return msg


class FakeResponse:
    def __init__(self, status, body, headers):
        self.status = status
        self.headers = _message(headers)
        self._body = io.BytesIO(body)

    def read(self):
        return self._body.read()

    def close(self):
        pass


def ok(data, content_type="application/json"):
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return FakeResponse(200, body, {"Content-Type": content_type})


def http_error(code, body=b"", content_type="text/plain; charset=utf-8", reason="Error", headers=None):
    all_headers = {"Content-Type": content_type}
    all_headers.update(headers or {})
    return HTTPError("http://h:1/x", code, reason, _message(all_headers), io.BytesIO(body))


class FakeRequest:
    """Replays outcomes (a FakeResponse, or an exception to raise) and records the calls."""

    def __init__(self, outcomes):
        self.outcomes = list(outcomes)
        self.calls = []

    def open(self, method, url, data=None, headers=None):
        self.calls.append({"method": method, "url": url, "data": data, "headers": dict(headers or {})})
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


class Harness:
    """A client wired to a FakeRequest, recording warnings and sleeps instead of emitting/sleeping."""

    def __init__(self, outcomes, **kwargs):
        self.warnings = []
        self.sleeps = []
        self.fake = FakeRequest(outcomes)
        self.calls = self.fake.calls
        self.client = RaftopsClient(
            params(**kwargs), warn=self.warnings.append, sleep=self.sleeps.append, request=self.fake
        )


def make_client(outcomes, **kwargs):
    return Harness(outcomes, **kwargs)


def test_get_parses_json_and_sends_token():
    h = make_client([ok("10.0.0.1:2380")], token="secret")
    response = h.client.get("/v1/status/leader", query={"stale": True})
    assert response.status == 200
    assert response.data == "10.0.0.1:2380"
    assert response.raw == b'"10.0.0.1:2380"'
    assert response.header("content-type") == "application/json"
    assert h.calls[0]["method"] == "GET"
    assert h.calls[0]["url"] == "http://127.0.0.1:4646/v1/status/leader?stale=true"
    assert h.calls[0]["headers"]["X-Nomad-Token"] == "secret"
    assert h.warnings == []


def test_no_token_header_without_token():
    h = make_client([ok([])])
    h.client.get("/v1/status/peers")
    assert "X-Nomad-Token" not in h.calls[0]["headers"]


def test_raw_returns_bytes():
    h = make_client([ok(b"\x1f\x8b binary", content_type="application/octet-stream")])
    assert h.client.get("/v1/operator/snapshot", raw=True).data == b"\x1f\x8b binary"


@pytest.mark.parametrize(
    ("body", "sent", "content_type"),
    [
        ({"CleanupDeadServers": True}, b'{"CleanupDeadServers": true}', "application/json"),
        (b"\x00\x01", b"\x00\x01", "application/octet-stream"),
        ("text", b"text", "text/plain; charset=utf-8"),
    ],
)
def test_body_encoding(body, sent, content_type):
    h = make_client([ok(True)])
    h.client.put("/v1/operator/autopilot/configuration", body=body)
    assert h.calls[0]["data"] == sent
    assert h.calls[0]["headers"]["Content-Type"] == content_type


def test_caller_headers_win():
    h = make_client([ok(True)])
    h.client.post("/x", body={"a": 1}, headers={"Content-Type": "application/x-custom"})
    assert h.calls[0]["headers"]["Content-Type"] == "application/x-custom"


def test_plain_text_error_is_not_retried_and_keeps_message():
    h = make_client([http_error(403, b"Permission denied\n")])
    with pytest.raises(RaftopsAPIError) as info:
        h.client.get("/v1/agent/self", retry=True)
    assert info.value.status == 403
    assert info.value.message == "Permission denied"
    assert str(info.value) == "GET /v1/agent/self: HTTP 403: Permission denied"
    assert len(h.calls) == 1
    assert h.warnings == [] and h.sleeps == []


def test_opensearch_error_reason_is_extracted():
    body = json.dumps(OPENSEARCH_404).encode()
    h = make_client([http_error(404, body, content_type="application/json; charset=UTF-8")])
    with pytest.raises(RaftopsAPIError) as info:
        h.client.get("/_plugins/_sm/policies/daily")
    assert info.value.status == 404
    assert info.value.message == "Snapshot management policy not found"
    assert info.value.body == OPENSEARCH_404


def test_safe_call_retries_5xx_then_succeeds():
    outcomes = [http_error(500, b"No cluster leader"), http_error(503, b""), ok(["a"])]
    h = make_client(outcomes)
    assert h.client.get("/v1/status/peers", retry=True).data == ["a"]
    assert len(h.calls) == 3
    assert h.sleeps == [1.0, 2.0]
    assert len(h.warnings) == 2
    assert h.warnings[0] == "GET /v1/status/peers: HTTP 500: No cluster leader; retry 1 of 3 in 1.0 s"


def test_safe_call_retries_connection_errors_and_gives_up():
    refused = URLError(ConnectionRefusedError(111, "Connection refused"))
    h = make_client([refused] * 4)
    with pytest.raises(RaftopsAPIError) as info:
        h.client.get("/v1/status/leader", retry=True)
    assert info.value.status is None
    assert "no answer from http://127.0.0.1:4646" in info.value.message
    assert len(h.calls) == 4
    assert h.sleeps == [1.0, 2.0, 4.0]
    assert len(h.warnings) == 3


def test_timeout_is_retried():
    h = make_client([TimeoutError("timed out"), ok("x")], retries=1)
    assert h.client.get("/v1/status/leader", retry=True).data == "x"
    assert h.sleeps == [1.0]


def test_429_uses_retry_after():
    outcomes = [http_error(429, b"slow down", headers={"Retry-After": "2"}), ok({})]
    h = make_client(outcomes)
    h.client.get("/v1/agent/self", retry=True)
    assert h.sleeps == [2.0]


def test_unsafe_call_is_never_retried():
    h = make_client([http_error(500, b"boom")])
    with pytest.raises(RaftopsAPIError) as info:
        h.client.post("/v1/operator/snapshot")
    assert info.value.status == 500
    assert len(h.calls) == 1
    assert h.warnings == [] and h.sleeps == []


def test_unsafe_call_connection_error_is_not_retried():
    h = make_client([ConnectionResetError(104, "Connection reset by peer")])
    with pytest.raises(RaftopsAPIError):
        h.client.delete("/v1/operator/raft/peer", query={"id": "x"})
    assert len(h.calls) == 1


def test_retries_zero_disables_retry():
    h = make_client([http_error(503, b"")], retries=0)
    with pytest.raises(RaftopsAPIError):
        h.client.get("/v1/status/leader", retry=True)
    assert len(h.calls) == 1


def test_certificate_error_is_not_retried():
    import ssl

    error = URLError(ssl.SSLCertVerificationError(1, "certificate verify failed"))
    h = make_client([error])
    with pytest.raises(RaftopsAPIError, match="TLS error"):
        h.client.get("/v1/status/leader", retry=True)
    assert len(h.calls) == 1


def test_file_body_is_rewound_before_retry():
    payload = io.BytesIO(b"archive")
    h = make_client([http_error(503), ok(True)])
    h.client.put("/v1/x", body=payload, retry=True)
    assert len(h.calls) == 2
    assert payload.tell() == 0


# --- fail_from ---------------------------------------------------------------------------------------------------


class FailJson(Exception):
    pass


class FakeModule:
    def __init__(self):
        self.result = None

    def fail_json(self, **kwargs):
        self.result = kwargs
        raise FailJson()


def test_fail_from_api_error():
    module = FakeModule()
    with pytest.raises(FailJson):
        fail_from(module, RaftopsAPIError(404, "not found", {"error": "not found"}, method="GET", path="/v1/x"))
    assert module.result == {"msg": "GET /v1/x: HTTP 404: not found", "status": 404, "body": {"error": "not found"}}


def test_fail_from_value_error():
    module = FakeModule()
    with pytest.raises(FailJson):
        fail_from(module, ValueError("client_key requires client_cert"), extra=1)
    assert module.result == {"msg": "client_key requires client_cert", "status": None, "extra": 1}
