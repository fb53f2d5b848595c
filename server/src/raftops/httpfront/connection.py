"""One HTTP/1.1 connection on the event loop: read a request with deadlines, run it, write the answer.

The order of work for a request is what keeps the front sturdy:

1. the request line and headers must arrive within ``header_timeout`` (slowloris ends there);
2. a declared body over the route's cap is answered 413 at once, unread;
3. a request with a body first runs its handler with no body (:class:`~.wsgi.BodyGate`): handlers
   check the token first, so an unauthorised request is answered without its body being read;
4. only then is the body read, on the loop (no thread waits on a slow sender), within
   ``body_timeout`` and the cap, and the handler runs again with it.

A small body that arrives whole with the headers, or within ``_BODY_GRACE`` after them (urllib3 and
http.client send the headers and the body in two writes), is in memory before any handler runs: the
handler runs once, with it (it still checks the token before it reads), instead of twice with a
thread hop in between. A body that is not there by then takes the two phases above.

Threads run handlers only; a response is written with backpressure and a stall timeout. A handler
that waits for a change (a blocking query) raises :class:`~.wsgi.Suspend`: its thread goes back to
the pool and the connection waits on the loop, holding no thread, until it is woken or times out;
then the handler runs again. Identical requests woken by one change share one handler run
(:class:`SharedRun`): the first runs it, the others are resumed once, with its answer, and send the
bytes the first one's answer serialised to (one h11 serialisation for all of them).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import ssl
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import h11

from .limits import Phase, Tracked
from .wsgi import (
    PEER_CERT,
    RESUME_NOW,
    Answer,
    BodyGate,
    BodyNeeded,
    BodyTooLarge,
    StreamInput,
    Suspend,
    build_environ,
    call_app,
)

if TYPE_CHECKING:
    from .server import HTTPFront

log = logging.getLogger("raftops.http.front")

_READ = 65536
_CLOSE_SECONDS = 1.0
_SMALL_BODY = 65536  # a body up to this size may be waited for, briefly, before the handler runs
_BODY_GRACE = 0.002  # how long: a client's second write (its body) follows its headers within this
_DISCARD_BYTES = 1024 * 1024 * 1024  # the most of an unwanted body read (and dropped) after an early answer
_TEXT = (b"content-type", b"text/plain; charset=utf-8")


class _Closed(Exception):
    """The peer went away or overstayed a deadline: drop the connection without an answer."""


# What ends a suspension (the result of the request's ``woken`` future), besides a SharedRun (a follower's
# answer) and None (the wait ran out, or the front is stopping):
WOKEN = "woken"  # a change woke it: run the handler again
LEAD = "lead"  # ... and identical requests woken with it wait for this one's run (front.shared[key])
_CLOSED = "closed"  # the peer went away while it waited
SHARE_SECONDS = 0.1  # how long a woken request's answer serves identical requests woken after it
_PROBE = b"GET / HTTP/1.1\r\nhost: x\r\n\r\n"


class SharedRun:
    """One handler run for identical woken requests (method, target, credentials): the same request gets
    the same answer, so the first one woken runs the handler and the others, woken meanwhile or within
    ``SHARE_SECONDS`` after, send its answer. (One woken by a later change may so get an answer that is
    not past its index yet: a blocking query may answer early, and its client asks again.) ``answer``
    is None when the others must run their own (the run failed, suspended again, or streams).
    """

    __slots__ = ("answer", "finished", "followers", "_wire")

    def __init__(self) -> None:
        self.followers: list[asyncio.Future] = []
        self.finished = False
        self.answer: tuple[Answer, list[bytes], bool] | None = None
        self._wire: bytes | None = None

    def finish(self, result: Any) -> None:
        self.finished = True
        if isinstance(result, tuple) and result[2]:
            self.answer = result

    def copy(self) -> tuple[Answer, list[bytes], bool]:
        assert self.answer is not None
        answer, chunks, done = self.answer
        copy = Answer(answer.status, answer.reason, answer.headers, iter(()), closer=None)
        copy.shared = self
        return copy, chunks, done

    def wire(self) -> bytes | None:
        """The answer as h11 writes it to a keep-alive HTTP/1.1 GET (None when it cannot be written)."""
        if self._wire is None and self.answer is not None:
            answer, chunks, _ = self.answer
            h = h11.Connection(h11.SERVER)
            h.receive_data(_PROBE)
            h.next_event()
            h.next_event()
            try:
                out = [h.send(h11.Response(status_code=answer.status, headers=_headers(answer), reason=answer.reason))]
                if answer.status not in (204, 304):
                    out += [h.send(h11.Data(data=chunk)) for chunk in chunks]
                out.append(h.send(h11.EndOfMessage()))
            except h11.LocalProtocolError:
                return None
            self._wire = b"".join(out)
        return self._wire


class Connection:
    def __init__(self, front: HTTPFront, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.front = front
        self.limits = front.limits
        self.reader = reader
        self.writer = writer
        peer = writer.get_extra_info("peername") or ("", 0)
        self.peer = (str(peer[0]), int(peer[1]))
        self.tracked = Tracked(self.peer[0], self._abort)
        self.h = h11.Connection(h11.SERVER, max_incomplete_event_size=self.limits.max_header_bytes)
        self.peer_cert: dict[str, Any] | None = None
        self.task: asyncio.Task | None = None
        self._reading: asyncio.Task | None = None  # a read started while parked, not consumed yet
        self._plain_get = False  # the request is a keep-alive HTTP/1.1 GET (a shared answer's bytes fit it)

    def _abort(self) -> None:
        self.writer.transport.abort()
        if self.task is not None:
            self.task.cancel()

    # -- lifecycle ----------------------------------------------------------------------------------
    async def serve(self) -> None:
        front = self.front
        self.task = asyncio.current_task()
        if not front.table.admit(self.tracked):
            front.metrics.refused.inc()
            self.writer.transport.abort()
            return
        front.metrics.evictions_seen(front.table.evicted)
        try:
            if front.ssl_context is not None:
                await self._handshake()
            await self._requests()
            # Still in the table while the last answer drains: it counts against the caps, and is evictable.
            await self._close_gracefully()
        except (_Closed, ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except asyncio.CancelledError:
            pass  # evicted, or the front is stopping
        except Exception:
            log.exception("HTTP connection from %s failed", self.peer[0])
        finally:
            front.table.remove(self.tracked)
            reading = self._reading
            if reading is not None:
                reading.cancel()
                if reading.done() and not reading.cancelled():
                    reading.exception()  # retrieved: no "exception was never retrieved" for a dropped read
            self.writer.transport.abort()

    async def _close_gracefully(self) -> None:
        """Let the last answer reach the client before the socket goes.

        An answer given before the body was read (403, 413) is one most clients read only after they
        have sent the whole body; closing under them resets the connection and they never see it. So
        the rest of the body is read and thrown away (constant memory), for at most ``body_timeout``
        and ``_DISCARD_BYTES``, on a connection that stays evictable meanwhile; then the socket closes.
        """
        if self.h.their_state is h11.SEND_BODY:
            self.tracked.phase = Phase.BODY
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.limits.body_timeout
            discarded = 0
            while discarded < _DISCARD_BYTES and (left := deadline - loop.time()) > 0:
                async with asyncio.timeout(left):
                    data = await self._read_some(_READ * 4)
                if not data:
                    break
                discarded += len(data)
        self.writer.close()
        await asyncio.wait_for(self.writer.wait_closed(), _CLOSE_SECONDS)

    async def _handshake(self) -> None:
        try:
            await self.writer.start_tls(self.front.ssl_context, ssl_handshake_timeout=self.limits.handshake_timeout)
        except (ssl.SSLError, OSError, TimeoutError) as exc:
            if isinstance(exc, TimeoutError):
                self.front.metrics.timeout("handshake")
            log.debug("TLS handshake with %s failed: %s", self.peer[0], exc)
            raise _Closed() from exc
        self.peer_cert = self.writer.get_extra_info("peercert") or None

    async def _requests(self) -> None:
        first = True
        while True:
            request = await self._read_head(first)
            if request is None:
                return
            first = False
            keep = await self._exchange(request)
            if not keep or self.front.stopping:
                return
            self.tracked.served += 1
            if self.h.our_state is h11.IDLE:
                continue  # a shared answer's fast path left a fresh state machine
            try:
                self.h.start_next_cycle()
            except h11.LocalProtocolError:
                return

    # -- reading ------------------------------------------------------------------------------------
    async def _receive(self, timeout: float, phase: str) -> None:
        try:
            async with asyncio.timeout(timeout):
                data = await self._read_some(_READ)
        except TimeoutError:
            self.front.metrics.timeout(phase)
            raise _Closed() from None
        self.h.receive_data(data)

    async def _arrived(self, length: int) -> bool:
        """Is the whole body of ``length`` bytes in h11's buffer, now or within ``_BODY_GRACE``?"""
        if len(self.h.trailing_data[0]) >= length:
            return True
        try:
            async with asyncio.timeout(_BODY_GRACE):
                while len(self.h.trailing_data[0]) < length:
                    data = await self._read_some(_READ)  # cancelling a StreamReader read loses no bytes
                    self.h.receive_data(data)
                    if not data:
                        return False
        except TimeoutError:
            return False
        return True

    async def _read_some(self, n: int) -> bytes:
        """The next bytes from the peer: those of the read started while parked, if there is one."""
        reading = self._reading
        if reading is None:
            return await self.reader.read(n)
        self._reading = None
        return await reading

    async def _read_head(self, first: bool) -> h11.Request | None:
        loop = asyncio.get_running_loop()
        self.tracked.phase = Phase.IDLE if not first else Phase.HEADERS
        # The first request must be complete within header_timeout of the connect; a later one may
        # wait idle_timeout for its first byte, then has header_timeout.
        deadline = loop.time() + self.limits.header_timeout if first else None
        while True:
            try:
                event = self.h.next_event()
            except h11.RemoteProtocolError as exc:
                await self._refuse_malformed(exc)
                return None
            if event is h11.NEED_DATA:
                if deadline is None:
                    await self._receive(self.limits.idle_timeout, "idle")
                    deadline = loop.time() + self.limits.header_timeout
                    self.tracked.phase = Phase.HEADERS
                else:
                    await self._receive(max(deadline - loop.time(), 0.001), "headers")
                continue
            if isinstance(event, h11.Request):
                return event
            return None  # ConnectionClosed, or the peer half-closed between requests

    async def _read_body(self, cap: int) -> bytes | int:
        """The whole body, or the status to answer (413 over the cap, 408 too slow, 400 malformed)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.body_timeout
        self._continue()
        parts: list[bytes] = []
        size = 0
        while True:
            try:
                event = self.h.next_event()
            except h11.RemoteProtocolError:
                return 400
            if event is h11.NEED_DATA:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    self.front.metrics.timeout("body")
                    return 408
                try:
                    await self._receive(remaining, "body")
                except _Closed:
                    return 408
                continue
            if isinstance(event, h11.Data):
                size += len(event.data)
                if size > cap:
                    return 413
                parts.append(bytes(event.data))
                continue
            if isinstance(event, h11.EndOfMessage):
                return b"".join(parts)
            return 400  # ConnectionClosed mid-body

    async def _pull(self, n: int, cap: int, counter: list[int]) -> bytes:
        """The next piece of a streamed body (called from a handler's thread through the loop)."""
        while self.h.their_state is h11.SEND_BODY:
            try:
                event = self.h.next_event()
            except h11.RemoteProtocolError as exc:
                raise OSError(f"malformed request body: {exc}") from exc
            if event is h11.NEED_DATA:
                try:
                    await self._receive(self.limits.stream_timeout, "stream")
                except _Closed:
                    raise OSError("the request body stalled") from None
                continue
            if isinstance(event, h11.Data):
                counter[0] += len(event.data)
                if counter[0] > cap:
                    raise BodyTooLarge(f"request body over {cap} bytes")
                return bytes(event.data)
            if isinstance(event, h11.EndOfMessage):
                return b""
            raise OSError("the connection closed in the middle of the request body")
        return b""

    def _continue(self) -> None:
        if self.h.they_are_waiting_for_100_continue:
            self.writer.write(self.h.send(h11.InformationalResponse(status_code=100, headers=[])))

    # -- one exchange ---------------------------------------------------------------------------------
    async def _exchange(self, request: h11.Request) -> bool:
        front = self.front
        environ = build_environ(
            request,
            scheme="https" if front.ssl_context is not None else "http",
            server=front.address,
            peer=self.peer,
            peer_cert=self.peer_cert,
        )
        length, chunked = _framing(request)
        has_body = chunked or (length or 0) > 0
        self._plain_get = request.method == b"GET" and request.http_version == b"1.1" and _keep_alive(request)
        cap, stream = front.body_policy(environ)
        head = request.method == b"HEAD"
        if has_body and length is not None and length > cap:
            front.metrics.rejected("too_large")
            return await self._simple(413, f"Request body too large: the limit is {cap} bytes\n", head=head)
        self.tracked.phase = Phase.BUSY
        if not has_body:
            self.h.next_event()  # the EndOfMessage of an empty body, so the connection can be reused
            return await self._respond(await self._run_app(environ), head=head)

        if (
            not stream
            and length is not None
            and length <= _SMALL_BODY
            and not self.h.they_are_waiting_for_100_continue
            and await self._arrived(length)
        ):
            return await self._with_body(environ, await self._read_body(cap), cap, head)  # in memory: no wait

        # Phase 1: the handler without its body (token checks happen here).
        environ["wsgi.input"] = BodyGate()
        if chunked:
            environ["wsgi.input_terminated"] = True
        first = await self._run_app(environ)
        if first is not None:
            return await self._respond(first, head=head, close=True)

        # Phase 2: the body, then the handler again.
        again = {k: v for k, v in environ.items() if not k.startswith("werkzeug.")}
        if stream:
            return await self._streamed(again, cap, head)
        self.tracked.phase = Phase.BODY
        body = await self._read_body(cap)
        self.tracked.phase = Phase.BUSY
        return await self._with_body(again, body, cap, head)

    async def _with_body(self, environ: dict[str, Any], body: bytes | int, cap: int, head: bool) -> bool:
        """Run the handler with its whole body (or answer the status ``_read_body`` gave instead)."""
        if isinstance(body, int):
            self.front.metrics.rejected({413: "too_large", 408: "slow_body"}.get(body, "malformed"))
            text = {413: f"Request body too large: the limit is {cap} bytes\n", 408: "Request body too slow\n"}
            return await self._simple(body, text.get(body, "Malformed request body\n"), head=head)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ.pop("wsgi.input_terminated", None)
        return await self._respond(await self._run_app(environ), head=head)

    async def _streamed(self, environ: dict[str, Any], cap: int, head: bool) -> bool:
        loop = asyncio.get_running_loop()
        counter = [0]
        timeout = self.limits.stream_timeout + 5

        def pull(n: int) -> bytes:
            return asyncio.run_coroutine_threadsafe(self._pull(n, cap, counter), loop).result(timeout)

        self._continue()
        stream_input = StreamInput(pull)
        environ["wsgi.input"] = io.BufferedReader(stream_input, buffer_size=_READ)
        environ["wsgi.input_terminated"] = True
        answer = await self._run_app(environ)
        if stream_input.exceeded:
            if answer is not None:
                await self.front.run(answer[0].close)
            self.front.metrics.rejected("too_large")
            return await self._simple(413, f"Request body too large: the limit is {cap} bytes\n", head=head)
        return await self._respond(answer, head=head)

    async def _run_app(self, environ: dict[str, Any]) -> tuple[Answer, list[bytes], bool] | None:
        """The app's answer, after as many suspensions (blocking queries) as it asks for."""
        front = self.front
        result = await front.run(self._call, environ)
        while isinstance(result, Suspend):
            key = _share_key(environ)
            woke = await self._park(result, key)
            self.tracked.phase = Phase.BUSY
            if isinstance(woke, SharedRun) and woke.answer is not None and not front.stopping:
                return woke.copy()  # a follower: the leader's answer
            environ = {k: v for k, v in environ.items() if not k.startswith("werkzeug.")}
            if woke is None or front.stopping:
                environ[RESUME_NOW] = True
            if woke is LEAD and key is not None:
                result = await self._lead(key, environ)
            else:
                result = await front.run(self._call, environ)
        return result

    async def _lead(self, key: tuple, environ: dict[str, Any]) -> tuple[Answer, list[bytes], bool] | Suspend | None:
        """Run the handler for every identical request woken with this one (their :class:`SharedRun`)."""
        front = self.front
        run = front.shared.get(key)
        result: tuple[Answer, list[bytes], bool] | Suspend | None = None
        try:
            result = await front.run(self._call, environ)
        finally:
            if run is not None:
                front.finish_shared(key, run, result)  # None when the run failed: the others run their own
        return result

    async def _park(self, suspend: Suspend, key: tuple | None) -> Any:
        """Wait, on the loop, until the handler's condition wakes us or its time is up.

        Returns WOKEN, LEAD or a :class:`SharedRun` (see :meth:`HTTPFront._deliver_wakes`), or None when
        the time is up or the front stops. The peer may close meanwhile: its EOF ends the wait and the
        connection. Bytes it sends (a pipelined next request) go to h11, which keeps them for the next
        cycle. The read that watches the socket is left running for the next request to use, not
        cancelled: a thousand woken requests start no new task each.
        """
        front = self.front
        loop = asyncio.get_running_loop()
        woken = loop.create_future()
        if front.stopping:
            return None
        try:
            disarm = suspend.arm(front.waker(woken, key))
        except Exception:
            log.exception("could not wait for a change; answering now")
            return None
        front.parked.add(woken)
        timer = loop.call_later(max(suspend.timeout, 0.0), _resolve, woken, None)
        watched = self._watch_peer(woken)
        try:
            woke = await woken
            if woke is _CLOSED:
                raise _Closed()
            return woke
        finally:
            timer.cancel()
            front.parked.discard(woken)
            if self._reading is not None:
                self._reading.remove_done_callback(watched)
            disarm()

    def _watch_peer(self, woken: asyncio.Future) -> Callable[[asyncio.Task], None]:
        """Read from the peer while parked (on callbacks, no task resumed): data goes to h11, an EOF or
        an error resolves ``woken`` with _CLOSED. Returns the callback, for the caller to remove."""

        def arrived(reading: asyncio.Task) -> None:
            if woken.done() or reading is not self._reading:
                return
            self._reading = None
            if reading.cancelled() or reading.exception() is not None or not reading.result():
                _resolve(woken, _CLOSED)
                return
            self.h.receive_data(reading.result())
            start()

        def start() -> None:
            self._reading = asyncio.ensure_future(self.reader.read(_READ))
            self._reading.add_done_callback(arrived)

        if self._reading is None:
            start()
        else:
            self._reading.add_done_callback(arrived)
        return arrived

    def _call(self, environ: dict[str, Any]) -> tuple[Answer, list[bytes], bool] | Suspend | None:
        """In a worker thread: the app's answer and its first body bytes; None when it wants the body;
        the :class:`Suspend` when the handler waits for a change."""
        try:
            answer = call_app(self.front.app, environ)
            chunks, done = answer.pull()
        except BodyNeeded:
            return None
        except Suspend as suspend:
            return suspend
        except Exception:
            log.exception("unhandled error serving %s %s", environ["REQUEST_METHOD"], environ["PATH_INFO"])
            answer = Answer(500, b"Internal Server Error", [_TEXT], iter(()))
            chunks, done = [b"internal error\n"], True
        return answer, chunks, done

    # -- writing ------------------------------------------------------------------------------------
    async def _write(self, data: bytes) -> None:
        self.writer.write(data)
        transport = self.writer.transport
        if not transport.is_closing() and transport.get_write_buffer_size() == 0:
            return  # the socket took all of it: nothing to wait for (a thousand woken answers, no task each)
        try:
            await asyncio.wait_for(self.writer.drain(), self.limits.stream_timeout)
        except TimeoutError:
            self.front.metrics.timeout("write")
            raise _Closed() from None

    async def _respond(
        self, result: tuple[Answer, list[bytes], bool] | None, *, head: bool, close: bool = False
    ) -> bool:
        if result is None:  # cannot happen outside phase 1: a body-less request never asks for its body
            return await self._simple(500, "internal error\n", head=head)
        answer, chunks, done = result
        close = close or self.front.stopping
        if answer.shared is not None and self._plain_get and not close and not head:
            wire = answer.shared.wire()
            if wire is not None and self.h.our_state is h11.SEND_RESPONSE and self.h.their_state is h11.DONE:
                # The bytes h11 wrote for the first of the identical requests; a fresh state machine
                # for the next request, with whatever the peer pipelined after this one.
                data, closed = self.h.trailing_data
                self.h = h11.Connection(h11.SERVER, max_incomplete_event_size=self.limits.max_header_bytes)
                if data:
                    self.h.receive_data(data)
                if closed:
                    self.h.receive_data(b"")
                await self._write(wire)
                return True
        try:
            headers = _headers(answer)
            if close:
                headers.append((b"connection", b"close"))
            out = [self.h.send(h11.Response(status_code=answer.status, headers=headers, reason=answer.reason))]
            sends_body = not head and answer.status >= 200 and answer.status not in (204, 304)
            while True:
                if sends_body:
                    out += [self.h.send(h11.Data(data=chunk)) for chunk in chunks]
                if done:
                    break
                await self._write(b"".join(out))  # a streamed answer: write what we have, then pull more
                out = []
                chunks, done = await self.front.run(answer.pull)
            out.append(self.h.send(h11.EndOfMessage()))
            await self._write(b"".join(out))  # one write for a small answer: one segment, no waiting on ACKs
        finally:
            if answer.closable:
                await self.front.run(answer.close)
        return not close and self.h.our_state is h11.DONE and self.h.their_state is h11.DONE

    async def _simple(self, status: int, text: str, *, head: bool, close: bool = True) -> bool:
        body = text.encode()
        headers = [_TEXT, (b"content-length", str(len(body)).encode()), (b"date", _http_date())]
        if close:
            headers.append((b"connection", b"close"))
        try:
            reason = HTTPStatus(status).phrase.encode()
            out = [self.h.send(h11.Response(status_code=status, headers=headers, reason=reason))]
            if not head:
                out.append(self.h.send(h11.Data(data=body)))
            out.append(self.h.send(h11.EndOfMessage()))
            await self._write(b"".join(out))
        except h11.LocalProtocolError:
            return False
        return not close

    async def _refuse_malformed(self, exc: h11.RemoteProtocolError) -> None:
        """Go's net/http answers a malformed request with 400 (431 for headers too large) and closes."""
        status = exc.error_status_hint if 400 <= exc.error_status_hint < 500 else 400
        self.front.metrics.rejected("too_large_headers" if status == 431 else "malformed")
        if self.h.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        self.h = h11.Connection(h11.SERVER)  # the old state machine is in ERROR: answer with a fresh one
        self.h.receive_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        self.h.next_event()
        reason = {431: "Request Header Fields Too Large"}.get(status, "Bad Request")
        with contextlib.suppress(_Closed):
            await self._simple(status, f"{status} {reason}\n", head=False)


def _resolve(future: asyncio.Future, value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _headers(answer: Answer) -> list[tuple[bytes, bytes]]:
    return [*answer.headers, (b"date", _http_date())]


def _keep_alive(request: h11.Request) -> bool:
    """h11's own test: no ``close`` among the request's Connection tokens."""
    return not any(name == b"connection" and b"close" in value.lower() for name, value in request.headers)


_SHARED_HEADERS = ("HTTP_X_NOMAD_TOKEN", "HTTP_AUTHORIZATION", "HTTP_COOKIE")


def _share_key(environ: dict[str, Any]) -> tuple | None:
    """What makes two woken requests the same request; None when it may not be shared."""
    if environ["REQUEST_METHOD"] not in ("GET", "HEAD") or environ.get(RESUME_NOW):
        return None
    cert = environ.get(PEER_CERT)
    return (
        environ["REQUEST_METHOD"],
        environ["PATH_INFO"],
        environ["QUERY_STRING"],
        *(environ.get(h) for h in _SHARED_HEADERS),
        repr(cert) if cert else None,
    )


def _framing(request: h11.Request) -> tuple[int | None, bool]:
    length: int | None = None
    chunked = False
    for name, value in request.headers:
        if name == b"content-length":
            length = int(value)  # h11 has validated it
        elif name == b"transfer-encoding" and value.lower().endswith(b"chunked"):
            chunked = True
    return (None if chunked else length), chunked


_date_cache: list[Any] = [0, b""]


def _http_date() -> bytes:
    import time

    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[:] = [now, formatdate(now, usegmt=True).encode()]
    return _date_cache[1]


__all__ = ["Connection"]
