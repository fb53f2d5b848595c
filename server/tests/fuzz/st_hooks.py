"""Schemathesis checks for raftops (loaded with SCHEMATHESIS_HOOKS=tests.fuzz.st_hooks).

* ``no_undefined_5xx`` replaces ``not_a_server_error``: a 5xx passes only when its body is one the
  upstream Nomad API defines for that kind of request (UPSTREAM_5XX, documented in
  docs/reliability.md and as ``x-upstream-5xx`` in docs/openapi.json).
* ``bad_token_gets_no_data``: when the run's token is not a valid one (RAFTOPS_FUZZ_TOKEN_KIND is
  ``bad`` or ``anonymous``), an operation that needs a capability must not answer 2xx, apart from
  the few that Nomad answers for any caller, and no answer may contain a planted secret
  (RAFTOPS_FUZZ_PLANTED, comma-separated).
"""

from __future__ import annotations

import os
import re

import schemathesis

# (status, regular expression over the text body) that upstream Nomad defines.
UPSTREAM_5XX: list[tuple[int, re.Pattern[str]]] = [
    (500, re.compile(r"^No cluster leader$")),
    (500, re.compile(r"^(autopilot|scheduler) config not initialized yet$")),
    (500, re.compile(r'^(id|address) ".*" was not found in the Raft configuration$', re.S)),
    (500, re.compile(r"^need at least one voter in configuration: ")),
    (500, re.compile(r"^failed to restore from snapshot: ", re.S)),
    (500, re.compile(r"^failed to transfer leadership")),
    (503, re.compile(r"^No cluster leader$")),
]

# Operations any caller may use with ACLs on (Nomad checks no capability, or filters the answer).
OPEN_TO_ANY_CALLER = {
    ("GET", "/v1/status/leader"),
    ("GET", "/v1/status/peers"),
    ("GET", "/v1/agent/health"),
    ("GET", "/v1/metrics"),
    ("GET", "/v1/openapi.json"),
    ("PUT", "/v1/acl/bootstrap"),
    ("POST", "/v1/acl/bootstrap"),
}
# With no token at all Nomad uses the anonymous token: these answer, filtered to what it may see.
OPEN_TO_ANONYMOUS = {
    ("GET", "/v1/vars"),
    ("GET", "/v1/acl/policies"),
    ("GET", "/v1/acl/policy/self"),
    ("GET", "/v1/acl/token/self"),
}


def upstream_defined(status: int, body: str) -> bool:
    return any(status == code and pattern.search(body) for code, pattern in UPSTREAM_5XX)


@schemathesis.check
def no_undefined_5xx(ctx, response, case) -> None:
    if response.status_code < 500:
        return
    body = response.text or ""
    if upstream_defined(response.status_code, body.strip()):
        return
    raise AssertionError(f"{response.status_code} that upstream does not define: {body[:300]!r}")


@schemathesis.check
def bad_token_gets_no_data(ctx, response, case) -> None:
    kind = os.environ.get("RAFTOPS_FUZZ_TOKEN_KIND", "")
    if kind not in ("bad", "anonymous"):
        return
    body = response.text or ""
    for secret in filter(None, os.environ.get("RAFTOPS_FUZZ_PLANTED", "").split(",")):
        if secret in body:
            raise AssertionError(f"a {kind} token got planted data {secret!r}: {body[:300]!r}")
    key = (case.method.upper(), case.operation.path)
    if key in OPEN_TO_ANY_CALLER or (kind == "anonymous" and key in OPEN_TO_ANONYMOUS):
        return
    if 200 <= response.status_code < 300:
        raise AssertionError(f"a {kind} token was answered {response.status_code}: {body[:300]!r}")


@schemathesis.hook
def map_query(ctx, query):
    """A blocking query (``index`` above 0) waits up to 5 minutes for a change: give it a wait that
    ends well inside the request timeout, so an example tests the answer and not the clock."""
    if query and str(query.get("index", "") or "0").strip("0"):
        query = {**query, "wait": "10ms"}
    return query
