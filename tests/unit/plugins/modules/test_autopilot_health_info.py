# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""autopilot_health_info: the conditions and the result's shape."""

from __future__ import annotations

from ansible_collections.raftops.cluster.plugins.modules import autopilot_health_info

HEALTHY = {
    "Healthy": True,
    "FailureTolerance": 1,
    "Servers": [{"Name": "s1", "Healthy": True}, {"Name": "s2", "Healthy": True}, {"Name": "s3", "Healthy": True}],
    "Leader": "id-1",
    "Voters": ["id-1", "id-2", "id-3"],
}
SICK = dict(HEALTHY, Healthy=False, FailureTolerance=0, Servers=[{"Name": "s1", "Healthy": True}, {"ID": "id-2"}])


def test_unmet_conditions():
    assert autopilot_health_info.unmet(HEALTHY, True, 1) == []
    assert autopilot_health_info.unmet(HEALTHY, False, 2) == ["the failure tolerance is 1, below 2"]
    assert autopilot_health_info.unmet(SICK, True, None) == ["the cluster is not healthy (unhealthy: id-2)"]
    assert autopilot_health_info.unmet(SICK, False, None) == []
    assert len(autopilot_health_info.unmet(SICK, True, 1)) == 2


def test_shape_of_a_zero_report():
    zero = {"Healthy": False, "FailureTolerance": 0, "Servers": None, "Leader": "", "Voters": None}
    assert autopilot_health_info.shape(429, zero, 0.0) == {
        "healthy": False,
        "failure_tolerance": 0,
        "servers": [],
        "leader": "",
        "voters": [],
        "status": 429,
        "waited": 0.0,
    }
