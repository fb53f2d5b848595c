# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this doc fragment is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Check-and-set options of modules that write an object guarded by its ModifyIndex.
    # Keep in sync with CAS_ARGSPEC in plugins/module_utils/_config_object.py.
    DOCUMENTATION = r"""
options:
  cas_index:
    description:
      - Strict check-and-set. The C(ModifyIndex) the object must still have for the write to happen, usually
        taken from an earlier read (an C(_info) module, or the object an earlier run of this module returned).
      - When a write is needed and the object is at another index, the module fails and writes nothing, in
        check mode too. A write that loses to a concurrent writer is not retried.
      - When nothing needs to change, the index is not compared and the module reports no change.
      - Without it, the module reads the object, writes with the index it read, and on a conflict reads again
        and retries (see O(cas_retries)).
    type: int
  cas_retries:
    description:
      - How many times a check-and-set write that lost to a concurrent writer is retried, each time after
        reading the object again and comparing anew. Each retry emits a warning.
      - Retries are spaced out by a random wait under an exponential ceiling (50 ms doubling per retry, at most
        2 s), so writers that keep colliding stop losing in lockstep.
      - When all retries lose, the module fails and names the conflicting index.
      - Ignored with O(cas_index).
    type: int
    default: 3
"""
