"""raftops extensions to the Nomad API family (not in Nomad).

``GET /v1/raftops/state`` -> ``{"Revision": N, "EtcdVersion": "3.4.23", "RaftopsVersion": "0.1.0",
"Generation": "1"}``: the state revision (the mod_revision of the key every state txn rewrites;
leases, elections and liveness never move it), read with the generation pointer in one etcd txn,
and the versions of this agent and of its local etcd member. The backup sidecar reads it before
each backup to skip unchanged state without downloading a snapshot. ACL: operator:read (a
management token has it). Errors follow Nomad's text/plain convention.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from .. import __version__, acl
from .context import WithCluster, bind
from .http import App
from .nomad import nomad_handler

STATE_PATH = "/v1/raftops/state"


def cluster_state(ctx: WithCluster) -> dict[str, Any]:
    head = ctx.cluster.state_head()
    return {
        "Revision": head.revision,
        "EtcdVersion": head.etcd_version,
        "RaftopsVersion": __version__,
        "Generation": head.generation,
    }


@nomad_handler
def state(request: Request, ctx: WithCluster) -> Any:
    acl.authorize(ctx, request, acl.OPERATOR_READ)
    return cluster_state(ctx)


def register(app: App, ctx: WithCluster) -> None:
    app.route(STATE_PATH, bind(state, ctx), methods=["GET"])
