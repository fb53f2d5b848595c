# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The OpenSearch-style API families the agents serve (SM policies, ``/_snapshot``, notification channels).

Errors there are JSON: ``{"error": {"root_cause": [...], "type": ..., "reason": ...}, "status": N}``. RaftopsClient
already turns the reason into the error message; this module reads the ``type`` (to tell "not found" from other
404s and a version conflict from other 409s), recognises the HTTP 500 that index-management answers when a start,
stop or delete lost a race ("... due to a concurrent update, please try again"), and checks names the way the
server does, so that a bad name is refused before anything is sent. Pure logic, no HTTP.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re
import unicodedata

# org.opensearch.core.common.Strings.INVALID_FILENAME_CHARS
INVALID_FILENAME_CHARS = ("\\", "/", "*", "?", '"', "<", ">", "|", " ", ",")
INVALID_FILENAME_TEXT = "[" + ", ".join(INVALID_FILENAME_CHARS) + "]"
MAX_DOC_ID_BYTES = 512  # IndexRequest.validate: a channel id is a document id, at most 512 bytes of UTF-8
CONCURRENT_UPDATE = "concurrent update"
VERSION_CONFLICT = "version_conflict_engine_exception"
# Characters OpenSearch's notifications plugin allows in a config id, minus "/" (it cannot travel in a URL path).
_CHANNEL_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+_-")


# Webhook header values are write-only: the server shows each as this mask (docs/api/sm.md).
HEADER_MASK_PREFIX = "<hidden:sha256:"
_HEADER_MASK = re.compile(r"<hidden:sha256:[0-9a-f]{64}>\Z")
_HEADER_MASK_SALT = "raftops-webhook-header"


def header_mask(config_id, name, value):
    """The mask the server shows for header ``name`` = ``value`` of channel ``config_id``: the SHA-256 of
    the value salted with the channel id and the header name."""
    text = "\x00".join((_HEADER_MASK_SALT, config_id, name, value))
    return HEADER_MASK_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest() + ">"


def is_header_mask(value):
    return isinstance(value, str) and _HEADER_MASK.match(value) is not None


def header_value_matches(config_id, name, wanted, current):
    """Whether header ``name`` of channel ``config_id`` holds ``wanted``, judged from what the server shows
    (``current``: a mask, or the value itself from a server that shows values)."""
    if is_header_mask(current) and not is_header_mask(wanted):
        return header_mask(config_id, name, wanted) == current
    return wanted == current


def headers_match(config_id, wanted, current):
    """Whether a channel whose headers the server shows as ``current`` holds exactly the ``wanted`` ones."""
    if set(wanted) != set(current):
        return False
    return all(header_value_matches(config_id, name, wanted[name], current[name]) for name in wanted)


def error_type(body):
    """The ``error.type`` of an OpenSearch error body (a dict), or None."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"].get("type")
    return None


def error_reason(body):
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"].get("reason") or ""
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return body["error"]
    return body if isinstance(body, str) else ""


def is_missing(exc, *types):
    """Whether a RaftopsAPIError is a 404 of one of ``types`` (any 404 when none is given)."""
    if getattr(exc, "status", None) != 404:
        return False
    return not types or error_type(getattr(exc, "body", None)) in types


def is_version_conflict(status, body):
    return status == 409 and error_type(body) in (VERSION_CONFLICT, None)


def is_concurrent_update(status, body):
    """index-management's answer when a start, stop or delete raced another writer: HTTP 500, retryable."""
    return status == 500 and CONCURRENT_UPDATE in error_reason(body).lower()


def has_control_character(name):
    """C0/C1 controls and DEL (Unicode category Cc), which the server refuses in a name."""
    return any(unicodedata.category(char) == "Cc" for char in name)


def policy_name_problems(name):
    """SMUtils.validateSMPolicyName: every broken rule, in the server's words (empty: the name is valid)."""
    problems = []
    if not name:
        problems.append("Policy name cannot be empty.")
    if " " in name:
        problems.append("Policy name must not contain whitespace.")
    if "," in name:
        problems.append("Policy name must not contain ','.")
    if "#" in name:
        problems.append("Policy name must not contain '#'.")
    if name.startswith("_"):
        problems.append("Policy name must not start with '_'.")
    if name.lower() != name:
        problems.append("Policy name must be lowercase.")
    if any(char in name for char in INVALID_FILENAME_CHARS):
        problems.append("Policy name must not contain the following characters %s." % INVALID_FILENAME_TEXT)
    if has_control_character(name):
        problems.append("Policy name must not contain control characters.")
    return problems


def check_policy_name(name):
    problems = policy_name_problems(name or "")
    if problems:
        raise ValueError("invalid policy name %r: %s" % (name, " ".join(problems)))
    return name


def check_repository_name(name):
    """RepositoriesService.validate, plus the names the API reads as patterns (``_all``, wildcards, lists)."""
    if not name:
        raise ValueError("invalid repository name: it cannot be empty")
    if "#" in name:
        raise ValueError("invalid repository name %r: it must not contain '#'" % (name,))
    if any(char in name for char in INVALID_FILENAME_CHARS):
        raise ValueError(
            "invalid repository name %r: it must not contain the following characters %s"
            % (name, INVALID_FILENAME_TEXT)
        )
    if has_control_character(name):
        raise ValueError("invalid repository name %r: it must not contain control characters" % (name,))
    if name == "_all":
        raise ValueError("invalid repository name %r: the API reads it as every repository" % (name,))
    return name


def check_channel_id(config_id):
    bad = "".join(sorted(set(char for char in config_id or "" if char not in _CHANNEL_ID_CHARS)))
    if not config_id or bad:
        raise ValueError(
            "invalid channel id %r: use letters, digits, '+', '_' and '-'%s"
            % (config_id, " (found %r)" % bad if bad else "")
        )
    size = len(config_id.encode("utf-8"))
    if size > MAX_DOC_ID_BYTES:
        raise ValueError("invalid channel id: it is %d bytes long, at most %d are allowed" % (size, MAX_DOC_ID_BYTES))
    return config_id


def settings_text(settings):
    """Repository settings as the server stores them: every value a string, booleans as ``true``/``false``."""
    out = {}
    for key, value in (settings or {}).items():
        if isinstance(value, bool):
            out[str(key)] = "true" if value else "false"
        elif isinstance(value, (dict, list)):
            raise ValueError("repository setting %r must be a string, a number or a boolean" % (key,))
        else:
            out[str(key)] = str(value)
    return out
