"""The HTTP front's suspensions (what blocking queries stand on), with a small WSGI app and no etcd."""

from __future__ import annotations

import concurrent.futures
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests
from raftops.httpfront import FrontLimits, HTTPFront
from raftops.httpfront.wsgi import RESUME_NOW, Suspend


class Waits:
    """A WSGI app: /wait answers once ``changed`` is set (or its wait ran out), /now at once."""

    def __init__(self) -> None:
        self.changed = threading.Event()
        self.wakes: list[Callable[[], None]] = []
        self.lock = threading.Lock()
        self.runs = 0

    def arm(self, wake: Callable[[], None]) -> Callable[[], None]:
        with self.lock:
            self.wakes.append(wake)

        def disarm() -> None:
            with self.lock:
                if wake in self.wakes:
                    self.wakes.remove(wake)

        return disarm

    def change(self) -> None:
        self.changed.set()
        with self.lock:
            wakes = list(self.wakes)
        for wake in wakes:
            wake()

    def waiting(self) -> int:
        with self.lock:
            return len(self.wakes)

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/wait":
            with self.lock:
                self.runs += 1
            if environ.get(RESUME_NOW):
                body = b"timeout"
            elif self.changed.is_set():
                body = b"changed"
            else:
                raise Suspend(self.arm, float(environ["QUERY_STRING"] or 30))
        else:
            body = b"now"
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]


@pytest.fixture
def front() -> Iterator[tuple[HTTPFront, Waits, str]]:
    app = Waits()
    server = HTTPFront(app, "127.0.0.1", 0, limits=FrontLimits(workers=1))
    server.start()
    try:
        yield server, app, f"http://127.0.0.1:{server.address[1]}"
    finally:
        server.stop()


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_suspended_requests_hold_no_thread_and_share_one_run_when_woken(front) -> None:
    _, app, url = front
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        waiting = [pool.submit(requests.get, f"{url}/wait", timeout=30) for _ in range(20)]
        wait_for(lambda: app.waiting() == 20)
        # One worker thread, 20 suspended requests: the worker is free.
        assert requests.get(f"{url}/now", timeout=10).text == "now"
        runs_before = app.runs
        app.change()
        answers = [w.result(timeout=30) for w in waiting]
    assert {(a.status_code, a.text) for a in answers} == {(200, "changed")}
    assert app.runs - runs_before < 20  # identical requests woken together share handler runs
    assert app.waiting() == 0


def test_a_suspension_ends_with_its_timeout(front) -> None:
    _, app, url = front
    started = time.monotonic()
    resp = requests.get(f"{url}/wait?0.3", timeout=10)
    assert (resp.status_code, resp.text) == (200, "timeout")
    assert time.monotonic() - started >= 0.3
    assert app.waiting() == 0


def test_a_client_that_goes_away_is_unregistered(front) -> None:
    server, app, _ = front
    sock = socket.create_connection(server.address)
    sock.sendall(b"GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
    wait_for(lambda: app.waiting() == 1)
    sock.close()
    wait_for(lambda: app.waiting() == 0)


def test_stopping_the_front_answers_suspended_requests(front) -> None:
    server, app, url = front
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(requests.get, f"{url}/wait", timeout=30)
        wait_for(lambda: app.waiting() == 1)
        server.stop()
        assert waiting.result(timeout=15).text == "timeout"


def read_answer(sock: socket.socket, buffer: bytearray) -> tuple[bytes, bytes]:
    """(head, body) of one answer with a Content-Length, read from ``sock`` (``buffer`` keeps the rest)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed before an answer"
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed in the middle of an answer"
        rest += chunk
    buffer[:] = rest[length:]
    return head, rest[:length]


def test_woken_requests_that_share_an_answer_keep_their_connections(front) -> None:
    """A shared answer is written as bytes with a fresh state machine after it: the next request on
    the connection (pipelined while it waited, or sent later) is served; one that asked to close closes."""
    server, app, _ = front
    keep = [socket.create_connection(server.address, timeout=10) for _ in range(5)]
    for sock in keep:
        sock.sendall(b"GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
    piped = socket.create_connection(server.address, timeout=10)
    piped.sendall(b"GET /wait HTTP/1.1\r\nHost: x\r\n\r\nGET /now HTTP/1.1\r\nHost: x\r\n\r\n")
    closing = socket.create_connection(server.address, timeout=10)
    closing.sendall(b"GET /wait HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    old = socket.create_connection(server.address, timeout=10)
    old.sendall(b"GET /wait HTTP/1.0\r\nHost: x\r\n\r\n")
    wait_for(lambda: app.waiting() == 8)
    app.change()
    try:
        for sock in keep:
            buffer = bytearray()
            head, body = read_answer(sock, buffer)
            assert head.startswith(b"HTTP/1.1 200") and body == b"changed"
            sock.sendall(b"GET /now HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_answer(sock, buffer)[1] == b"now"
        buffer = bytearray()
        assert read_answer(piped, buffer)[1] == b"changed"
        assert read_answer(piped, buffer)[1] == b"now"
        for sock in (closing, old):
            buffer = bytearray()
            head, body = read_answer(sock, buffer)
            assert body == b"changed"
            assert b"connection: close" in head.lower()
            assert sock.recv(1) == b""  # and the front closed it
    finally:
        for sock in (*keep, piped, closing, old):
            sock.close()
    assert app.waiting() == 0
