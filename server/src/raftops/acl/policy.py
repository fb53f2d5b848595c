"""Nomad ACL policies: parse rules (HCL or JSON) and compile them into an ACL object.

Semantics follow Nomad's ``acl/policy.go`` and ``acl/acl.go``: a namespace ``policy`` expands into
capabilities, ``deny`` wins, several policies merge into the union (the most privilege for the
``operator``/``agent``/``node`` levels), names with ``*`` are globs and the closest glob wins.
Variables are granted per namespace and path (``namespace "*" { variables { path "a/*" {...} } }``);
the namespace ``policy`` never grants variable access by itself. Pure logic: no I/O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import hcl2
from hcl2 import SerializationOptions

from .. import jsonlimits

DENY, READ, LIST, WRITE, SCALE = "deny", "read", "list", "write", "scale"
LEVELS = (DENY, READ, WRITE, SCALE)

NAMESPACE_CAPABILITIES = frozenset(
    [
        "deny",
        "list-jobs",
        "parse-job",
        "read-job",
        "submit-job",
        "dispatch-job",
        "read-logs",
        "read-fs",
        "alloc-exec",
        "alloc-node-exec",
        "alloc-lifecycle",
        "sentinel-override",
        "csi-register-plugin",
        "csi-write-volume",
        "csi-read-volume",
        "csi-list-volume",
        "csi-mount-volume",
        "host-volume-create",
        "host-volume-register",
        "host-volume-read",
        "host-volume-write",
        "host-volume-delete",
        "list-scaling-policies",
        "read-scaling-policy",
        "read-job-scaling",
        "scale-job",
        "submit-recommendation",
        "register-job",
        "revert-job",
        "deregister-job",
        "purge-job",
        "evaluate-job",
        "plan-job",
        "tag-job-version",
        "stable-job",
        "fail-deployment",
        "pause-deployment",
        "promote-deployment",
        "unblock-deployment",
        "cancel-deployment",
        "set-alloc-health-deployment",
        "gc-allocation",
        "pause-allocation",
        "force-periodic-job",
        "delete-service-registration",
    ]
)
_NS_READ = [
    "list-jobs",
    "parse-job",
    "read-job",
    "csi-list-volume",
    "csi-read-volume",
    "read-job-scaling",
    "list-scaling-policies",
    "read-scaling-policy",
    "host-volume-read",
]
_NS_WRITE = _NS_READ + [
    "scale-job",
    "submit-job",
    "dispatch-job",
    "read-logs",
    "read-fs",
    "alloc-exec",
    "alloc-lifecycle",
    "csi-mount-volume",
    "csi-write-volume",
    "submit-recommendation",
    "host-volume-create",
]
_NS_SCALE = [
    "list-scaling-policies",
    "read-scaling-policy",
    "read-job-scaling",
    "scale-job",
    "read-job",
    "submit-recommendation",
]
VARIABLE_CAPABILITIES = frozenset({"list", "read", "write", "destroy", "deny"})
OPERATOR_CAPABILITIES = frozenset(
    {"deny", "snapshot-save", "license-read", "keyring-rotate", "keyring-read", "keyring-delete"}
)
_OPERATOR_EXPANSION = {
    DENY: ["deny"],
    READ: ["license-read", "keyring-read"],
    WRITE: ["snapshot-save", "license-read", "keyring-rotate", "keyring-read", "keyring-delete"],
}
NODE_POOL_CAPABILITIES = frozenset({"delete", "deny", "read", "write"})
HOST_VOLUME_CAPABILITIES = frozenset({"deny", "mount-readonly", "mount-readwrite"})
SENTINEL_CAPABILITIES = frozenset({"deny", "sentinel-read", "sentinel-submit", "sentinel-delete"})

# Used with fullmatch: Go's "$" never matches before a trailing "\n", Python's does.
_VALID_NAMESPACE = re.compile(r"[a-zA-Z0-9-*]{1,128}")
_VALID_NODE_POOL = re.compile(r"[a-zA-Z0-9-_*]{1,128}")
_LABELLED = ("namespace", "node_pool", "host_volume")
_SINGLE = ("agent", "node", "operator", "sentinel", "quota", "plugin")


class PolicyError(ValueError):
    """The rules do not form a valid policy; the message says why (Nomad's wording where it has one)."""


@dataclass
class PathRule:
    path: str
    capabilities: list[str]


@dataclass
class NamespaceRule:
    name: str
    policy: str = ""
    capabilities: list[str] = field(default_factory=list)
    variables: list[PathRule] | None = None


@dataclass
class LabelledRule:
    name: str
    policy: str = ""
    capabilities: list[str] = field(default_factory=list)


@dataclass
class LevelRule:
    policy: str = ""
    capabilities: list[str] = field(default_factory=list)


@dataclass
class Policy:
    namespaces: list[NamespaceRule] = field(default_factory=list)
    node_pools: list[LabelledRule] = field(default_factory=list)
    host_volumes: list[LabelledRule] = field(default_factory=list)
    agent: LevelRule | None = None
    node: LevelRule | None = None
    operator: LevelRule | None = None
    sentinel: LevelRule | None = None
    quota: LevelRule | None = None
    plugin: LevelRule | None = None
    raw: str = ""

    def is_empty(self) -> bool:
        return not (self.namespaces or self.node_pools or self.host_volumes) and all(
            getattr(self, name) is None for name in _SINGLE
        )

    def rules_json(self) -> dict[str, Any]:
        """The parsed form Nomad returns as ``RulesJSON`` (Go field names)."""

        def level(rule: LevelRule | None, with_caps: bool) -> dict[str, Any] | None:
            if rule is None:
                return None
            out: dict[str, Any] = {"Policy": rule.policy}
            if with_caps:
                out["Capabilities"] = rule.capabilities or None
            return out

        def labelled(rules: list[LabelledRule]) -> list[dict[str, Any]] | None:
            return [{"Name": r.name, "Policy": r.policy, "Capabilities": r.capabilities or None} for r in rules] or None

        namespaces = [
            {
                "Name": ns.name,
                "Policy": ns.policy,
                "Capabilities": ns.capabilities or None,
                "Variables": None
                if ns.variables is None
                else {"Paths": [{"PathSpec": p.path, "Capabilities": p.capabilities} for p in ns.variables]},
            }
            for ns in self.namespaces
        ]
        return {
            "Namespaces": namespaces or None,
            "NodePools": labelled(self.node_pools),
            "HostVolumes": labelled(self.host_volumes),
            "Agent": level(self.agent, False),
            "Node": level(self.node, False),
            "Operator": level(self.operator, True),
            "Sentinel": level(self.sentinel, True),
            "Quota": level(self.quota, False),
            "Plugin": level(self.plugin, False),
        }


# -- reading HCL and JSON --------------------------------------------------------------------------
_HCL_OPTIONS = SerializationOptions(with_comments=False, explicit_blocks=True, strip_string_quotes=False)


def _load(rules: str) -> dict[str, Any]:
    """Rules as {block: [ {label: body} | body ]}, strings unquoted, from HCL or from JSON."""
    text = rules.strip()
    if text.startswith("{"):
        try:
            data, _ = jsonlimits.loads(text)
        except ValueError as exc:  # json.JSONDecodeError, jsonlimits.LimitError (depth, numbers, NaN)
            raise PolicyError(f"Failed to parse ACL Policy: {exc}") from exc
        if not isinstance(data, dict):
            raise PolicyError("Failed to parse ACL Policy: root should be an object")
        return data
    try:
        data = hcl2.loads(rules, serialization_options=_HCL_OPTIONS)
    except Exception as exc:  # lark raises several exception types for syntax errors
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PolicyError(f"Failed to parse ACL Policy: {first}") from exc
    try:
        return _unquote(data)
    except RecursionError:
        raise PolicyError("Failed to parse ACL Policy: nested too deeply") from None


def _unquote(value: Any) -> Any:
    if isinstance(value, dict):
        return {_unquote_key(k): _unquote(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, str):
        if len(value) >= 2 and value[0] == value[-1] == '"':
            try:
                return json.loads(value)
            except ValueError:
                return value[1:-1]
        # A bare identifier (policy = read) is an expression, not a string: Nomad rejects it too.
        raise PolicyError(f"Failed to parse ACL Policy: {value!r} must be a quoted string")
    return value


def _unquote_key(key: str) -> str:
    if len(key) >= 2 and key[0] == key[-1] == '"':
        return key[1:-1]
    return key


def _body(block: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in block.items() if k != "__is_block__"}


def _blocks(value: Any, labelled: bool) -> list[tuple[str, dict[str, Any]]]:
    """Normalise a block value into (label, body) pairs.

    python-hcl2 gives ``[{label: {..., "__is_block__": True}}]`` (``[{...}]`` for a block without a
    label); Nomad's JSON form gives ``{label: {...}}`` or a list of those.
    """
    items = value if isinstance(value, list) else [value]
    out: list[tuple[str, dict[str, Any]]] = []
    for item in items:
        if not isinstance(item, dict):
            raise PolicyError(f"Failed to parse ACL Policy: expected a block, got {item!r}")
        if not labelled or item.get("__is_block__"):
            out.append(("", _body(item)))
            continue
        for label, inner in item.items():
            for block in inner if isinstance(inner, list) else [inner]:
                if not isinstance(block, dict):
                    raise PolicyError(f"Failed to parse ACL Policy: {label!r} must be a block")
                if block and not block.get("__is_block__"):
                    nested = list(block.values())
                    if all(isinstance(v, dict) and v.get("__is_block__") for v in nested):
                        raise PolicyError(f"Failed to parse ACL Policy: block {label!r} has more than one label")
                out.append((label, _body(block)))
    return out


def _string(body: dict[str, Any], key: str, where: str) -> str:
    value = body.get(key, "")
    if not isinstance(value, str):
        raise PolicyError(f"Failed to parse ACL Policy: {where}: {key} must be a string")
    return value


def _strings(body: dict[str, Any], key: str, where: str) -> list[str]:
    value = body.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"Failed to parse ACL Policy: {where}: {key} must be a list of strings")
    return list(value)


def _extra(body: dict[str, Any], allowed: set[str]) -> list[str]:
    return [k for k in body if k not in allowed]


# -- parsing and validation -------------------------------------------------------------------------
def parse(rules: str, strict: bool = True) -> Policy:
    """Parse and validate rules like Nomad's ``acl.Parse`` (``strict`` rejects unknown keys)."""
    policy = Policy(raw=rules)
    if rules == "":
        return policy
    data = _load(rules)
    extra: list[str] = []
    for key, value in data.items():
        if key in _LABELLED:
            for label, body in _blocks(value, labelled=True):
                extra += _parse_labelled(policy, key, label, body)
        elif key in _SINGLE:
            for _, body in _blocks(value, labelled=False):
                extra += _extra(body, {"policy", "capabilities"} if key in ("operator", "sentinel") else {"policy"})
                setattr(policy, key, LevelRule(_string(body, "policy", key), _strings(body, "capabilities", key)))
        else:
            extra.append(key)
    if policy.is_empty():
        raise PolicyError(f"Invalid policy: {rules}")
    if extra and strict:
        raise PolicyError(f"Invalid or duplicate policy keys: {', '.join(extra)}")
    _validate_levels(policy)
    return policy


def _parse_labelled(policy: Policy, kind: str, label: str, body: dict[str, Any]) -> list[str]:
    where = f"{kind} {label!r}"
    policy_level = _string(body, "policy", where)
    caps = _strings(body, "capabilities", where)
    if kind == "namespace":
        rule = NamespaceRule(label, policy_level, caps)
        extra = _extra(body, {"policy", "capabilities", "variables"})
        if "variables" in body:
            rule.variables = _parse_variables(label, body["variables"])
        _validate_namespace(rule)
        policy.namespaces.append(rule)
        return extra
    rule_l = LabelledRule(label, policy_level, caps)
    if kind == "node_pool":
        if not _VALID_NODE_POOL.fullmatch(label):
            raise PolicyError(f"Invalid node pool name '{label}'")
        _check_level(policy_level, f"Invalid node pool policy '{policy_level}' for '{label}'")
        _check_caps(caps, NODE_POOL_CAPABILITIES, "Invalid node pool capability '{}' for '" + label + "'")
        expand = {DENY: ["deny"], READ: ["read"], WRITE: ["delete", "read", "write"]}
        policy.node_pools.append(rule_l)
    else:
        if not _VALID_NAMESPACE.fullmatch(label):
            raise PolicyError(f"Invalid host volume name: {label!r}")
        _check_level(policy_level, f"Invalid host volume policy: {policy_level!r} for {label!r}")
        _check_caps(caps, HOST_VOLUME_CAPABILITIES, "Invalid host volume capability '{}': " + label)
        expand = {DENY: ["deny"], READ: ["mount-readonly"], WRITE: ["mount-readonly", "mount-readwrite"]}
        policy.host_volumes.append(rule_l)
    rule_l.capabilities = caps + expand.get(policy_level, [])
    return _extra(body, {"policy", "capabilities"})


def _parse_variables(namespace: str, value: Any) -> list[PathRule]:
    paths: list[PathRule] = []
    for _, body in _blocks(value, labelled=False):
        for label, path_body in _blocks(body.get("path", []), labelled=True):
            where = f"variable path {label!r} in namespace {namespace}"
            caps = _strings(path_body, "capabilities", where)
            if label == "":
                raise PolicyError(f"Invalid missing variable path in namespace {namespace}")
            if label.startswith("/"):
                raise PolicyError(
                    f"Invalid variable path \"{label}\" in namespace {namespace}: cannot start with a leading '/'`"
                )
            for cap in caps:
                if cap not in VARIABLE_CAPABILITIES:
                    raise PolicyError(f"Invalid variable capability '{cap}' in namespace {namespace}")
            paths.append(PathRule(label, _expand_variable_caps(caps)))
    if not paths:
        raise PolicyError(f"Invalid variable policy: no variable paths in namespace {namespace}")
    return paths


def _expand_variable_caps(caps: list[str]) -> list[str]:
    if "deny" in caps:
        return ["deny"]
    if "read" in caps and "list" not in caps:
        return [*caps, "list"]
    return caps


def _validate_namespace(rule: NamespaceRule) -> None:
    if not _VALID_NAMESPACE.fullmatch(rule.name):
        raise PolicyError(f"Invalid namespace name: {rule.name!r}")
    _check_level(rule.policy, f"Invalid namespace policy: {rule.policy!r} in namespace {rule.name!r}")
    _check_caps(rule.capabilities, NAMESPACE_CAPABILITIES, "Invalid namespace capability '{}': " + rule.name)
    expand = {DENY: ["deny"], READ: _NS_READ, WRITE: _NS_WRITE, SCALE: _NS_SCALE}
    rule.capabilities = rule.capabilities + expand.get(rule.policy, [])
    implied = {
        "host-volume-write": ["host-volume-register", "host-volume-create", "host-volume-delete", "host-volume-read"],
        "host-volume-register": ["host-volume-create", "host-volume-read"],
        "host-volume-create": ["host-volume-read"],
    }
    rule.capabilities += [extra for cap in list(rule.capabilities) for extra in implied.get(cap, [])]


def _check_level(level: str, message: str) -> None:
    if level and level not in LEVELS:
        raise PolicyError(message)


def _check_caps(caps: list[str], allowed: frozenset[str], template: str) -> None:
    for cap in caps:
        if cap not in allowed:
            raise PolicyError(template.format(cap))


def _validate_levels(policy: Policy) -> None:
    for name in ("agent", "node", "quota"):
        rule = getattr(policy, name)
        if rule is not None and rule.policy not in LEVELS:
            raise PolicyError(f"Invalid {name} policy: {rule.policy!r}")
    if policy.plugin is not None and policy.plugin.policy not in (DENY, READ, LIST, WRITE):
        raise PolicyError(f"Invalid plugin policy: {policy.plugin.policy!r}")
    if policy.operator is not None:
        _check_level(policy.operator.policy, f"Invalid operator policy: {policy.operator.policy!r}")
        _check_caps(policy.operator.capabilities, OPERATOR_CAPABILITIES, "Invalid operator capability '{}'")
        policy.operator.capabilities += _OPERATOR_EXPANSION.get(policy.operator.policy, [])
    if policy.sentinel is not None:
        _check_level(policy.sentinel.policy, f"Invalid sentinel policy: {policy.sentinel.policy!r}")
        _check_caps(policy.sentinel.capabilities, SENTINEL_CAPABILITIES, "Invalid sentinel capability '{}'")
        expand = {
            DENY: ["deny"],
            READ: ["sentinel-read"],
            WRITE: ["sentinel-read", "sentinel-submit", "sentinel-delete"],
        }
        policy.sentinel.capabilities += expand.get(policy.sentinel.policy, [])


# -- compiling --------------------------------------------------------------------------------------
def glob_match(pattern: str, name: str) -> bool:
    """go-glob semantics: ``*`` matches any run of characters (slashes included)."""
    parts = pattern.split("*")
    if len(parts) == 1:
        return pattern == name
    if not name.startswith(parts[0]) or not name.endswith(parts[-1]):
        return False
    pos = len(parts[0])
    end = len(name) - len(parts[-1])
    for part in parts[1:-1]:
        idx = name.find(part, pos, end)
        if idx < 0:
            return False
        pos = idx + len(part)
    return pos <= end


def _closest(globs: dict[str, set[str]], name: str) -> set[str] | None:
    best: tuple[int, set[str]] | None = None
    for pattern in sorted(globs):
        if glob_match(pattern, name):
            difference = len(name) - len(pattern) + pattern.count("*")
            if best is None or difference < best[0]:
                best = (difference, globs[pattern])
    return None if best is None else best[1]


def _max_privilege(a: str, b: str) -> str:
    for level in (DENY, WRITE, READ, LIST):
        if level in (a, b):
            return level
    return ""


@dataclass
class ACLObject:
    """What a token may do: Nomad's compiled ``acl.ACL``."""

    management: bool = False
    namespaces: dict[str, set[str]] = field(default_factory=dict)
    wildcard_namespaces: dict[str, set[str]] = field(default_factory=dict)
    variables: dict[str, set[str]] = field(default_factory=dict)
    wildcard_variables: dict[str, set[str]] = field(default_factory=dict)
    operator: str = ""
    operator_capabilities: set[str] = field(default_factory=set)
    agent: str = ""
    node: str = ""

    def is_management(self) -> bool:
        return self.management

    def allow_operator_read(self) -> bool:
        return self.management or self.operator in (READ, WRITE)

    def allow_operator_write(self) -> bool:
        return self.management or self.operator == WRITE

    def allow_operator_operation(self, op: str) -> bool:
        return self.management or self.operator == WRITE or op in self.operator_capabilities

    def allow_agent_read(self) -> bool:
        return self.management or self.agent in (READ, WRITE)

    def allow_node_read(self) -> bool:
        return self.management or self.node in (READ, WRITE)

    def allow_namespace_operation(self, namespace: str, op: str) -> bool:
        if self.management:
            return True
        caps = self.namespaces.get(namespace)
        if caps is None:
            caps = _closest(self.wildcard_namespaces, namespace)
        return caps is not None and "deny" not in caps and op in caps

    def allow_variable_operation(self, namespace: str, path: str, op: str) -> bool:
        if self.management:
            return True
        key = f"{namespace}\x00{path}"
        caps = self.variables.get(key)
        if caps is None:
            caps = _closest(self.wildcard_variables, key)
        return caps is not None and op in caps

    def allow_variable_search(self, namespace: str) -> bool:
        """Any variable access in ``namespace`` (``*``: in any namespace)."""
        if self.management:
            return True
        keys = list(self.variables) + list(self.wildcard_variables)
        if namespace == "*":
            return bool(keys)
        return any(k.startswith(namespace) for k in keys)


MANAGEMENT_ACL = ACLObject(management=True)


def compile_policies(policies: list[Policy]) -> ACLObject:
    """Merge policies like Nomad's ``NewACL`` (deny wins; levels take the most privilege)."""
    acl = ACLObject()
    operator_deny = False
    for policy in policies:
        for ns in policy.namespaces:
            glob = "*" in ns.name
            table = acl.wildcard_namespaces if glob else acl.namespaces
            caps = table.setdefault(ns.name, set())
            for path_rule in ns.variables or []:
                key = f"{ns.name}\x00{path_rule.path}"
                var_table = acl.wildcard_variables if glob or "*" in path_rule.path else acl.variables
                var_table.setdefault(key, set()).update(path_rule.capabilities)
            if "deny" in caps:
                continue
            if "deny" in ns.capabilities:
                caps.clear()
                caps.add("deny")
                continue
            caps.update(ns.capabilities)
        if policy.agent is not None:
            acl.agent = _max_privilege(acl.agent, policy.agent.policy)
        if policy.node is not None:
            acl.node = _max_privilege(acl.node, policy.node.policy)
        if policy.operator is not None:
            acl.operator = _max_privilege(acl.operator, policy.operator.policy)
            if not operator_deny:
                if "deny" in policy.operator.capabilities:
                    operator_deny = True
                    acl.operator_capabilities = {"deny"}
                else:
                    acl.operator_capabilities.update(policy.operator.capabilities)
    return acl
