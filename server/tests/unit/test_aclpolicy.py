"""ACL rules: parsing HCL and JSON like Nomad's acl.Parse, and merging policies like acl.NewACL."""

from __future__ import annotations

import json

import pytest
from raftops.acl import policy as ap

RULES = """
namespace "default" {
  policy       = "read"
  capabilities = ["submit-job"]
  variables {
    path "project/*" { capabilities = ["read", "write"] }
    path "exact" { capabilities = ["list"] }
  }
}

namespace "prod-*" {
  policy = "write"
}

operator {
  policy = "read"
}
"""


def test_hcl_policy_expands_shorthands() -> None:
    policy = ap.parse(RULES)
    default, prod = policy.namespaces
    assert default.name == "default" and default.policy == "read"
    assert {"submit-job", "read-job", "list-jobs"} <= set(default.capabilities)
    assert [(p.path, p.capabilities) for p in default.variables] == [
        ("project/*", ["read", "write", "list"]),  # read implies list
        ("exact", ["list"]),
    ]
    assert "alloc-exec" in prod.capabilities
    assert policy.operator.capabilities == ["license-read", "keyring-read"]


def test_json_rules_give_the_same_policy_as_hcl() -> None:
    as_json = json.dumps(
        {
            "namespace": {
                "default": {
                    "policy": "read",
                    "capabilities": ["submit-job"],
                    "variables": {
                        "path": {"project/*": {"capabilities": ["read", "write"]}, "exact": {"capabilities": ["list"]}}
                    },
                },
                "prod-*": {"policy": "write"},
            },
            "operator": {"policy": "read"},
        }
    )
    assert ap.parse(as_json).rules_json() == ap.parse(RULES).rules_json()


def test_empty_rules_are_an_empty_policy() -> None:
    assert ap.parse("").is_empty()


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ('bogus { x = "y" }', 'Invalid policy: bogus { x = "y" }'),
        ('operator { policy = "read" }\nbogus = 1', "Invalid or duplicate policy keys: bogus"),
        ('namespace "x" { policy = "admin" }', "Invalid namespace policy: 'admin' in namespace 'x'"),
        ('namespace "x" { capabilities = ["fly"] }', "Invalid namespace capability 'fly': x"),
        ('namespace "a/b" { policy = "read" }', "Invalid namespace name: 'a/b'"),
        ('namespace { policy = "read" }', "Invalid namespace name: ''"),
        ('namespace "x" { variables { } }', "Invalid variable policy: no variable paths in namespace x"),
        (
            'namespace "x" { variables { path "/abs" { capabilities = ["read"] } } }',
            "Invalid variable path \"/abs\" in namespace x: cannot start with a leading '/'`",
        ),
        (
            'namespace "x" { variables { path "a" { capabilities = ["fly"] } } }',
            "Invalid variable capability 'fly' in namespace x",
        ),
        ('operator { policy = "root" }', "Invalid operator policy: 'root'"),
        ('operator { capabilities = ["fly"] }', "Invalid operator capability 'fly'"),
        ('agent { policy = "x" }', "Invalid agent policy: 'x'"),
        ('plugin { policy = "scale" }', "Invalid plugin policy: 'scale'"),
        ('namespace "x" { policy = read }', "Failed to parse ACL Policy: 'read' must be a quoted string"),
        ('namespace "a" "b" { policy = "read" }', "Failed to parse ACL Policy: block 'a' has more than one label"),
        ('namespace "x" {', "Failed to parse ACL Policy: "),
        ("{not json", "Failed to parse ACL Policy: "),
    ],
)
def test_invalid_rules(rules: str, message: str) -> None:
    with pytest.raises(ap.PolicyError) as err:
        ap.parse(rules)
    assert str(err.value).startswith(message)


def test_lenient_parsing_ignores_unknown_keys() -> None:
    policy = ap.parse('operator { policy = "read" }\nbogus = 1', strict=False)
    assert policy.operator.policy == "read"


def test_operator_levels_and_capabilities() -> None:
    read = ap.compile_policies([ap.parse('operator { policy = "read" }')])
    assert read.allow_operator_read() and not read.allow_operator_write()
    assert read.allow_operator_operation("license-read") and not read.allow_operator_operation("snapshot-save")
    write = ap.compile_policies([ap.parse('operator { policy = "read" }'), ap.parse('operator { policy = "write" }')])
    assert write.allow_operator_write() and write.allow_operator_operation("snapshot-save")
    denied = ap.compile_policies([ap.parse('operator { policy = "write" }'), ap.parse('operator { policy = "deny" }')])
    assert not denied.allow_operator_read() and not denied.allow_operator_write()
    license_only = ap.compile_policies([ap.parse('operator { capabilities = ["license-read"] }')])
    assert license_only.allow_operator_operation("license-read") and not license_only.allow_operator_read()
    assert ap.MANAGEMENT_ACL.allow_operator_write() and ap.MANAGEMENT_ACL.allow_variable_operation("x", "y", "write")


def test_variables_closest_glob_wins_and_namespace_policy_grants_none() -> None:
    acl = ap.compile_policies(
        [
            ap.parse(
                """
namespace "*" {
  policy = "write"
  variables {
    path "*" { capabilities = ["list"] }
  }
}
namespace "default" {
  variables {
    path "app/*" { capabilities = ["read", "write", "destroy"] }
    path "app/secret" { capabilities = ["deny"] }
  }
}"""
            )
        ]
    )
    assert acl.allow_variable_operation("default", "app/db", "write")
    assert acl.allow_variable_operation("default", "app/db", "list")  # read implies list
    assert not acl.allow_variable_operation("default", "app/secret", "read")  # the exact path wins
    assert acl.allow_variable_operation("other", "anything", "list")
    assert not acl.allow_variable_operation("other", "anything", "read")
    assert acl.allow_namespace_operation("other", "submit-job")
    assert acl.allow_variable_search("default") and acl.allow_variable_search("*")
    assert not ap.compile_policies([ap.parse('namespace "x" { policy = "write" }')]).allow_variable_operation(
        "x", "a", "read"
    )


def test_namespace_deny_wins_across_policies() -> None:
    acl = ap.compile_policies(
        [ap.parse('namespace "default" { policy = "write" }'), ap.parse('namespace "default" { policy = "deny" }')]
    )
    assert not acl.allow_namespace_operation("default", "read-job")


@pytest.mark.parametrize(
    ("pattern", "name", "match"),
    [("*", "", True), ("a*", "abc", True), ("*c", "abc", True), ("a*c", "abbbc", True), ("a*c", "ab", False),
     ("a*b*c", "a-b-c", True), ("a*b*c", "acb", False), ("ab", "ab", True), ("ab", "abc", False),
     ("x\x00*", "x\x00a/b", True)],
)  # fmt: skip
def test_glob_match(pattern: str, name: str, match: bool) -> None:
    assert ap.glob_match(pattern, name) is match
