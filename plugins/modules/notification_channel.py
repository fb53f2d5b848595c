#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: notification_channel
short_description: Manage a webhook notification channel for snapshot management (SM) policies
version_added: 0.1.0
description:
  - Creates, updates or deletes the OpenSearch-style notification channel O(id) (a webhook) through
    C(/_plugins/_notifications/configs), which SM policies (M(raftops.cluster.sm_policy)) report to.
  - The module reads the channel and compares the options you set with it; options you leave out keep their current
    values. O(headers) is compared as a whole. When something differs, it sends the whole channel (a C(PUT)
    replaces it) or creates it.
author:
  - raftops maintainers (@raftops)
extends_documentation_fragment:
  - raftops.cluster._connection
  - raftops.cluster._attributes
  - raftops.cluster._attributes.actiongroup_raftops
attributes:
  check_mode:
    support: full
    details:
      - Check mode reads the channel and predicts the change without writing.
  diff_mode:
    support: full
    details:
      - The diff shows header names; their values are replaced by C(<hidden>) (C(<hidden, changed>) where one
        changes).
      - The server never returns header values, only a salted SHA-256 mask of each (C(<hidden:sha256:...>)); the
        module compares the values you set against those masks, so an unchanged secret is C(ok) without being read
        back.
  idempotent:
    support: full
options:
  id:
    description:
      - The channel's id (C(config_id)), which policies name in C(notification.channel.id). Letters, digits, C(+),
        C(_) and C(-).
    type: str
    required: true
  state:
    description: Whether the channel must exist or not.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: The channel's display name. Required to create a channel.
    type: str
  description:
    description: What the channel is for. A new channel's description is empty unless set.
    type: str
  webhook_url:
    description:
      - The webhook's C(http://) or C(https://) URL (C(webhook.url)). Required to create a channel.
      - Not O(url), which is the agent's address.
    type: str
  method:
    description: The HTTP method the webhook is called with. A new channel uses V(POST) unless set.
    type: str
    choices: [POST, PUT, PATCH]
  headers:
    description:
      - HTTP headers sent with every message (C(header_params)), as a dict of strings; V({}) sends none.
      - Without headers, the server sends C(Content-type application/json).
      - Header values often carry credentials, so this is a C(no_log) option and the module never returns or shows
        the values. The server keeps them write-only as well (it shows a mask), and the module detects a changed
        value by comparing it with that mask.
    type: dict
  enabled:
    description: Whether the channel sends messages (C(is_enabled)). A new channel is enabled unless this is V(false).
    type: bool
notes:
  - The token needs the C(operator:write) capability when ACLs are enabled (C(operator:read) in check mode).
  - Because O(headers) is a C(no_log) option, Ansible also masks any other text in the task output that equals a
    header value (a value such as V(text/plain) is masked wherever it appears). Prefer O(headers) for secrets only.
  - When the URL itself is a secret (as with some chat services' incoming webhooks), set C(no_log) on the task.
  - The API has no concurrency token for channels; the last writer wins.
seealso:
  - module: raftops.cluster.sm_policy
"""

EXAMPLES = r"""
- name: Report SM events to the operations webhook
  raftops.cluster.notification_channel:
    id: ops-webhook
    name: Operations webhook
    webhook_url: https://hooks.example.com/raftops
    headers:
      Authorization: "Bearer {{ hook_token }}"
      Content-Type: text/plain

- name: Mute it for a while
  raftops.cluster.notification_channel:
    id: ops-webhook
    enabled: false

- name: Delete it
  raftops.cluster.notification_channel:
    id: ops-webhook
    state: absent
"""

RETURN = r"""
channel:
  description:
    - The channel after the module ran (in check mode, the predicted one), header values hidden; empty when it does
      not exist.
  returned: success
  type: dict
  sample:
    name: Operations webhook
    description: ""
    config_type: webhook
    is_enabled: true
    webhook:
      url: https://hooks.example.com/raftops
      method: POST
      header_params:
        Authorization: <hidden>
differences:
  description: Dotted paths of what differs (C(name), C(webhook.url), C(webhook.header_params), ...).
  returned: success
  type: list
  elements: str
  sample:
    - is_enabled
"""

import copy

from ansible_collections.raftops.cluster.plugins.module_utils._cas import Plan, Snapshot, WriteResult, reconcile
from ansible_collections.raftops.cluster.plugins.module_utils._client import (
    RaftopsAPIError,
    error_message,
    quote_segment,
)
from ansible_collections.raftops.cluster.plugins.module_utils._diff import differences, make_diff, merge
from ansible_collections.raftops.cluster.plugins.module_utils._module import new_module, run
from ansible_collections.raftops.cluster.plugins.module_utils._opensearch import (
    check_channel_id,
    error_reason,
    header_value_matches,
    headers_match,
    is_missing,
)

BASE = "/_plugins/_notifications/configs"
METHODS = {"create": "POST", "update": "PUT", "delete": "DELETE"}
# The notifications plugin's answers when its compare-and-write lost to another writer.
RACE_REASONS = ("NotificationConfig Update failed", "NotificationConfig delete failed")
HIDDEN = "<hidden>"
HIDDEN_CHANGED = "<hidden, changed>"
NEW_CHANNEL = {
    "name": None,
    "description": "",
    "config_type": "webhook",
    "is_enabled": True,
    "webhook": {"url": None, "header_params": {}, "method": "POST"},
}


def wanted_config(params):
    """The channel fields the user set, in the API's shape."""
    wanted = {}
    webhook = {}
    for option, key in (("name", "name"), ("description", "description"), ("enabled", "is_enabled")):
        if params.get(option) is not None:
            wanted[key] = params[option]
    for option, key in (("webhook_url", "url"), ("method", "method")):
        if params.get(option) is not None:
            webhook[key] = params[option]
    if params.get("headers") is not None:
        headers = {}
        for name, value in params["headers"].items():
            if isinstance(value, (dict, list)) or value is None:
                raise ValueError("headers[%r] must be a string" % (name,))
            headers[str(name)] = value if isinstance(value, str) else str(value)
        webhook["header_params"] = headers
    if webhook:
        wanted["webhook"] = webhook
    return wanted


def channel_plan(current, wanted, config_id=""):
    """(differences, the whole config to send) of ``wanted`` against ``current`` (None: a new channel).

    The server shows header values only as masks: the wanted values are compared with those. A config
    sent without new headers carries the masks back, which the server reads as "keep these values".
    """
    base = current if current is not None else NEW_CHANNEL
    headers = (wanted.get("webhook") or {}).get("header_params")
    subset = copy.deepcopy(wanted)
    if headers is not None:
        del subset["webhook"]["header_params"]  # compared as a whole below, not key by key
    found = differences(subset, base if current is not None else {})
    current_headers = ((current or {}).get("webhook") or {}).get("header_params") or {}
    if headers is not None and (current is None or not headers_match(config_id, headers, current_headers)):
        found = sorted(found + ["webhook.header_params"])
    config = merge(base, wanted)
    if headers is not None:
        config["webhook"]["header_params"] = dict(headers)
    return found, config


def masked(config, before=None, config_id=""):
    """``config`` with header values hidden; against ``before``, changed values are marked.

    Either side may hold masks (what the server shows) or values (what the user set).
    """
    if not config:
        return {}
    out = copy.deepcopy(config)
    webhook = out.get("webhook")
    if isinstance(webhook, dict) and isinstance(webhook.get("header_params"), dict):
        old = ((before or {}).get("webhook") or {}).get("header_params") or {}

        def shown(name, value):
            if before is None or name not in old:
                return HIDDEN
            if header_value_matches(config_id, name, value, old[name]):
                return HIDDEN
            return HIDDEN_CHANGED

        webhook["header_params"] = dict((name, shown(name, value)) for name, value in webhook["header_params"].items())
    return out


class ChannelAPI(object):
    def __init__(self, client, config_id):
        self.client = client
        self.config_id = config_id
        self.path = "%s/%s" % (BASE, quote_segment(config_id))

    def read(self):
        try:
            data = self.client.get(self.path, retry=True).data
        except RaftopsAPIError as exc:
            if is_missing(exc, "status_exception"):
                return Snapshot(None, None)
            raise
        found = data.get("config_list") if isinstance(data, dict) else None
        if not isinstance(found, list) or len(found) != 1 or not isinstance(found[0].get("config"), dict):
            raise ValueError("unexpected answer to GET %s: %r" % (self.path, data))
        return Snapshot(found[0]["config"], None)

    def write(self, step, index):
        action, config = step
        if action == "delete":
            response = self.client.delete(self.path, retry=True, accept_status=(404, 500))
        elif action == "create":
            # Not retried blindly: a repeated create that had applied would be a 409, read as a conflict.
            response = self.client.post(
                BASE, body={"config_id": self.config_id, "config": config}, accept_status=(409,)
            )
        else:  # a PUT replaces the channel: repeating it is safe
            response = self.client.put(self.path, body={"config": config}, retry=True, accept_status=(500,))
        status, data = response.status, response.data
        if status in (404, 409) or (status == 500 and error_reason(data) in RACE_REASONS):
            return WriteResult(False)  # another writer got there first: read again
        if status >= 400:
            raise RaftopsAPIError(status, error_message(data), data, method=METHODS[action], path=self.path)
        return WriteResult(True)


def apply(module, client):
    params = module.params
    config_id = check_channel_id(params["id"])
    state = params["state"]
    wanted = wanted_config(params) if state == "present" else None
    api = ChannelAPI(client, config_id)

    def plan(current):
        if wanted is None:
            return Plan(current is not None, ("delete", None), ["config"] if current is not None else [])
        found, config = channel_plan(current, wanted, config_id)
        if current is None:
            missing = [
                option
                for option, value in (("name", config["name"]), ("webhook_url", config["webhook"]["url"]))
                if not value
            ]
            if missing:
                raise ValueError("creating channel %s needs %s" % (config_id, " and ".join(missing)))
            return Plan(True, ("create", config), found)
        return Plan(bool(found), ("update", config), found)

    outcome = reconcile(
        api.read,
        plan,
        api.write,
        check_mode=module.check_mode,
        warn=module.warn,
        what="notification channel %s" % config_id,
    )
    before = outcome.before
    after = outcome.after[1] if outcome.changed else before
    result = {
        "changed": outcome.changed,
        "channel": masked(after),
        "differences": outcome.differences,
    }
    if module._diff:
        result["diff"] = make_diff(masked(before), masked(after, before, config_id))
    return result


def main():
    spec = {
        "id": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "name": {"type": "str"},
        "description": {"type": "str"},
        "webhook_url": {"type": "str"},
        "method": {"type": "str", "choices": ["POST", "PUT", "PATCH"]},
        "headers": {"type": "dict", "no_log": True},
        "enabled": {"type": "bool"},
    }
    module = new_module(spec, supports_check_mode=True)
    run(module, apply)


if __name__ == "__main__":
    main()
