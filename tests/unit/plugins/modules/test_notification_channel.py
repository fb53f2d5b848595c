# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""notification_channel: the comparison (headers as a whole), the whole channel sent, hidden header values."""

from __future__ import annotations

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils._opensearch import header_mask
from ansible_collections.raftops.cluster.plugins.modules import notification_channel as nc

CURRENT = {
    "name": "hook",
    "description": "",
    "config_type": "webhook",
    "is_enabled": True,
    "webhook": {"url": "http://h/x", "header_params": {"A": "1"}, "method": "POST"},
}


def params(**options):
    base = dict.fromkeys(("name", "description", "enabled", "webhook_url", "method", "headers"))
    base.update(options)
    return base


def test_wanted_config_maps_options_to_the_api():
    wanted = nc.wanted_config(params(enabled=False, webhook_url="http://h/y", headers={"B": 2}))
    assert wanted == {"is_enabled": False, "webhook": {"url": "http://h/y", "header_params": {"B": "2"}}}
    with pytest.raises(ValueError, match="must be a string"):
        nc.wanted_config(params(headers={"B": {"x": 1}}))


def test_unset_options_keep_their_values_and_headers_compare_as_a_whole():
    found, config = nc.channel_plan(CURRENT, nc.wanted_config(params(name="hook")))
    assert found == [] and config == CURRENT
    found, config = nc.channel_plan(CURRENT, nc.wanted_config(params(headers={"A": "1", "B": "2"})))
    assert found == ["webhook.header_params"]
    assert config["webhook"] == {"url": "http://h/x", "header_params": {"A": "1", "B": "2"}, "method": "POST"}
    found, config = nc.channel_plan(CURRENT, nc.wanted_config(params(headers={})))
    assert found == ["webhook.header_params"] and config["webhook"]["header_params"] == {}


def test_a_new_channel_gets_the_servers_defaults():
    found, config = nc.channel_plan(None, nc.wanted_config(params(name="n", webhook_url="http://h/z")))
    assert config == {
        "name": "n",
        "description": "",
        "config_type": "webhook",
        "is_enabled": True,
        "webhook": {"url": "http://h/z", "header_params": {}, "method": "POST"},
    }
    assert found == ["name", "webhook.url"]


def test_header_values_are_hidden_and_changes_marked():
    after = dict(CURRENT, webhook=dict(CURRENT["webhook"], header_params={"A": "2", "B": "3"}))
    assert nc.masked(after, CURRENT)["webhook"]["header_params"] == {"A": "<hidden, changed>", "B": "<hidden>"}
    assert nc.masked(CURRENT)["webhook"]["header_params"] == {"A": "<hidden>"}
    assert nc.masked(None) == {}
    assert CURRENT["webhook"]["header_params"] == {"A": "1"}  # the input is left alone


# -- header values are write-only on the server: it shows a salted SHA-256 mask of each ------------------------
def shown_by_server(config, config_id):
    """``config`` as the server answers it: every header value replaced by its mask."""
    out = dict(config, webhook=dict(config["webhook"]))
    out["webhook"]["header_params"] = dict(
        (name, header_mask(config_id, name, value)) for name, value in config["webhook"]["header_params"].items()
    )
    return out


def test_the_mask_is_salted_with_the_channel_and_the_header_and_never_holds_the_value():
    mask = header_mask("hook-1", "Authorization", "Bearer s3cret")
    assert mask.startswith("<hidden:sha256:") and mask.endswith(">") and len(mask) == len("<hidden:sha256:>") + 64
    assert "s3cret" not in mask
    assert mask != header_mask("hook-2", "Authorization", "Bearer s3cret")
    assert mask != header_mask("hook-1", "X-Auth", "Bearer s3cret")
    assert mask == header_mask("hook-1", "Authorization", "Bearer s3cret")


def test_an_unchanged_secret_is_ok_and_a_changed_one_is_a_change():
    current = shown_by_server(CURRENT, "hook-1")
    found, config = nc.channel_plan(current, nc.wanted_config(params(headers={"A": "1"})), "hook-1")
    assert found == []
    found, config = nc.channel_plan(current, nc.wanted_config(params(headers={"A": "2"})), "hook-1")
    assert found == ["webhook.header_params"] and config["webhook"]["header_params"] == {"A": "2"}
    # The same value under another channel id has another mask: a change.
    found, config = nc.channel_plan(current, nc.wanted_config(params(headers={"A": "1"})), "hook-2")
    assert found == ["webhook.header_params"] and config["webhook"]["header_params"] == {"A": "1"}


def test_a_change_without_headers_sends_the_masks_back_and_the_diff_shows_no_value():
    current = shown_by_server(CURRENT, "hook-1")
    found, config = nc.channel_plan(current, nc.wanted_config(params(enabled=False)), "hook-1")
    assert found == ["is_enabled"]
    assert config["webhook"]["header_params"] == current["webhook"]["header_params"]  # "keep these values"
    after = dict(current, webhook=dict(current["webhook"], header_params={"A": "1", "B": "2"}))
    shown = nc.masked(after, current, "hook-1")["webhook"]["header_params"]
    assert shown == {"A": "<hidden>", "B": "<hidden>"}
    after["webhook"]["header_params"] = {"A": "changed"}
    assert nc.masked(after, current, "hook-1")["webhook"]["header_params"] == {"A": "<hidden, changed>"}
