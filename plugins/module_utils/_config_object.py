# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Singleton configuration objects with Nomad's CAS semantics (autopilot and scheduler configuration).

A module describes its options as Fields (option name, API field name, kind). From the module parameters,
desired() builds the API object holding only the keys the user set. subset_plan() compares those keys against the
full current object and writes the current object with them laid over it, so keys the user did not set keep
whatever the server holds (a PUT replaces the whole object: a missing key would become its zero value).
manage() runs the read/plan/CAS-write loop of _cas.reconcile() and shapes the module result.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.raftops.cluster.plugins.module_utils import _duration
from ansible_collections.raftops.cluster.plugins.module_utils._cas import (
    DEFAULT_CAS_RETRIES,
    Plan,
    reconcile,
)
from ansible_collections.raftops.cluster.plugins.module_utils._diff import (
    BOOKKEEPING,
    differences,
    make_diff,
    merge,
    strip,
)

BOOL = "bool"
INT = "int"  # an unsigned integer: negative values are refused
STR = "str"
DURATION = "duration"  # a Go duration string, compared and written in Go's canonical form
DICT = "dict"

# Documented in plugins/doc_fragments/_cas.py; keep both in sync.
CAS_ARGSPEC = {
    "cas_index": {"type": "int"},
    "cas_retries": {"type": "int", "default": DEFAULT_CAS_RETRIES},
}


def cas_argument_spec():
    return dict((name, dict(spec)) for name, spec in CAS_ARGSPEC.items())


class Field(object):
    """One option of a configuration module: ``option`` (snake_case) <-> ``api`` (the API's field name)."""

    __slots__ = ("option", "api", "kind", "children")

    def __init__(self, option, api, kind, children=()):
        self.option = option
        self.api = api
        self.kind = kind
        self.children = tuple(children)


def _value(field, value, where):
    if field.kind == DURATION:
        try:
            return _duration.canonical(value)
        except ValueError as exc:
            raise ValueError("%s: %s (use a Go duration such as 200ms, 10s or 1m30s)" % (where, exc)) from None
    if field.kind == INT and value < 0:
        raise ValueError("%s: must be 0 or greater, got %s" % (where, value))
    return value


def desired(params, fields, prefix=""):
    """The API object of the options the user set (None = not set), values checked and durations canonical.

    Raises ValueError naming the option when a value is invalid, before anything is sent to the server.
    """
    out = {}
    for field in fields:
        value = params.get(field.option) if params else None
        if value is None:
            continue
        where = prefix + field.option
        if field.kind == DICT:
            nested = desired(value, field.children, where + ".")
            if nested:
                out[field.api] = nested
        else:
            out[field.api] = _value(field, value, where)
    return out


def normalise(obj, fields):
    """A copy of a server object with its duration fields in canonical form (unparseable ones as they are)."""
    if not isinstance(obj, dict):
        return obj
    out = dict(obj)
    for field in fields:
        value = out.get(field.api)
        if field.kind == DICT and isinstance(value, dict):
            out[field.api] = normalise(value, field.children)
        elif field.kind == DURATION and isinstance(value, str) and _duration.is_duration(value):
            out[field.api] = _duration.canonical(value)
    return out


def subset_plan(wanted, fields, bookkeeping=BOOKKEEPING):
    """A plan() for _cas.reconcile(): compare the keys of ``wanted``, write the merged whole without bookkeeping."""

    def plan(value):
        current = normalise(strip(value or {}, bookkeeping), fields)
        found = differences(wanted, current)
        return Plan(bool(found), merge(current, wanted), found)

    return plan


def manage(module, read, write, fields, what, reread=None):
    """Reconcile one configuration object with the module's options and return the module result.

    ``read()`` returns a _cas.Snapshot whose value is the full object (with CreateIndex/ModifyIndex);
    ``write(body, index)`` sends ``body`` with ``?cas=index`` and returns a _cas.WriteResult. When the write does
    not answer the new index, ``reread()`` (if given) fetches the stored object for the result.
    Raises ValueError (bad option), _cas.CasError, or the client's RaftopsAPIError.
    """
    wanted = desired(module.params, fields)
    outcome = reconcile(
        read,
        subset_plan(wanted, fields),
        write,
        check_mode=module.check_mode,
        cas_index=module.params.get("cas_index"),
        cas_retries=module.params.get("cas_retries", DEFAULT_CAS_RETRIES),
        warn=module.warn,
        what=what,
    )
    before = outcome.before or {}
    indexes = dict((key, before[key]) for key in BOOKKEEPING if key in before)
    if not outcome.changed:
        config = before
    elif outcome.write is None:  # check mode: the predicted object, still at the current indexes
        config = dict(outcome.after, **indexes)
    elif outcome.write.index is not None:
        config = dict(outcome.after, **indexes)
        config["ModifyIndex"] = outcome.write.index
    elif reread is not None:
        config = reread()
    else:
        config = dict(outcome.after)
    result = {
        "changed": outcome.changed,
        "config": config,
        "differences": outcome.differences,
    }
    if module._diff:
        result["diff"] = make_diff(normalise(strip(before), fields), strip(outcome.after))
    return result
