#!/usr/bin/env python
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A test proxy in front of a raftops agent that plays "another writer" between a module's read and its write.

Every request is forwarded to the agent unchanged. After the agent answers a GET of the SM policy at --policy, and
before that answer goes back to the client, the proxy itself updates the policy on the agent (a real write with the
seq_no it just read: a new description), --times times in all. The client's next write, based on the read it gets,
therefore meets a real version conflict (HTTP 409) on the real server.

    interfering_proxy.py --target https://127.0.0.71:4646 --ca-file CA --cert-file C --key-file K \
        --token T --policy name --times 1 --state-file F

TLS on both sides, as everywhere in the harness: the agent's certificate is verified with --ca-file (the cluster
CA), and the proxy serves HTTPS on 127.0.0.1 with --cert-file/--key-file (clients verify it with the CA that
issued them).

Writes {"pid": ..., "port": ..., "interfered": n} to --state-file (updated after each interference) and exits after
--lifetime seconds at the latest, so a failed test cannot leave it running.
"""

import argparse
import json
import os
import ssl
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn
from urllib.error import HTTPError
from urllib.request import Request, urlopen

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length"}


class Server(ThreadingMixIn, HTTPServer):
    daemon_threads = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--ca-file", required=True)
    parser.add_argument("--cert-file", required=True)
    parser.add_argument("--key-file", required=True)
    parser.add_argument("--token", default="")
    parser.add_argument("--policy", required=True)
    parser.add_argument("--times", type=int, default=1)
    parser.add_argument("--state-file", required=True)
    parser.add_argument("--lifetime", type=float, default=300.0)
    args = parser.parse_args()
    policy_path = "/_plugins/_sm/policies/" + args.policy
    state = {"pid": os.getpid(), "port": 0, "interfered": 0}
    lock = threading.Lock()
    upstream_tls = ssl.create_default_context(cafile=args.ca_file)

    def save_state():
        temp = args.state_file + ".tmp"
        with open(temp, "w") as out:
            json.dump(state, out)
        os.rename(temp, args.state_file)

    def call(method, path, body=None, headers=None):
        request = Request(args.target.rstrip("/") + path, data=body, method=method, headers=headers or {})
        try:
            response = urlopen(request, timeout=30, context=upstream_tls)
        except HTTPError as exc:
            return exc.code, dict(exc.headers.items()), exc.read()
        with response:
            return response.status, dict(response.headers.items()), response.read()

    def interfere(answer):
        """Update the policy as another writer would, with the seq_no the client is about to receive."""
        document = json.loads(answer)
        policy = dict(
            (k, v) for k, v in document["sm_policy"].items() if k not in ("name", "schema_version", "last_updated_time")
        )
        policy["description"] = f"changed by another writer ({state['interfered'] + 1})"
        query = f"?if_seq_no={document['_seq_no']}&if_primary_term={document['_primary_term']}"
        status, _headers, body = call(
            "PUT",
            policy_path + query,
            json.dumps(policy).encode(),
            {"Content-Type": "application/json", "X-Nomad-Token": args.token},
        )
        if status != 200:
            raise RuntimeError(f"the interfering write failed: {status} {body!r}")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = dict((k, v) for k, v in self.headers.items() if k.lower() not in HOP_HEADERS)
            status, answer_headers, answer = call(self.command, self.path, body, headers)
            if self.command == "GET" and self.path.split("?")[0] == policy_path and status == 200:
                with lock:
                    if state["interfered"] < args.times:
                        interfere(answer)
                        state["interfered"] += 1
                        save_state()
            self.send_response(status)
            for key, value in answer_headers.items():
                if key.lower() not in HOP_HEADERS:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_PUT = do_POST = do_DELETE = _forward

        def log_message(self, *args):  # quiet
            pass

    server = Server(("127.0.0.1", 0), Handler)
    serving_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    serving_tls.load_cert_chain(args.cert_file, args.key_file)
    # The handshake happens in the handler's thread, on its first read (not in accept(), which would block the server).
    server.socket = serving_tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    state["port"] = server.server_address[1]
    save_state()
    timer = threading.Timer(args.lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
