# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""notification_channel: the comparison (headers as a whole), the whole channel sent, hidden header values."""

from __future__ import annotations

import pytest

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
