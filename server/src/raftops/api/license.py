"""GET|PUT /v1/operator/license: the cluster's signed license (see raftops.license).

GET answers Nomad Enterprise's ``LicenseReply`` shape (the seed's sample), or 204 with no body when
no license is installed, which is what Nomad CE answers and what Nomad's Go client understands.
PUT takes the raw blob, checks it against this agent's ``license_public_key`` and stores it in the
replicated state (the ``license`` document of raftops.store.configdocs); 400 for a bad signature,
product or validity period.
ACL: operator:read (or the license-read capability) to read, operator:write to write.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request

from .. import acl, gotime
from .. import license as lic
from ..store.configdocs import LICENSE, ConfigDocuments
from .context import WithState, bind
from .http import App
from .nomad import NomadError, empty, json_response, nomad_handler, set_index, set_meta

WRITE_ATTEMPTS = 5


def current(ctx: WithState) -> tuple[dict[str, Any], int] | None:
    item = ConfigDocuments(ctx.state).get(LICENSE)
    if item is None:
        return None
    return json.loads(item.value), item.modify_index


@nomad_handler
def license_endpoint(request: Request, ctx: WithState) -> Any:
    if request.method == "GET":
        acl.authorize(ctx, request, acl.LICENSE_READ)
        stored = current(ctx)
        if stored is None:
            return empty(204)
        doc, index = stored
        body = {
            "KnownLeader": True,
            "LastContact": 0,
            "LastIndex": index,
            "License": lic.view(doc["License"]),
            "ConfigOutdated": False,
            "RequestTime": 0,
        }
        meta = {"Index": index, "LastContact": 0, "KnownLeader": True}
        return set_meta(json_response(body), meta)
    if request.method != "PUT":
        raise NomadError(405, "Invalid method")
    acl.authorize(ctx, request, acl.OPERATOR_WRITE)
    if not ctx.config.license_public_key:
        raise NomadError(501, "this agent cannot verify licenses: set license_public_key in its configuration")
    try:
        public_key = lic.load_public_key(ctx.config.license_public_key)
    except lic.LicenseError as exc:
        raise NomadError(500, f"license public key: {exc}") from exc
    blob = request.get_data(as_text=True)
    if not blob.strip():
        raise NomadError(400, "Request body is empty")
    try:
        document = lic.verify(blob, public_key, gotime.now_ns())
    except lic.LicenseError as exc:
        raise NomadError(400, str(exc)) from exc
    except (RecursionError, TypeError, KeyError, AttributeError, ValueError) as exc:
        # The payload is decoded before its signature is checked: a crafted one (nested too deeply,
        # fields of the wrong type) is a bad license, not a server error.
        raise NomadError(400, f"invalid license: cannot decode it: {type(exc).__name__}") from exc
    force = request.args.get("force", "").lower() in ("1", "true")
    value = json.dumps({"Blob": blob.strip(), "License": document}, sort_keys=True).encode()
    for _ in range(WRITE_ATTEMPTS):
        existing = current(ctx)
        if existing is not None and not force:
            old = existing[0]["License"]
            if gotime.parse_ns(document["IssueTime"]) < gotime.parse_ns(old["IssueTime"]):
                raise NomadError(400, "requested license is older than current one, use force to override")
        # CAS on what was compared, so two concurrent PUTs cannot both pass the age check.
        res = ConfigDocuments(ctx.state).put(LICENSE, value, cas=existing[1] if existing else 0)
        if res.succeeded:
            return set_index(json_response({"Index": res.index}), res.index)
    raise NomadError(409, "the license kept changing while it was being written; try again")


def register(app: App, ctx: WithState) -> None:
    app.route("/v1/operator/license", bind(license_endpoint, ctx))
