"""Webhook header values are write-only: no answer carries them, the webhook still receives them.

An operator:read token (and a management one) reads channels; no byte of any answer holds the
``Authorization`` value, each header shows ``<hidden:sha256:HEX>`` with HEX = SHA-256 of
``raftops-webhook-header NUL <id> NUL <name> NUL <value>``. A read-modify-write that sends the masks back
keeps the secret (the webhook gets it after the rename), a mask of another value is refused, and a
header that would inject another header is refused, all without writing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..integration.smhelpers import Webhook
from .helpers import CHANNELS, SM, Target, changed, error_type, reason, run_creation, running, wait_until

SECRET = "Bearer s3cret-7f0c-webhook"
HOOK = "/hook"


def mask(config_id: str, name: str, value: str) -> str:
    """The documented mask (docs/api/sm.md), computed independently of the server's code."""
    salted = f"raftops-webhook-header\0{config_id}\0{name}\0{value}".encode()
    return "<hidden:sha256:" + hashlib.sha256(salted).hexdigest() + ">"


@pytest.fixture(scope="module")
def webhook() -> Iterator[Webhook]:
    with Webhook().running() as hook:
        yield hook


@pytest.fixture(scope="module")
def target(cluster_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    repos = tmp_path_factory.mktemp("webhook-repos")
    with running(cluster_root, "webhook-secrets", {"sm": {"test_clock": True, "path_repo": [str(repos)]}}) as t:
        t.ok("PUT", "/_snapshot/hooked", {"type": "fs", "settings": {"location": str(repos / "hooked")}})
        yield t


@pytest.fixture(scope="module")
def reader(target: Target) -> str:
    """A client token with operator:read only (what reads SM policies and channels)."""
    target.ok("PUT", "/v1/acl/policy/op-read", {"Name": "op-read", "Rules": 'operator { policy = "read" }'})
    return target.ok("PUT", "/v1/acl/token", {"Name": "reader", "Type": "client", "Policies": ["op-read"]})["SecretID"]


def channel(url: str, headers: dict[str, str]) -> dict:
    return {"name": "ops", "config_type": "webhook", "webhook": {"url": url, "header_params": headers}}


def test_no_answer_carries_a_header_value(target: Target, reader: str, webhook: Webhook) -> None:
    headers = {"Authorization": SECRET, "Content-Type": "text/plain"}
    answers = [
        target.request("POST", CHANNELS, body={"config_id": "ops", "config": channel(webhook.url + HOOK, headers)})
    ]
    assert answers[0].status_code == 200, answers[0].text
    for token in (reader, target.token):
        answers.append(target.request("GET", f"{CHANNELS}/ops", token=token))
        answers.append(target.request("GET", CHANNELS, token=token))
        answers.append(target.request("GET", CHANNELS, params={"config_id_list": "ops"}, token=token))
        answers.append(target.request("GET", CHANNELS, params={"name": "ops", "config_type": "webhook"}, token=token))
        answers.append(target.request("GET", CHANNELS, params={"pretty": "true"}, token=token))
    answers.append(target.request("PUT", f"{CHANNELS}/ops", body={"config": channel(webhook.url + HOOK, headers)}))
    for resp in answers:
        assert resp.status_code == 200, resp.text
        assert b"s3cret" not in resp.content
    shown = answers[1].json()["config_list"][0]["config"]["webhook"]["header_params"]
    assert shown == {name: mask("ops", name, value) for name, value in headers.items()}
    # Salted: the same value under another header name (or channel) has another mask.
    assert mask("ops", "X-Other", SECRET) != shown["Authorization"] != mask("other", "Authorization", SECRET)


def test_masks_sent_back_keep_the_secret_and_the_webhook_gets_it(target: Target, webhook: Webhook) -> None:
    config = target.ok("GET", f"{CHANNELS}/ops")["config_list"][0]["config"]
    config["name"] = "renamed"  # read-modify-write: the masks travel back
    target.ok("PUT", f"{CHANNELS}/ops", {"config": config})
    assert target.ok("GET", f"{CHANNELS}/ops")["config_list"][0]["config"] == config
    policy = {
        "creation": {"schedule": {"cron": {"expression": "* * * * *", "timezone": "UTC"}}},
        "snapshot_config": {"repository": "hooked"},
        "notification": {"channel": {"id": "ops"}, "conditions": {"creation": True}},
    }
    target.ok("POST", f"{SM}/hooked", policy, 201)
    run_creation(target, "hooked")

    def delivered() -> list[dict]:
        with webhook.lock:
            return [r for r in webhook.requests if r["path"] == HOOK]

    got = wait_until(delivered, 30, what="a notification")
    assert got[0]["headers"]["Authorization"] == SECRET  # the secret itself, kept through the masked write
    assert got[0]["headers"]["Content-Type"] == "text/plain"
    target.ok("DELETE", f"{SM}/hooked")


def test_a_foreign_mask_or_an_injected_header_is_refused_without_a_write(target: Target, webhook: Webhook) -> None:
    before = target.state_keys()
    current = target.ok("GET", f"{CHANNELS}/ops")["config_list"][0]["config"]
    for headers, why in (
        ({"Authorization": mask("ops", "Authorization", "guessed")}, "is a mask this channel does not hold"),
        ({"Authorization": mask("other", "Authorization", SECRET)}, "is a mask this channel does not hold"),
        ({"X-Key": current["webhook"]["header_params"]["Authorization"]}, "is a mask this channel does not hold"),
        ({"Authorization": "Bearer x\r\nX-Injected: 1"}, "control characters"),
        ({"Bad Header": "x"}, "must be an HTTP token"),
        ({"X-Nul": "a\u0000b"}, "control characters"),
    ):
        resp = target.request("PUT", f"{CHANNELS}/ops", body={"config": channel(webhook.url + HOOK, headers)})
        assert (resp.status_code, error_type(resp)) == (400, "illegal_argument_exception"), resp.text
        assert why in reason(resp)
        resp = target.request("POST", CHANNELS, body={"config_id": "new", "config": channel(webhook.url, headers)})
        assert resp.status_code == 400, resp.text
    assert changed(before, target.state_keys()) == []
    assert target.ok("GET", f"{CHANNELS}/ops")["config_list"][0]["config"] == current
    assert json.dumps(current).count("<hidden:sha256:") == 2
