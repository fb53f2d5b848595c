"""Nomad variable rules: paths, size, namespaces."""

from __future__ import annotations

import pytest
from raftops import variables as var


@pytest.mark.parametrize(
    "path",
    ["a", "app/db/password", "A-b_c~d/e", "nomad/jobs", "nomad/jobs/web/group/task", "nomad/sentinel/x",
     "nomad/job-templates/t", "nomadic/x", "x" * 128],
)  # fmt: skip
def test_valid_paths(path: str) -> None:
    assert var.path_error(path) is None


@pytest.mark.parametrize(
    ("path", "start"),
    [
        ("", "variable requires path"),
        ("a b", 'invalid path "a b"'),
        ("a.b", 'invalid path "a.b"'),
        ("a@b", 'invalid path "a@b"'),
        ("x" * 129, 'invalid path "x'),
        ("nomad", '"nomad" is a reserved top-level directory path'),
        ("nomad/other", 'only paths at "nomad/jobs" or "nomad/job-templates"'),
        ("nomad/job-templates", '"nomad/job-templates" is a reserved directory path'),
        ("nomad/job-templates/a/b", '"nomad/job-templates" is a reserved directory path'),
    ],
)
def test_invalid_paths(path: str, start: str) -> None:
    error = var.path_error(path)
    assert error is not None and error.startswith(start)


def test_validate_order_and_size_in_bytes() -> None:
    assert var.validate("*", "bad path", {}) == 'can not target wildcard ("*")namespace'
    assert var.validate("default", "bad path", {}) == "empty variables are invalid"
    assert var.validate("default", "ok", {"k": "x" * 65535}) is None
    assert var.validate("default", "ok", {"k": "é" * 32768}) == "variables are limited to 64KiB in total size"
    assert var.validate("default", "bad path", {"a": "b"}) == 'invalid path "bad path"'


def test_namespaces() -> None:
    assert var.namespace_error("default") is None and var.namespace_error("*") is None
    assert var.namespace_error("a/b") == 'invalid namespace "a/b"'
    assert var.state_path("prod", "a/b") == "vars/prod/a/b"
    assert var.page_token({"Namespace": "default", "Path": "a/b"}) == "default.a/b"
