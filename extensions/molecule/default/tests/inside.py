"""Helpers of the testinfra checks: HTTP from inside a container, and the scenario's management token."""

import json
import os

# Runs with the container's own python3: the instances have no curl, and the API listens on their loopback.
_GET = (
    "import sys,urllib.request,urllib.error\n"
    "req = urllib.request.Request(sys.argv[1])\n"
    "if sys.argv[2]: req.add_header('X-Nomad-Token', sys.argv[2])\n"
    "try:\n"
    "    r = urllib.request.urlopen(req, timeout=float(sys.argv[3])); print(r.status); print(r.read().decode())\n"
    "except urllib.error.HTTPError as e:\n"
    "    print(e.code); print(e.read().decode())\n"
)


def http_get(host, url, token="", timeout=30):
    """GET url inside the container; returns (status, body): the parsed JSON document, else the text."""
    cmd = host.run("python3 -c %s %s %s %s", _GET, url, token, str(timeout))
    assert cmd.rc == 0, cmd.stderr
    status, _newline, body = cmd.stdout.partition("\n")
    try:
        return int(status), json.loads(body)
    except ValueError:
        return int(status), body.strip()


TOKEN_FILE = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "management-token")


def management_token():
    """The management token site.yml's ACL bootstrap wrote on the controller (server_acl_token_file)."""
    with open(TOKEN_FILE) as f:
        return f.read().strip()
