# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Snapshot-management (SM) policy documents, as OpenSearch's index-management shows and accepts them (pure logic).

* The server adds fields of its own to every policy (``name``, ``schema_version``, ``last_updated_time``,
  ``enabled_time`` and the job ``schedule``); view() drops them, so they never take part in a comparison or a diff.
* TimeValues (``time_limit``, ``max_age``) come back the way OpenSearch prints them: the largest unit, one decimal,
  truncated ("24h" -> "1d", "100m" -> "1.6h"). The comparison prints the user's value the same way.
* An update (PUT) replaces the whole document, so update_body() lays the user's keys over the current document and
  sends it whole, keeping the job schedule and the enabled time; a printed value with a decimal cannot be sent back
  (the server refuses fractions), so a key the user did not set that holds one is an error naming it.
* created_view() predicts what the server stores for a new policy (its defaults), for check mode and diff.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.raftops.cluster.plugins.module_utils._diff import differences, merge

SERVER_FIELDS = ("name", "schema_version", "last_updated_time", "enabled_time", "schedule")
# Paths of the TimeValue settings in a policy document.
TIME_PATHS = (("creation", "time_limit"), ("deletion", "time_limit"), ("deletion", "condition", "max_age"))
CONDITION_DEFAULTS = {"creation": True, "deletion": False, "failure": False, "time_limit_exceeded": False}
DEFAULT_MIN_COUNT = 1

NANOS = (
    ("d", 86400 * 10**9),
    ("h", 3600 * 10**9),
    ("m", 60 * 10**9),
    ("s", 10**9),
    ("ms", 10**6),
    ("micros", 10**3),
    ("nanos", 1),
)
_UNIT_NANOS = dict(NANOS)
LONG_MAX = (1 << 63) - 1
_INTEGER = re.compile(r"^[+-]?\d+$")
# Java's Double.parseDouble syntax, without nested quantifiers (no backtracking on a long run of digits).
_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")


# -- OpenSearch TimeValue ----------------------------------------------------------------------------------------


def parse_time(text, setting):
    """Nanoseconds of an OpenSearch TimeValue string (``TimeValue.parseTimeValue``); ValueError in its words.

    Units: nanos, micros, ms, s, m (lower case only: "M" is not minutes), h, d; ``-1`` and ``0`` need none.
    Fractions are refused, as the server refuses them.
    """
    raw = str(text)
    normalized = raw.lower().strip()
    unit = None
    for suffix in ("nanos", "micros", "ms", "s"):
        if normalized.endswith(suffix):
            unit = suffix
            break
    if unit is None and raw.endswith("m"):
        unit = "m"
    if unit is None:
        for suffix in ("h", "d"):
            if normalized.endswith(suffix):
                unit = suffix
                break
    if unit is None:
        if re.match(r"^-0*1$", normalized):
            return -1
        if re.match(r"^0+$", normalized):
            return 0
        raise ValueError(
            "failed to parse setting [%s] with value [%s] as a time value: unit is missing or "
            "unrecognized" % (setting, raw)
        )
    number = normalized[: len(normalized) - len(unit)].strip()
    # Long.parseLong: a literal beyond a long fails, and OpenSearch then reads it as a double (a fraction).
    if _INTEGER.match(number) and len(number) <= 20 and -LONG_MAX - 1 <= int(number) <= LONG_MAX:
        value = int(number)
        if value < -1:
            raise ValueError(
                "failed to parse setting [%s] with value [%s] as a time value: negative durations are "
                "not supported" % (setting, raw)
            )
        return -1 if value == -1 else value * _UNIT_NANOS[unit]
    if _DECIMAL.match(number):
        raise ValueError("failed to parse [%s], fractional time values are not supported" % raw)
    raise ValueError("failed to parse [%s]" % raw)


def _java_double(value):
    """Java's Double.toString for the magnitudes durations reach (plain notation below 10^7)."""
    if value >= 1e7:
        exponent = int(("%.16E" % value).split("E")[1])
        return "%sE%d" % (repr(value / 10**exponent), exponent)
    text = repr(value)
    return text if "." in text else text + ".0"


def _one_decimal(value):
    """``Strings.format1Decimals(value, "")``: at most one decimal, truncated, none when it is 0."""
    text = _java_double(value)
    dot = text.index(".") + 1
    exponent = text.find("E")
    end = min(dot + 1, len(text)) if exponent == -1 else exponent
    fraction = text[dot:end]
    tail = text[exponent:] if exponent != -1 else ""
    if not fraction.strip("0"):
        return text[: dot - 1] + tail
    return text[:end] + tail


def print_time(nanos):
    """``TimeValue.toString()`` of a duration in nanoseconds ("1d", "1.5h", "0s", "-1")."""
    if nanos < 0:
        return "-1"
    if nanos == 0:
        return "0s"
    for suffix, size in NANOS[:-1]:
        if nanos >= size:
            return _one_decimal(nanos / size) + suffix
    return _one_decimal(float(nanos)) + "nanos"


def show_time(text, setting):
    """How the server shows a TimeValue the user wrote ("24h" -> "1d"); ValueError for one it would refuse."""
    return print_time(parse_time(text, setting))


def is_fractional(text):
    """Whether a TimeValue as shown ("1.6h") carries a decimal, which the server refuses on input."""
    return isinstance(text, str) and "." in text


# -- documents ---------------------------------------------------------------------------------------------------


def prune(value):
    """A copy without None values and without dicts that end up empty (Ansible's unset sub-options)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = prune(item)
            if item is None or (isinstance(item, dict) and not item):
                continue
            out[key] = item
        return out
    return copy.deepcopy(value)


def _get(doc, path):
    for key in path:
        if not isinstance(doc, dict) or key not in doc:
            return None
        doc = doc[key]
    return doc


def _set(doc, path, value):
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def check_times(doc):
    """Every TimeValue of ``doc`` parses (ValueError naming the option, in the server's words)."""
    for path in TIME_PATHS:
        value = _get(doc, path)
        if value is not None:
            try:
                parse_time(value, path[-1])
            except ValueError as exc:
                raise ValueError("%s: %s" % (".".join(path), exc)) from None
    return doc


def check_document(doc, creating):
    """Check the whole document to send before sending it (ValueError in the server's words): the TimeValues, the
    deletion condition and, for a new policy, the parts it must have. Cron expressions, time zones and date formats
    are left to the server."""
    if creating:
        if not doc.get("creation") and not doc.get("deletion"):
            raise ValueError("Must provide either creation or deletion configuration.")
        if not (doc.get("snapshot_config") or {}).get("repository"):
            raise ValueError("Must provide the repository in snapshot config.")
        if doc.get("deletion") and not doc["deletion"].get("schedule") and not doc.get("creation"):
            raise ValueError("Schedule not provided for neither deletion policy nor creation policy")
    check_times(doc)
    if "deletion" not in doc:
        return doc
    condition = _get(doc, ("deletion", "condition"))
    if not condition:
        raise ValueError("deletion.condition: condition must not be null.")
    min_count = condition.get("min_count", DEFAULT_MIN_COUNT)
    max_count = condition.get("max_count")
    if condition.get("max_age") is None and max_count is None:
        raise ValueError("deletion.condition: Please provide max_age or max_count.")
    if min_count <= 0:
        raise ValueError("deletion.condition.min_count: min_count should be bigger than 0.")
    if max_count is not None and max_count - min_count <= 0:
        raise ValueError("deletion.condition.max_count: max_count should be bigger than min_count.")
    return doc


def shown(doc):
    """A copy of ``doc`` with its TimeValues as the server prints them."""
    out = copy.deepcopy(doc)
    for path in TIME_PATHS:
        value = _get(out, path)
        if value is not None:
            _set(out, path, show_time(value, path[-1]))
    return out


def view(sm_policy):
    """The comparable part of a policy as the API shows it: without the fields the server generates."""
    return dict((key, copy.deepcopy(value)) for key, value in (sm_policy or {}).items() if key not in SERVER_FIELDS)


def compare(wanted, current_view):
    """Dotted paths of the keys set in ``wanted`` (the user's document) that differ from the current view."""
    return differences(shown(wanted), current_view)


def _with_defaults(doc):
    """``doc`` with what the server fills in on every write: ``enabled``, a deletion's schedule (the creation's)
    and ``min_count``, and the notification conditions not given."""
    doc.setdefault("enabled", True)
    deletion = doc.get("deletion")
    if isinstance(deletion, dict):
        if "schedule" not in deletion and isinstance(doc.get("creation"), dict):
            deletion["schedule"] = copy.deepcopy(doc["creation"].get("schedule"))
        if isinstance(deletion.get("condition"), dict):
            deletion["condition"].setdefault("min_count", DEFAULT_MIN_COUNT)
    notification = doc.get("notification")
    if isinstance(notification, dict):
        notification["conditions"] = dict(CONDITION_DEFAULTS, **(notification.get("conditions") or {}))
    return doc


def created_view(wanted):
    """What the server stores for a new policy with the document ``wanted``, as view() shows it."""
    return _with_defaults(shown(wanted))


def updated_view(current_view, wanted):
    """What the server stores after update_body(): the current view with the user's keys laid over it."""
    return _with_defaults(merge(current_view, shown(wanted)))


def update_body(current, wanted):
    """The whole document to PUT: the current ``sm_policy`` with the user's keys laid over it.

    The server's bookkeeping stays out (it sets ``name``, ``schema_version`` and ``last_updated_time`` itself), the
    job ``schedule`` is sent back unchanged, and so is ``enabled_time`` while the policy stays enabled (without it, a
    PUT would restart both clocks). Raises ValueError when a TimeValue the user did not set is shown with a decimal:
    the server refuses it on input, and rounding it would change the stored value silently.
    """
    body = merge(
        dict((k, v) for k, v in current.items() if k not in ("name", "schema_version", "last_updated_time")), wanted
    )
    for path in TIME_PATHS:
        if _get(wanted, path) is None and is_fractional(_get(body, path)):
            raise ValueError(
                "%s is shown by the server as %r, a rounded value it does not accept back, and an update sends the "
                "whole policy: set %s explicitly in the module options"
                % (".".join(path), _get(body, path), ".".join(path))
            )
    enabled = body.get("enabled", True)
    if not enabled or not current.get("enabled", True):
        body.pop("enabled_time", None)  # the server sets it (now) when enabling and clears it when disabling
    return body
