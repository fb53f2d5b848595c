# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The backup sidecar's HTTP API (etcd-operator's backup service): ``/v1/status``, ``/v1/backup``, ``/v1/backupnow``.

The sidecar is not a raftops agent, but it authenticates its callers like one: an ACL token of the cluster in
``X-Nomad-Token`` (management; operator:read for ``/v1/status``) or a client certificate from the cluster CA. It
answers JSON labelled ``text/plain`` (as Go's net/http sniffs it) and plain-text errors. It has no endpoint that
lists backups: ``/v1/status`` counts them and sums their size, and ``HEAD /v1/backup`` names the latest
(``X-Revision``, ``X-etcd-Version``).
The same RaftopsClient carries the requests, so TLS, timeouts, retries and error messages work as everywhere else.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.module_utils.basic import env_fallback

from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsAPIError, RaftopsClient

DEFAULT_SIDECAR_URL = "http://127.0.0.1:19999"
DEFAULT_BACKUP_TIMEOUT = 600  # the sidecar gives up on a /v1/backupnow after 10 minutes itself
STATE_PATH = "/v1/raftops/state"

# Documented in plugins/doc_fragments/_sidecar.py; keep both in sync.
SIDECAR_ARGSPEC = {
    "sidecar_url": {
        "type": "str",
        "default": DEFAULT_SIDECAR_URL,
        "fallback": (env_fallback, ["RAFTOPS_BACKUP_SIDECAR_ADDR"]),
    },
    "sidecar_token": {
        "type": "str",
        "no_log": True,
        "fallback": (env_fallback, ["RAFTOPS_BACKUP_SIDECAR_TOKEN"]),
    },
}


def sidecar_argument_spec():
    return dict((name, dict(spec)) for name, spec in SIDECAR_ARGSPEC.items())


def sidecar_client(params, warn=None, timeout=None):
    """A client of the sidecar: the sidecar URL, the TLS and retry options of the module, and ``sidecar_token``.

    Without ``sidecar_token`` the module's ``token`` (the cluster's, as the sidecar checks it with the cluster) is
    sent; an empty ``sidecar_token`` sends none (a client certificate is then the credential).
    """
    settings = dict(
        (key, params.get(key))
        for key in ("ca_path", "client_cert", "client_key", "validate_certs", "timeout", "retries")
    )
    settings["url"] = params.get("sidecar_url") or DEFAULT_SIDECAR_URL
    if timeout is not None:
        settings["timeout"] = timeout
    settings["token"] = params.get("sidecar_token")
    if settings["token"] is None:
        settings["token"] = params.get("token")
    client = RaftopsClient(settings, warn=warn)
    client.token = settings["token"] or None  # an empty sidecar_token: no header at all
    return client


def json_document(response, path):
    """The JSON document of a sidecar answer (labelled text/plain by the sidecar, as by Go's net/http)."""
    data = response.data
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            raise ValueError("unexpected answer to GET %s: %r" % (path, data)) from None
    if not isinstance(data, dict):
        raise ValueError("unexpected answer to GET %s: %r" % (path, data))
    return data


def read_status(client):
    """``GET /v1/status``: recentBackup (the latest this sidecar process made), backups, backupSize (MB), lastError."""
    return json_document(client.get("/v1/status", retry=True), "/v1/status")


def latest_from_headers(headers):
    """The latest backup as ``HEAD /v1/backup`` describes it."""
    revision = headers.get("x-revision")
    length = headers.get("content-length")
    return {
        "revision": int(revision) if revision is not None and revision.isdigit() else None,
        "etcd_version": headers.get("x-etcd-version"),
        "raftops_version": headers.get("x-raftops-version"),
        "size": int(length) if length is not None and length.isdigit() else None,
    }


def read_latest(client, etcd_version=None):
    """The latest backup in the sidecar's storage, or None when there is none.

    With ``etcd_version``, the sidecar also checks that the backup can seed an etcd of that version; an incompatible
    one raises RaftopsAPIError (400 "requested version (...) is not compatible with the backup (...)").
    """
    try:
        response = client.request("HEAD", "/v1/backup", query={"etcdVersion": etcd_version}, retry=True)
    except RaftopsAPIError as exc:
        if exc.status == 404:
            return None
        raise
    return latest_from_headers(response.headers)


def backup_now(client):
    """``GET /v1/backupnow``: a new backup, or the last status when the state has not changed (never retried)."""
    return json_document(client.get("/v1/backupnow"), "/v1/backupnow")


def read_cluster_state(client, missing_ok=False):
    """The cluster's ``GET /v1/raftops/state`` (Revision, Generation, EtcdVersion, RaftopsVersion).

    The state revision is what the sidecar compares with its latest backup, and what tells whether a cluster has ever
    held data. With ``missing_ok``, a server without the endpoint (Nomad: HTTP 404) gives None.
    """
    try:
        data = client.get(STATE_PATH, retry=True).data
    except RaftopsAPIError as exc:
        if missing_ok and exc.status == 404:
            return None
        raise
    if not isinstance(data, dict) or not isinstance(data.get("Revision"), int):
        raise ValueError("unexpected answer to GET %s: %r" % (STATE_PATH, data))
    return data


def predict(latest, cluster):
    """What ``/v1/backupnow`` would do, from the latest backup and the cluster's state (the sidecar's own rule).

    Returns (changed, refusal): a backup is taken when there is none or the state revision moved; a revision lower
    than the latest backup's means the storage holds another cluster's backups, which the sidecar refuses.
    """
    revision = cluster.get("Revision")
    if latest is None or latest.get("revision") is None:
        return True, None
    if revision == latest["revision"]:
        return False, None
    if revision < latest["revision"]:
        return False, (
            "the cluster's state revision %s is lower than the latest backup's %s: the sidecar's storage "
            "holds another cluster's backups, and the sidecar refuses to mix them" % (revision, latest["revision"])
        )
    return True, None
