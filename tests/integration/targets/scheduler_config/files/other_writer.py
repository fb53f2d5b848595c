# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A well-behaved concurrent writer for the scheduler_config target.

For ``seconds`` it reads the scheduler configuration and writes it back with only NodeLimitForFeasibilityChecks
changed, with ``?cas=<ModifyIndex>``, every ``PAUSE`` seconds: a busy operator script, not a tight loop (a tight
loop on the same machine can win every race for as long as it runs, which says nothing about the module).
It prints one JSON line: how many writes it made, how many of its own CAS writes lost, and the last value it
wrote, so the target can check that neither writer lost an update.

    other_writer.py URL TOKEN SECONDS CA_FILE

It talks HTTPS to the agent at URL and verifies its certificate with the cluster CA in CA_FILE.
"""

import json
import ssl
import sys
import time
import urllib.request

PATH = "/v1/operator/scheduler/configuration"
PAUSE = 0.1


def call(context, url, token, method="GET", body=None, query=""):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + PATH + query, data=data, method=method, headers={"X-Nomad-Token": token})
    with urllib.request.urlopen(request, timeout=10, context=context) as response:
        return json.load(response)


def main():
    url, token, seconds, ca_file = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    context = ssl.create_default_context(cafile=ca_file)
    deadline = time.monotonic() + seconds
    writes = lost = 0
    last = None
    while time.monotonic() < deadline:
        config = call(context, url, token)["SchedulerConfig"]
        value = 100 + writes % 50
        config["NodeLimitForFeasibilityChecks"] = value
        index = config.pop("ModifyIndex")
        config.pop("CreateIndex")
        if call(context, url, token, "PUT", config, f"?cas={index}")["Updated"]:
            writes += 1
            last = value
        else:
            lost += 1
        time.sleep(PAUSE)
    print(json.dumps({"writes": writes, "lost": lost, "last": last}))


if __name__ == "__main__":
    main()
