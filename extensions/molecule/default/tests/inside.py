"""Helpers of the testinfra checks: HTTP(S) and raw TLS probes from inside a container, and the scenario's files."""

import json
import os

# Runs with the container's own python3 (the image has no curl). argv: url token timeout cafile certfile keyfile.
_GET = (
    "import ssl,sys,urllib.request,urllib.error\n"
    "url, token, timeout, cafile, cert, key = sys.argv[1:7]\n"
    "ctx = ssl.create_default_context(cafile=cafile) if cafile else None\n"
    "if ctx is not None and cert: ctx.load_cert_chain(cert, key)\n"
    "req = urllib.request.Request(url)\n"
    "if token: req.add_header('X-Nomad-Token', token)\n"
    "try:\n"
    "    r = urllib.request.urlopen(req, timeout=float(timeout), context=ctx)\n"
    "    print(r.status); print(r.read().decode())\n"
    "except urllib.error.HTTPError as e:\n"
    "    print(e.code); print(e.read().decode())\n"
)

# One HTTP/1.1 GET over a raw socket, with or without TLS, so that a refused handshake, a connection the server
# drops and a plain-text answer on a TLS port can all be told apart. Prints a JSON object: tls (the version
# negotiated), response (everything the server sent), error (the exception that ended it).
# argv: host port path tls(0/1) cafile certfile keyfile token
_PROBE = (
    "import json,re,socket,ssl,sys\n"
    "host, port, path, tls, cafile, cert, key, token = sys.argv[1:9]\n"
    "out = {}\n"
    "try:\n"
    "    sock = socket.create_connection((host, int(port)), timeout=15)\n"
    "    if tls == '1':\n"
    "        ctx = ssl.create_default_context(cafile=cafile)\n"
    "        if cert: ctx.load_cert_chain(cert, key)\n"
    "        sock = ctx.wrap_socket(sock, server_hostname=host)\n"
    "        out['tls'] = sock.version()\n"
    "    head = 'GET %s HTTP/1.1\\r\\nHost: %s:%s\\r\\nConnection: close\\r\\n' % (path, host, port)\n"
    "    if token: head += 'X-Nomad-Token: %s\\r\\n' % token\n"
    "    sock.sendall((head + '\\r\\n').encode())\n"
    "    data = b''\n"
    "    while len(data) < 65536:\n"
    "        chunk = sock.recv(65536)\n"
    "        if not chunk: break\n"
    "        data += chunk\n"
    "        head_end = data.find(b'\\r\\n\\r\\n')\n"
    "        length = re.search(rb'(?im)^content-length: *(\\d+)', data[:head_end]) if head_end >= 0 else None\n"
    # The whole answer has come: no need to wait for the server to close.
    "        if length and len(data) >= head_end + 4 + int(length.group(1)): break\n"
    "    out['response'] = data.decode(errors='replace')\n"
    "except (OSError, ValueError) as exc:\n"
    "    out['error'] = '%s: %s' % (type(exc).__name__, exc)\n"
    "print(json.dumps(out))\n"
)


def http_get(host, url, token="", timeout=30, cafile="", cert="", key=""):
    """GET url inside the container; returns (status, body): the parsed JSON document, else the text."""
    cmd = host.run("python3 -c %s %s %s %s %s %s %s", _GET, url, token, str(timeout), cafile, cert, key)
    assert cmd.rc == 0, cmd.stderr
    status, _newline, body = cmd.stdout.partition("\n")
    try:
        return int(status), json.loads(body)
    except ValueError:
        return int(status), body.strip()


def probe(host, address, port, path="/", tls=True, cafile="", cert="", key="", token=""):
    """A raw GET from inside ``host`` to address:port; returns the probe's dict (tls, response, error)."""
    cmd = host.run(
        "python3 -c %s %s %s %s %s %s %s %s %s",
        _PROBE,
        address,
        str(port),
        path,
        "1" if tls else "0",
        cafile,
        cert,
        key,
        token,
    )
    assert cmd.rc == 0, cmd.stderr
    return json.loads(cmd.stdout)


def status_line(result):
    """The first line of the probe's response ("" when there was none)."""
    return result.get("response", "").split("\r\n", 1)[0]


def agent_address(host):
    """The address the agent binds to, from its configuration (the cluster's own interface, not 0.0.0.0)."""
    for line in host.file("/etc/raftops/agent.yaml").content_string.splitlines():
        if line.startswith("bind_addr:"):
            return line.split(":", 1)[1].strip().strip("'\"")
    raise AssertionError("no bind_addr in /etc/raftops/agent.yaml")


EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
TOKEN_FILE = os.path.join(EPHEMERAL, "management-token")
PKI_DIR = os.path.join(EPHEMERAL, "pki")
# On every server (roles/server): the trust bundle, the host's certificate and the agent's copy of its key.
CA = "/etc/raftops/tls/ca.pem"
CERT = "/etc/raftops/tls/server.pem"
KEY = "/etc/raftops/tls/server-key.pem"


def management_token():
    """The management token site.yml's ACL bootstrap wrote on the controller (server_acl_token_file)."""
    with open(TOKEN_FILE) as f:
        return f.read().strip()
