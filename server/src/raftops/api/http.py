"""The agent's WSGI application: one router for every API family, served by raftops.httpfront.

Each family keeps its upstream conventions for bodies and errors (Nomad: text/plain errors;
OpenSearch: JSON error objects; the etcd-operator sidecar: net/http text). A family module
exposes ``register(app)`` and adds werkzeug rules whose endpoints are plain callables.

Routing never looks at the ``Host`` header (no rule depends on it), so a strange Host cannot break
a request. Metric labels come from fixed sets: the route's own pattern and a known method name.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .. import metrics

log = logging.getLogger("raftops.http")

Handler = Callable[..., Response]

# Methods that get a label of their own; any other method counts as "OTHER" (bounded series).
METRIC_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})


def metric_method(method: str) -> str:
    return method if method in METRIC_METHODS else "OTHER"


class App:
    """A WSGI application made of routes from several API families."""

    def __init__(self, context: object):
        self.context = context
        self.url_map = Map(strict_slashes=False, merge_slashes=False)
        self._handlers: dict[str, Handler] = {}
        self._body_caps: dict[str, int] = {}  # endpoint -> cap of a route whose handler streams its body

    def route(
        self,
        path: str,
        handler: Handler,
        *,
        methods: list[str] | None = None,
        name: str | None = None,
        family: str = "nomad",
        stream_body_cap: int | None = None,
    ) -> None:
        """``stream_body_cap``: the handler reads its (large) body as a stream, up to this many bytes."""
        endpoint = name or f"{family}:{path}:{','.join(methods or ['*'])}"
        self._handlers[endpoint] = handler
        if stream_body_cap is not None:
            self._body_caps[endpoint] = stream_body_cap
        self.url_map.add(Rule(path, endpoint=endpoint, methods=methods))

    def _adapter(self, environ):
        # PATH_INFO is WSGI's latin-1 view of the raw bytes; the routes see the UTF-8 text the client meant.
        path = environ.get("PATH_INFO", "").encode("latin-1", "replace").decode("utf-8", "replace")
        return self.url_map.bind(
            "raftops",
            script_name="/",
            url_scheme=environ.get("wsgi.url_scheme", "http"),
            path_info=path,
            query_args=environ.get("QUERY_STRING", ""),
        )

    def body_policy(self, environ) -> tuple[int, bool] | None:
        """The front asks before reading a body: routes that stream get their own cap (httpfront)."""
        if not self._body_caps:
            return None
        try:
            endpoint, _ = self._adapter(environ).match(method=environ.get("REQUEST_METHOD", "GET"))
        except HTTPException:
            return None
        cap = self._body_caps.get(endpoint)
        return None if cap is None else (cap, True)

    def __call__(self, environ, start_response):
        request = Request(environ)
        started = time.monotonic()
        route = "unmatched"
        try:
            adapter = self._adapter(environ)
            endpoint, args = adapter.match(method=request.method)
            route = endpoint.split(":")[1] if ":" in endpoint else endpoint
            response = self._handlers[endpoint](request, **args)
        except NotFound:
            # Go's net/http answer, which Nomad and the sidecar both give for unknown paths.
            response = Response("404 page not found\n", status=404, content_type="text/plain; charset=utf-8")
        except MethodNotAllowed:
            response = Response("Invalid method\n", status=405, content_type="text/plain; charset=utf-8")
        except HTTPException as exc:
            response = exc.get_response(environ)
        except Exception:  # the family handlers map their own errors; anything left is a bug
            log.exception("unhandled error serving %s %s", request.method, request.path)
            response = Response("internal error\n", status=500, content_type="text/plain; charset=utf-8")
        # Go's status line wording ("404 Not Found"); werkzeug would upper-case the reason.
        response.status = f"{response.status_code} {HTTP_STATUS_CODES.get(response.status_code, '')}".rstrip()
        elapsed = time.monotonic() - started
        method = metric_method(request.method)
        metrics.HTTP_REQUESTS.labels(method, route, str(response.status_code)).inc()
        metrics.HTTP_LATENCY.labels(method, route).observe(elapsed)
        log.debug(
            "%s %s -> %s (%.1f ms)", request.method, request.full_path.rstrip("?"), response.status_code, elapsed * 1000
        )
        return response(environ, start_response)
