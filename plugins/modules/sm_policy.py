#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sm_policy
short_description: Manage a snapshot management (SM) policy with if_seq_no/if_primary_term
version_added: 0.1.0
description:
  - Creates, updates, enables, disables or deletes the OpenSearch-style snapshot management policy O(name) through
    C(/_plugins/_sm/policies/<name>).
  - The options follow the policy's JSON document (OpenSearch's field names are already snake_case). Only the keys
    you set are compared with the policy the server holds; keys you leave out keep their current values.
  - The server adds fields of its own (C(name), C(schema_version), C(last_updated_time), C(enabled_time) and the job
    C(schedule)); they never count as a difference and never show up in the diff. TimeValues are compared the way
    the server prints them, so V(24h) equals a stored V(1d).
  - An update (C(PUT)) replaces the whole document, so the module sends the current document with your keys laid
    over it, with C(if_seq_no)/C(if_primary_term) read just before. When another writer got there first (HTTP 409),
    the module reads the policy again, compares again and retries, up to O(cas_retries) times.
  - When only O(enabled) differs, the module calls C(_start) or C(_stop) instead (no write when already so). When
    the document changes too, the one C(PUT) carries O(enabled). A start, stop or delete that loses a race is
    answered with HTTP 500 "... due to a concurrent update, please try again"; the module reads again and retries
    it like a conflict.
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
      - Check mode reads the policy and predicts the change and the stored document without writing.
      - The policy name, the TimeValues and the deletion counts are checked before anything is sent; cron
        expressions, time zones and date formats are checked by the server, so a check-mode run does not refuse
        them.
  diff_mode:
    support: full
    details:
      - The diff shows the policy document without the fields the server generates.
  idempotent:
    support: full
options:
  name:
    description:
      - The policy's name. Lowercase, without whitespace, C(,), C(#), a leading C(_) or any of
        C(\ / * ? " < > |).
    type: str
    required: true
  state:
    description: Whether the policy must exist or not.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: The policy's description.
    type: str
  enabled:
    description:
      - Whether the policy runs. A new policy is enabled unless this is V(false).
    type: bool
  creation:
    description:
      - When to create snapshots. A new policy needs O(creation), O(deletion) or both.
    type: dict
    suboptions:
      schedule:
        description: The creation schedule.
        type: dict
        suboptions:
          cron:
            description: A UNIX cron schedule.
            type: dict
            suboptions:
              expression:
                description: Five fields, for example V(0 8 * * *).
                type: str
              timezone:
                description: An IANA time zone such as V(UTC) or V(Europe/Berlin).
                type: str
              schedule_delay:
                description: Milliseconds every fire time is shifted by.
                type: int
      time_limit:
        description: How long a creation may take, an OpenSearch TimeValue such as V(1h).
        type: str
  deletion:
    description:
      - When and which snapshots to delete. Without a schedule, the creation schedule is used.
    type: dict
    suboptions:
      schedule:
        description: The deletion schedule.
        type: dict
        suboptions:
          cron:
            description: A UNIX cron schedule.
            type: dict
            suboptions:
              expression:
                description: Five fields, for example V(0 1 * * *).
                type: str
              timezone:
                description: An IANA time zone.
                type: str
              schedule_delay:
                description: Milliseconds every fire time is shifted by.
                type: int
      condition:
        description: Which snapshots go. A new deletion needs C(max_age) or C(max_count).
        type: dict
        suboptions:
          max_age:
            description: Delete snapshots older than this TimeValue (never leaving fewer than C(min_count)).
            type: str
          max_count:
            description: Keep at most this many snapshots; must be greater than C(min_count).
            type: int
          min_count:
            description: Always keep at least this many. The server's default is 1.
            type: int
      time_limit:
        description: How long a deletion may take, an OpenSearch TimeValue.
        type: str
      snapshot_pattern:
        description: Also delete snapshots whose names match this pattern.
        type: str
  snapshot_config:
    description:
      - Where and how snapshots are taken, as the server stores it. A new policy needs C(repository).
      - Keys the server uses are C(repository), C(date_format) (a Java DateTimeFormatter pattern),
        C(date_format_timezone) and C(metadata) (a dict); C(indices), C(partial), C(include_global_state) and
        others are stored as given.
    type: dict
  notification:
    description: Where to report, and what.
    type: dict
    suboptions:
      channel:
        description: The notification channel (see M(raftops.cluster.notification_channel)).
        type: dict
        suboptions:
          id:
            description: The channel's id.
            type: str
      conditions:
        description: The events to report. The server's defaults are C(creation=true) and the others false.
        type: dict
        suboptions:
          creation:
            description: Report created snapshots.
            type: bool
          deletion:
            description: Report deleted snapshots.
            type: bool
          failure:
            description: Report failures.
            type: bool
          time_limit_exceeded:
            description: Report time limits exceeded.
            type: bool
  cas_retries:
    description:
      - How many times a write that lost to a concurrent writer (HTTP 409, or the HTTP 500 of a concurrent update)
        is retried, each time after reading the policy again and comparing anew. Each retry emits a warning.
      - Ignored with O(if_seq_no) and O(if_primary_term).
    type: int
    default: 3
  if_seq_no:
    description:
      - Strict optimistic concurrency. The C(_seq_no) the policy must still have for a write to happen, usually
        taken from an earlier read (M(raftops.cluster.sm_policy_info) or the O(name) an earlier run returned).
      - When a write is needed and the policy moved on, the module fails and writes nothing, in check mode too.
        When nothing needs to change, it is not compared.
      - An update sends it with the C(PUT). A start, stop or delete is sent only when the policy read is at this
        version, but those APIs take no version themselves, so a change between that read and the call is not caught.
      - Requires O(if_primary_term).
    type: int
  if_primary_term:
    description: The C(_primary_term) that goes with O(if_seq_no).
    type: int
notes:
  - The token needs the C(operator:write) capability when ACLs are enabled (C(operator:read) in check mode).
  - A key can be changed but not removed from a policy by leaving it out; to drop one, delete the policy
    (O(state=absent)) and create it again.
  - The server shows TimeValues rounded to one decimal of the largest unit (V(100m) as V(1.6h)) and refuses such
    values on input. When an update must send back a rounded TimeValue you did not set, the module fails and names
    it; set it explicitly.
  - Snapshots the policy created stay in the repository when the policy is deleted.
seealso:
  - module: raftops.cluster.sm_policy_info
  - module: raftops.cluster.snapshot_repository
  - module: raftops.cluster.notification_channel
  - name: OpenSearch snapshot management API
    description: The API this module speaks.
    link: https://docs.opensearch.org/latest/tuning-your-cluster/availability-and-recovery/snapshots/sm-api/
"""

EXAMPLES = r"""
- name: Take a snapshot every night and keep a week of them
  raftops.cluster.sm_policy:
    url: https://raft1.example.com:4646
    token: "{{ raftops_operator_token }}"
    name: nightly
    description: Nightly snapshot of the raftops state
    creation:
      schedule:
        cron:
          expression: "0 2 * * *"
          timezone: Europe/Berlin
      time_limit: 1h
    deletion:
      condition:
        max_age: 7d
        min_count: 3
    snapshot_config:
      repository: backups
      date_format: yyyy-MM-dd-HH-mm
    notification:
      channel:
        id: ops-webhook
      conditions:
        failure: true

- name: Pause it during maintenance (only enabled is compared)
  raftops.cluster.sm_policy:
    name: nightly
    enabled: false

- name: Update only if nobody changed the policy since it was read
  raftops.cluster.sm_policy:
    name: nightly
    description: Nightly, reviewed
    if_seq_no: "{{ seen.policies[0]._seq_no }}"
    if_primary_term: "{{ seen.policies[0]._primary_term }}"

- name: Delete the policy
  raftops.cluster.sm_policy:
    name: nightly
    state: absent
"""

RETURN = r"""
policy:
  description:
    - The policy after the module ran, as the API shows it (C(_id), C(_version), C(_seq_no), C(_primary_term),
      C(sm_policy)). Empty when it does not exist.
    - In check mode, the current policy with the predicted C(sm_policy) (without the fields the server generates)
      for a change, or only C(sm_policy) for a policy that would be created.
  returned: success
  type: dict
  sample:
    _id: nightly-sm-policy
    _version: 2
    _seq_no: 31
    _primary_term: 2
    sm_policy:
      name: nightly
      schema_version: 30
      creation:
        schedule:
          cron:
            expression: "0 2 * * *"
            timezone: Europe/Berlin
        time_limit: 1h
      snapshot_config:
        repository: backups
      schedule:
        interval:
          start_time: 1795479453642
          period: 1
          unit: Minutes
      enabled: true
      last_updated_time: 1795479453642
      enabled_time: 1795479453642
differences:
  description: Dotted paths of the keys that differ (all keys for a policy that is created or deleted).
  returned: success
  type: list
  elements: str
  sample:
    - description
    - enabled
action:
  description: What was (or in check mode would be) done.
  returned: success
  type: str
  choices: [none, create, update, start, stop, delete]
  sample: update
"""

from ansible_collections.raftops.cluster.plugins.module_utils import _sm
from ansible_collections.raftops.cluster.plugins.module_utils._cas import (
    CasError,
    Plan,
    Snapshot,
    WriteResult,
    reconcile,
)
from ansible_collections.raftops.cluster.plugins.module_utils._client import (
    RaftopsAPIError,
    error_message,
    quote_segment,
)
from ansible_collections.raftops.cluster.plugins.module_utils._diff import differences, make_diff
from ansible_collections.raftops.cluster.plugins.module_utils._module import new_module, run
from ansible_collections.raftops.cluster.plugins.module_utils._opensearch import (
    check_policy_name,
    is_concurrent_update,
    is_missing,
    is_version_conflict,
)

BASE = "/_plugins/_sm/policies/"
METHODS = {"create": "POST", "update": "PUT", "start": "POST", "stop": "POST", "delete": "DELETE"}
DOCUMENT_OPTIONS = ("description", "enabled", "creation", "deletion", "snapshot_config", "notification")


class SeqNo(dict):
    """``_seq_no`` and ``_primary_term``: the policy's version for optimistic concurrency (a dict for JSON results)."""

    def __init__(self, seq_no, primary_term):
        super(SeqNo, self).__init__(seq_no=seq_no, primary_term=primary_term)

    def __str__(self):
        return "seq_no %s, primary_term %s" % (self["seq_no"], self["primary_term"])


class Step(object):
    """One write: ``action`` (create, update, start, stop, delete), the ``body`` it sends, the ``view`` it leads to."""

    __slots__ = ("action", "body", "view")

    def __init__(self, action, body=None, view=None):
        self.action = action
        self.body = body
        self.view = view


class PolicyAPI(object):
    def __init__(self, client, name):
        self.client = client
        self.name = name
        self.path = BASE + quote_segment(name)

    def read(self):
        try:
            data = self.client.get(self.path, retry=True).data
        except RaftopsAPIError as exc:
            if is_missing(exc, "status_exception"):
                return Snapshot(None, None)
            raise
        if not isinstance(data, dict) or not isinstance(data.get("sm_policy"), dict):
            raise ValueError("unexpected answer to GET %s: %r" % (self.path, data))
        return Snapshot(data, SeqNo(data.get("_seq_no"), data.get("_primary_term")))

    def write(self, step, index):
        if step.action == "create":
            # Not retried blindly: a repeated create that had applied would be a 409, read as a conflict.
            response = self.client.post(self.path, body=step.body, accept_status=(409,))
        elif step.action == "update":
            query = {"if_seq_no": index["seq_no"], "if_primary_term": index["primary_term"]}
            # Not retried: the server answers some bad documents (an unknown time zone) with HTTP 500.
            response = self.client.put(self.path, query=query, body=step.body, accept_status=(409,))
        elif step.action in ("start", "stop"):
            response = self.client.post(self.path + "/_" + step.action, retry=True, accept_status=(500,))
        else:
            response = self.client.delete(self.path, retry=True, accept_status=(404, 500))
        status, data = response.status, response.data
        if is_version_conflict(status, data) or is_concurrent_update(status, data) or status == 404:
            return WriteResult(False)
        if status >= 400:
            raise RaftopsAPIError(status, error_message(data), data, method=METHODS[step.action], path=self.path)
        if isinstance(data, dict) and isinstance(data.get("sm_policy"), dict):
            return WriteResult(True, SeqNo(data.get("_seq_no"), data.get("_primary_term")), data)
        return WriteResult(True)


def wanted_document(params):
    return _sm.prune(dict((key, params.get(key)) for key in DOCUMENT_OPTIONS))


def make_plan(state, wanted):
    """The plan() of _cas.reconcile() for the policy document ``wanted`` (None with state=absent)."""

    def plan(current):
        if state == "absent":
            if current is None:
                return Plan(False, None)
            return Plan(True, Step("delete", view={}), differences(_sm.view(current["sm_policy"]), {}))
        if current is None:
            _sm.check_document(wanted, creating=True)
            view = _sm.created_view(wanted)
            return Plan(True, Step("create", body=wanted, view=view), differences(view, {}))
        current_view = _sm.view(current["sm_policy"])
        found = _sm.compare(wanted, current_view)
        if not found:
            return Plan(False, Step("none", view=current_view))
        view = _sm.updated_view(current_view, wanted)
        if found == ["enabled"]:
            return Plan(True, Step("start" if wanted["enabled"] else "stop", view=view), found)
        body = _sm.check_document(_sm.update_body(current["sm_policy"], wanted), creating=False)
        return Plan(True, Step("update", body=body, view=view), found)

    return plan


def apply(module, client):
    params = module.params
    name = check_policy_name(params["name"])
    state = params["state"]
    strict = None
    if params["if_seq_no"] is not None:
        strict = SeqNo(params["if_seq_no"], params["if_primary_term"])
    wanted = wanted_document(params) if state == "present" else None
    if state == "present":
        _sm.check_times(wanted)
    api = PolicyAPI(client, name)
    try:
        outcome = reconcile(
            api.read,
            make_plan(state, wanted),
            api.write,
            check_mode=module.check_mode,
            cas_index=strict,
            cas_retries=params["cas_retries"],
            warn=module.warn,
            what="SM policy %s" % name,
        )
    except CasError as exc:  # name this module's options in the shared message
        raise CasError(exc.message.replace("cas_index", "if_seq_no/if_primary_term"), exc.index) from None
    before = outcome.before
    step = outcome.after
    if not outcome.changed:
        policy = before or {}
    elif module.check_mode:
        policy = dict(before or {}, sm_policy=dict(step.view, name=name)) if step.view else {}
    elif step.action == "delete":
        policy = {}
    elif outcome.write.value is not None:
        policy = outcome.write.value
    else:  # start and stop answer {"acknowledged": true}: read the policy they changed
        policy = api.read().value or {}
    after_view = _sm.view(policy["sm_policy"]) if policy and not module.check_mode else (step.view if step else {})
    result = {
        "changed": outcome.changed,
        "policy": policy,
        "differences": outcome.differences,
        "action": step.action if outcome.changed else "none",
    }
    if module._diff:
        before_view = _sm.view(before["sm_policy"]) if before else {}
        result["diff"] = make_diff(before_view, after_view if outcome.changed else before_view)
    return result


def _cron_spec():
    return {
        "type": "dict",
        "options": {
            "cron": {
                "type": "dict",
                "options": {
                    "expression": {"type": "str"},
                    "timezone": {"type": "str"},
                    "schedule_delay": {"type": "int"},
                },
            },
        },
    }


def main():
    spec = {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "description": {"type": "str"},
        "enabled": {"type": "bool"},
        "creation": {
            "type": "dict",
            "options": {"schedule": _cron_spec(), "time_limit": {"type": "str"}},
        },
        "deletion": {
            "type": "dict",
            "options": {
                "schedule": _cron_spec(),
                "condition": {
                    "type": "dict",
                    "options": {
                        "max_age": {"type": "str"},
                        "max_count": {"type": "int"},
                        "min_count": {"type": "int"},
                    },
                },
                "time_limit": {"type": "str"},
                "snapshot_pattern": {"type": "str"},
            },
        },
        "snapshot_config": {"type": "dict"},
        "notification": {
            "type": "dict",
            "options": {
                "channel": {"type": "dict", "options": {"id": {"type": "str"}}},
                "conditions": {
                    "type": "dict",
                    "options": dict(
                        (key, {"type": "bool"}) for key in ("creation", "deletion", "failure", "time_limit_exceeded")
                    ),
                },
            },
        },
        "cas_retries": {"type": "int", "default": 3},
        "if_seq_no": {"type": "int"},
        "if_primary_term": {"type": "int"},
    }
    module = new_module(spec, required_together=[("if_seq_no", "if_primary_term")], supports_check_mode=True)
    run(module, apply)


if __name__ == "__main__":
    main()
