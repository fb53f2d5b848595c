"""Backup names, versions and Go formatting of the backup sidecar (etcd-operator v0.5.2 semantics)."""

from __future__ import annotations

import time

import pytest
from raftops.backup import names


def test_name_is_upstreams_format() -> None:
    assert names.make_name("3.1.8", 0x12) == "3.1.8_0000000000000012_etcd.backup"
    assert names.make_name("3.4.23", 2**63 - 1) == "3.4.23_7fffffffffffffff_etcd.backup"
    # Go's %016x counts the sign in the width.
    assert names.make_name("3.4.23", -10) == "3.4.23_-00000000000000a_etcd.backup"


@pytest.mark.parametrize(
    ("name", "revision"),
    [
        ("3.4.23_000000000000000c_etcd.backup", 12),
        ("3.4.23_FF_etcd.backup", 255),
        ("3.4.23_+10_etcd.backup", 16),
        ("v_-1_foo_etcd.backup", -1),  # the third field is free text; only the suffix is checked
        ("x_7fffffffffffffff_etcd.backup", 2**63 - 1),
    ],
)
def test_revision_parses_as_go_parseint_base_16(name: str, revision: int) -> None:
    assert names.revision_or_none(name) == revision


@pytest.mark.parametrize(
    "name",
    [
        "3.4.23_000000000000000c_etcd.backup.tmp",  # wrong suffix
        "3.4.23_0x0c_etcd.backup",  # Go rejects a 0x prefix when the base is given
        "3.4.23_0_c_etcd.backup",  # "0" parses, so this one counts: checked below
        "3.4.23_8000000000000000_etcd.backup",  # above int64
        "3.4.23_1_2",  # no suffix
        "nounderscores.etcd.backup",
        "3.4.23__etcd.backup",
        "3.4.23_ 1_etcd.backup",
        "3.4.23_1_0_etcd.backup",
    ],
)
def test_names_that_are_not_backups(name: str) -> None:
    expected = {"3.4.23_0_c_etcd.backup": 0, "3.4.23_1_0_etcd.backup": 1}
    assert names.revision_or_none(name) == expected.get(name)


def test_parse_revision_errors_carry_go_texts() -> None:
    with pytest.raises(ValueError, match="^bad backup name: a_b$"):
        names.parse_revision("a_b")
    with pytest.raises(ValueError) as err:
        names.parse_revision("3.4.23_zz_etcd.backup")
    assert str(err.value) == ('unexpected revision string: zz, err: strconv.ParseInt: parsing "zz": invalid syntax')


def test_sort_by_hex_revision_not_by_name() -> None:
    listing = [
        "3.4.23_0000000000000010_etcd.backup",
        "3.2.1_0000000000000002_etcd.backup",
        "README",
        "3.4.23_000000000000000a_etcd.backup",
        "3.4.23_zz_etcd.backup",
    ]
    assert names.sort_backups(listing) == [
        "3.2.1_0000000000000002_etcd.backup",
        "3.4.23_000000000000000a_etcd.backup",
        "3.4.23_0000000000000010_etcd.backup",
    ]


def test_version_from_name() -> None:
    assert names.version_from_name("3.4.23_000000000000000c_etcd.backup") == "3.4.23"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("3.4.23", "3.4"), ("3.1.0-rc.1+build", "3.1"), ("03.01.0", "3.1"), ("10.20.30", "10.20")],
)
def test_major_minor(raw: str, expected: str) -> None:
    assert names.major_minor(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("3.1", "3.1 is not in dotted-tri format"),
        ("3.1-rc", "3.1 is not in dotted-tri format"),  # go-semver splits off the pre-release first
        ("", " is not in dotted-tri format"),
        ("3.x.1", 'strconv.ParseInt: parsing "x": invalid syntax'),
        ("3.4.5.6", 'strconv.ParseInt: parsing "5.6": invalid syntax'),
        ("3.4.99999999999999999999", 'strconv.ParseInt: parsing "99999999999999999999": value out of range'),
    ],
)
def test_major_minor_errors_are_go_semvers(raw: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        names.major_minor(raw)
    assert str(err.value) == message


def test_compatibility_keeps_upstreams_table_and_continues_it() -> None:
    upstream = {"3.0": {"2.3", "3.0"}, "3.1": {"3.0", "3.1"}, "3.2": {"3.1", "3.2"}}
    candidates = ["2.2", "2.3", "3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "4.0"]
    for requested, allowed in upstream.items():
        assert {c for c in candidates if names.is_compatible(requested, c)} == allowed
    assert {c for c in candidates if names.is_compatible("3.4", c)} == {"3.3", "3.4"}
    assert {c for c in candidates if names.is_compatible("3.5", c)} == {"3.4", "3.5"}
    assert not any(names.is_compatible(requested, "3.4") for requested in ("2.3", "4.0", "4.5", "3.6"))


@pytest.mark.parametrize(
    ("size", "mb"),
    [(0, 0.0), (1, 0.0), (524, 0.0), (525, 0.001), (1162, 0.001), (1048576, 1.0), (1572864, 1.5), (123456789, 117.738)],
)
def test_to_mb_rounds_to_three_decimals(size: int, mb: float) -> None:
    assert names.to_mb(size) == mb


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0, "0"), (1.0, "1"), (0.001, "0.001"), (117.738, "117.738"), (1e20, "100000000000000000000"), (1e21, "1e+21")],
)
def test_go_float(value: float, text: str) -> None:
    assert names.go_float(value) == text
    assert names.go_float(1e-7) == "1e-7"


def test_go_json_is_encoders_output() -> None:
    doc = {"creationTime": "t", "size": 0.001, "revision": 12, "version": "3.4.23", "timeTookInSecond": 1}
    assert names.go_json(doc) == (
        '{"creationTime":"t","size":0.001,"revision":12,"version":"3.4.23","timeTookInSecond":1}\n'
    )
    assert names.go_json({"e": "<a&b>", "n": None, "ok": True, "l": [1.5]}) == (
        '{"e":"\\u003ca\\u0026b\\u003e","n":null,"ok":true,"l":[1.5]}\n'
    )


def test_rfc3339_matches_go_layout() -> None:
    text = names.rfc3339(1_700_000_000)
    local = time.localtime(1_700_000_000)
    assert text.startswith(time.strftime("%Y-%m-%dT%H:%M:%S", local))
    assert text.endswith("Z") if local.tm_gmtoff == 0 else text[-6] in "+-"


def test_go_quote() -> None:
    assert names.go_quote('a"b\n\x01é') == '"a\\"b\\n\\x01é"'
