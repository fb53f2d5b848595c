"""The HTTP front: one WSGI app, one router per API family, served by cheroot.

Each family keeps its upstream conventions for bodies and errors (Nomad: text/plain errors;
OpenSearch: JSON error objects; the etcd-operator sidecar: net/http text). A family module
exposes ``register(app)`` and adds werkzeug rules whose endpoints are plain callables.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .. import metrics

log = logging.getLogger("raftops.http")

Handler = Callable[..., Response]


class App:
    """A WSGI application made of routes from several API families."""

    def __init__(self, context: Any):
        self.context = context
        self.url_map = Map(strict_slashes=False, merge_slashes=False)
        self._handlers: dict[str, Handler] = {}

    def route(
        self,
        path: str,
        handler: Handler,
        *,
        methods: list[str] | None = None,
        name: str | None = None,
        family: str = "nomad",
    ) -> None:
        endpoint = name or f"{family}:{path}:{','.join(methods or ['*'])}"
        self._handlers[endpoint] = handler
        self.url_map.add(Rule(path, endpoint=endpoint, methods=methods))

    def __call__(self, environ, start_response):
        request = Request(environ)
        started = time.monotonic()
        adapter = self.url_map.bind_to_environ(environ)
        route = "unmatched"
        try:
            endpoint, args = adapter.match()
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
        metrics.HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        metrics.HTTP_LATENCY.labels(request.method, route).observe(elapsed)
        log.debug(
            "%s %s -> %s (%.1f ms)", request.method, request.full_path.rstrip("?"), response.status_code, elapsed * 1000
        )
        return response(environ, start_response)
