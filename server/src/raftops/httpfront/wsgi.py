"""The WSGI side of the front: environ from an h11 request, and calling the application in a thread.

The application never reads a socket. A body arrives either whole (``io.BytesIO``, read by the event
loop before the handler runs) or, for the few handlers that stream a large upload, through
:class:`StreamInput`, which pulls chunks from the loop. Before either, the handler runs once with
:class:`BodyGate` as its input: the first read raises :class:`BodyNeeded`, which unwinds the handler
and tells the front to fetch the body. Handlers check the caller's token before they read, so a
request that may not write is answered without a byte of its body being read or parsed.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

import h11

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# A handler that streams its upload sets this to its own cap before its first read (environ key).
STREAM_BODY_LIMIT = "raftops.stream_body_limit"
PEER_CERT = "raftops.peer_cert"  # the verified client certificate (ssl.getpeercert()), when one was presented

_HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"upgrade", b"te", b"trailer"})


class BodyNeeded(BaseException):  # noqa: N818 - a signal, not an error
    """Raised by :class:`BodyGate` on the first read. A BaseException, so no handler's
    ``except Exception`` can swallow it."""


# Set by the front when it runs a handler again after a :class:`Suspend` and wants an answer now
# (the wait ran out, or the front is stopping): the handler must not suspend again.
RESUME_NOW = "raftops.resume_now"


class Suspend(BaseException):  # noqa: N818 - a signal, not an error
    """Raised by a handler (in its worker thread) to give its thread back until something changes.

    ``arm(wake)`` is called by the front on its event loop: it registers ``wake`` (callable from any
    thread, any number of times) with whatever will signal the change and returns a function that
    unregisters it. The front holds the connection, with no thread, until ``wake`` is called or
    ``timeout`` seconds pass, then runs the handler again on the same environ (which the handler may
    use to keep its own deadline); on a timeout it sets ``environ[RESUME_NOW]``. A BaseException, so
    no handler's ``except Exception`` swallows it.
    """

    def __init__(self, arm: Callable[[Callable[[], None]], Callable[[], None]], timeout: float):
        super().__init__()
        self.arm = arm
        self.timeout = timeout


class BodyGate(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        raise BodyNeeded()


class BodyTooLarge(OSError):
    """A streamed body passed its cap; the front answers 413 whatever the handler says."""


class StreamInput(io.RawIOBase):
    """A streamed request body, read from a worker thread; ``pull(n)`` runs on the event loop."""

    def __init__(self, pull: Callable[[int], bytes]):
        self._pull = pull
        self._buffer = b""
        self._eof = False
        self.exceeded = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if not self._buffer and not self._eof:
            try:
                self._buffer = self._pull(max(len(b), 65536))
            except BodyTooLarge:
                self.exceeded = True
                raise
            self._eof = not self._buffer
        n = min(len(b), len(self._buffer))
        b[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def build_environ(
    request: h11.Request,
    *,
    scheme: str,
    server: tuple[str, int],
    peer: tuple[str, int],
    peer_cert: dict[str, Any] | None,
) -> dict[str, Any]:
    target = request.target
    if target.startswith((b"http://", b"https://")):  # absolute-form: keep the path and query only
        rest = target.split(b"://", 1)[1]
        slash = rest.find(b"/")
        target = rest[slash:] if slash >= 0 else b"/"
    path, _, query = target.partition(b"?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method.decode("ascii"),
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query.decode("latin-1"),
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{request.http_version.decode('ascii')}",
        "REMOTE_ADDR": peer[0],
        "REMOTE_PORT": str(peer[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if peer_cert:
        environ[PEER_CERT] = peer_cert
    for name, value in request.headers:
        if b"_" in name:
            continue  # X-Nomad_Token would alias X-Nomad-Token in the environ: drop it, as gunicorn does
        text = value.decode("latin-1")
        if name == b"content-type":
            environ["CONTENT_TYPE"] = text
        elif name == b"content-length":
            environ["CONTENT_LENGTH"] = text
        else:
            key = "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
            environ[key] = f"{environ[key]}, {text}" if key in environ else text
    return environ


class Answer:
    """What the application answered: status, headers and the body iterator."""

    def __init__(
        self,
        status: int,
        reason: bytes,
        headers: list[tuple[bytes, bytes]],
        body: Iterator[bytes],
        closer: Any = ...,
    ):
        self.status = status
        self.reason = reason
        self.headers = headers
        self._body = body
        self._closer = body if closer is ... else closer  # None: a copy of a shared answer, nothing to close
        self.shared: Any = None  # a copy of a shared answer: its SharedRun (connection.py), whose bytes it sends

    @property
    def closable(self) -> bool:
        return self._closer is not None

    def pull(self, budget: int = 256 * 1024) -> tuple[list[bytes], bool]:
        """Up to ``budget`` bytes of body (in a worker thread); True when the body is complete."""
        chunks, size = [], 0
        for chunk in self._body:
            if chunk:
                chunks.append(chunk)
                size += len(chunk)
            if size >= budget:
                return chunks, False
        return chunks, True

    def close(self) -> None:
        close = getattr(self._closer, "close", None)
        if close is not None:
            close()


def call_app(app: WSGIApp, environ: dict[str, Any]) -> Answer:
    """Run ``app`` until it has started its response (in a worker thread)."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        if exc_info is not None and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, headers]
        return _no_write

    result = app(environ, start_response)
    body = iter(result)
    first: list[bytes] = []
    if not started:  # a generator app calls start_response on its first step
        with contextlib.suppress(StopIteration):
            first.append(next(body))
    if not started:
        raise RuntimeError("the WSGI application did not start a response")
    status_text, headers = started
    code, _, reason = status_text.partition(" ")
    out = []
    for name, value in headers:
        raw = name.lower().encode("latin-1")
        if raw not in _HOP_BY_HOP:
            out.append((raw, value.encode("latin-1")))
    answer = Answer(int(code), reason.encode("latin-1"), out, _chain(first, body))
    answer._closer = result
    return answer


def _chain(first: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    yield from first
    yield from rest


def _no_write(data: bytes) -> None:
    raise RuntimeError("the WSGI write() callable is not supported; return an iterable")
