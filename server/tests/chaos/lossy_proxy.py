"""An HTTP proxy in front of one etcd member that can lose the answer to one request after etcd applied it.

That is what a client sees when the etcd leader dies between applying a txn and answering it
(measured in ../shared/reference/etcd-engine.md), made deterministic: the request reaches etcd, the
proxy reads etcd's answer, runs a hook (another client acting in that window), then closes the
connection without answering.
"""

from __future__ import annotations

import base64
import http.client
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class LossyProxy:
    def __init__(self, upstream: str, host: str = "127.0.0.1"):
        self.upstream = urlsplit(upstream)
        self.armed: bytes | None = None  # drop the answer to the next txn whose body holds this
        self.hook: Callable[[], None] | None = None
        self.dropped = threading.Event()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                proxy.relay(self)

            def do_GET(self) -> None:
                proxy.relay(self)

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="lossy-proxy")

    def start(self) -> LossyProxy:
        self._thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def arm(self, etcd_key: bytes, hook: Callable[[], None] | None = None) -> None:
        """Lose the answer to the next txn that writes ``etcd_key`` (as the gateway encodes it)."""
        with self._lock:
            self.armed = base64.b64encode(etcd_key)
            self.hook = hook
            self.dropped.clear()

    def relay(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=10)
        try:
            conn.request(handler.command, handler.path, body=body, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        drop = False
        with self._lock:
            if (
                self.armed is not None
                and handler.path == "/v3/kv/txn"
                and self.armed in body
                and b"request_put" in body
            ):
                drop, hook = True, self.hook
                self.armed = self.hook = None
        if drop:
            if hook is not None:
                hook()
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            self.dropped.set()
            return
        handler.send_response(resp.status)
        handler.send_header("Content-Type", resp.getheader("Content-Type") or "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
