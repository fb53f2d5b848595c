"""GET /v1/operator/autopilot/health: the agent's in-memory health report (raftops.cluster.health).

As Nomad (command/agent/operator_endpoint.go OperatorServerHealth): 200 when every server is
healthy, 429 with the same body otherwise; any other method is 404 ``Invalid method``.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from .. import acl
from .context import WithHealth, bind
from .http import App
from .nomad import NomadError, nomad_handler

FIRST_REPORT_WAIT = 3.0  # a just-started agent answers once its first poll round is done


@nomad_handler
def health(request: Request, ctx: WithHealth) -> Any:
    if request.method != "GET":
        raise NomadError(404, "Invalid method")
    acl.authorize(ctx, request, acl.OPERATOR_READ)
    report = ctx.server_health.latest(wait=FIRST_REPORT_WAIT)
    if report is None:
        # Nomad answers a zero reply (unhealthy) until autopilot has a state.
        body = {"Healthy": False, "FailureTolerance": 0, "Servers": None, "Leader": "", "Voters": None}
    else:
        body = report.to_api()
    if body["Healthy"]:
        return Response(json.dumps(body), status=200, content_type="application/json")
    # Upstream writes the 429 status before the body, so Go sniffs the type: text/plain, not JSON.
    return Response(json.dumps(body), status=429, content_type="text/plain; charset=utf-8")


def register(app: App, ctx: WithHealth) -> None:
    app.route("/v1/operator/autopilot/health", bind(health, ctx))
