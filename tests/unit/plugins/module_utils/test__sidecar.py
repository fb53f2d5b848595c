# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup sidecar's answers and the prediction of what /v1/backupnow does."""

from __future__ import annotations

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils import _sidecar
from ansible_collections.raftops.cluster.plugins.module_utils._client import RaftopsResponse


def test_latest_from_headers():
    headers = {"x-revision": "24", "x-etcd-version": "3.4.23", "x-raftops-version": "0.1.0", "content-length": "1224"}
    assert _sidecar.latest_from_headers(headers) == {
        "revision": 24,
        "etcd_version": "3.4.23",
        "raftops_version": "0.1.0",
        "size": 1224,
    }
    assert _sidecar.latest_from_headers({})["revision"] is None


def test_json_document_reads_json_labelled_as_text():
    text = '{"backups":0,"backupSize":0}\n'
    assert _sidecar.json_document(RaftopsResponse(200, {}, text, text.encode()), "/v1/status") == {
        "backups": 0,
        "backupSize": 0,
    }
    with pytest.raises(ValueError, match="unexpected answer to GET /v1/status"):
        _sidecar.json_document(RaftopsResponse(200, {}, "not json", b"not json"), "/v1/status")


@pytest.mark.parametrize(
    ("latest", "revision", "changed", "refused"),
    [
        (None, 5, True, False),
        ({"revision": None}, 5, True, False),
        ({"revision": 5}, 5, False, False),
        ({"revision": 5}, 9, True, False),
        ({"revision": 9}, 5, False, True),
    ],
)
def test_predict_applies_the_sidecars_rule(latest, revision, changed, refused):
    predicted, refusal = _sidecar.predict(latest, {"Revision": revision})
    assert predicted is changed
    assert (refusal is not None) is refused
    if refused:
        assert "another cluster's backups" in refusal


def test_the_sidecar_client_sends_the_sidecar_token_else_the_cluster_token(monkeypatch):
    monkeypatch.setenv("RAFTOPS_TOKEN", "from-env")
    params = {"token": "cluster", "url": "http://agent:4646", "timeout": 10, "retries": 1}
    client = _sidecar.sidecar_client(params)
    assert client.token == "cluster"
    assert client.base_url == _sidecar.DEFAULT_SIDECAR_URL
    assert _sidecar.sidecar_client(dict(params, sidecar_token="sidecar")).token == "sidecar"
    # An empty sidecar_token sends nothing, not the cluster's token nor the environment's.
    assert _sidecar.sidecar_client(dict(params, sidecar_token="")).token is None
    client = _sidecar.sidecar_client({"sidecar_url": "http://10.0.0.1:19999", "timeout": 10}, timeout=600)
    assert client.base_url == "http://10.0.0.1:19999" and client.timeout == 600
