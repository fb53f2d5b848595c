# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The frame every raftops module runs in: argument spec with the connection options, one client, one failure path.

    def main():
        module = new_module(dict(name=dict(type="str", required=True)), supports_check_mode=True)
        run(module, apply)          # apply(module, client) -> result dict

Whatever goes wrong ends as one fail_json: RaftopsAPIError with the HTTP status and the server's message, ValueError
for bad input (status null, nothing sent or nothing written), CasError for a lost check-and-set, and ModuleError for
a refusal the module decides on itself (extra result keys travel with it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.raftops.cluster.plugins.module_utils._cas import CasError
from ansible_collections.raftops.cluster.plugins.module_utils._client import (
    RaftopsAPIError,
    RaftopsClient,
    argument_spec,
    fail_from,
)


class ModuleError(Exception):
    """A refusal or failure decided by the module (not by the server); ``details`` are added to the result."""

    def __init__(self, message, **details):
        super(ModuleError, self).__init__(message)
        self.message = message
        self.details = details


def new_module(spec, **kwargs):
    """An AnsibleModule whose argument spec is the connection options plus ``spec``."""
    full = argument_spec()
    full.update(spec)
    return AnsibleModule(argument_spec=full, **kwargs)


def run(module, apply):
    """Build the client, call ``apply(module, client)`` and exit with its result dict, or fail once."""
    try:
        client = RaftopsClient.from_module(module)
        result = apply(module, client)
    except RaftopsAPIError as exc:
        fail_from(module, exc)
    except CasError as exc:
        module.fail_json(msg=to_native(exc.message), status=None, conflict_index=exc.index)
    except ModuleError as exc:
        details = {"status": None}
        details.update(exc.details)  # a module may report the HTTP status of its last answer
        details.pop("msg", None)
        module.fail_json(msg=to_native(exc.message), **details)
    except ValueError as exc:
        fail_from(module, exc)
    else:
        result.setdefault("changed", False)
        module.exit_json(**result)
