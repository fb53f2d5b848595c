"""Go validators whose messages Nomad's API shows (pure logic)."""

from __future__ import annotations

import pytest
from raftops import govalidate


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "uuid string is wrong length"),
        ("0123456789-abcdef-0123-4567-89abcdef01", "uuid string is wrong length"),
        ("01234567x89ab-cdef-0123-456789abcdef", "uuid is improperly formatted"),
        ("0123456g-89ab-cdef-0123-456789abcdef", "encoding/hex: invalid byte: U+0067 'g'"),
        ("01234567-89ab-cdef-0123-456789abcde\t", "encoding/hex: invalid byte: U+0009"),
    ],
)
def test_uuid_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        govalidate.parse_uuid(text)
    assert str(err.value) == message


def test_uuid_accepts_mixed_case() -> None:
    assert len(govalidate.parse_uuid("0123ABCD-89ab-cdef-0123-456789abcdef")) == 16


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.2.3.4", "not an ip:port"),
        (":80", "no IP"),
        ("1.2.3.4:", "no port"),
        ("[::1:80", "missing ]"),
        ("1.2.3.4:http", 'invalid port "http" parsing "1.2.3.4:http"'),
        ("1.2.3.4:70000", 'invalid port "70000" parsing "1.2.3.4:70000"'),
        ("1.2.3:80", 'ParseAddr("1.2.3"): IPv4 address too short'),
        ("1.2.3.4.5:80", 'ParseAddr("1.2.3.4.5"): IPv4 address too long'),
        ("1.2.3.04:80", 'ParseAddr("1.2.3.04"): IPv4 field has octet with leading zero'),
        ("1.2.3.256:80", 'ParseAddr("1.2.3.256"): IPv4 field has value >255'),
        ("1..3.4:80", 'ParseAddr("1..3.4"): IPv4 field must have at least one digit (at ".3.4")'),
        ("1.2.3.x:80", 'ParseAddr("1.2.3.x"): unexpected character (at "x")'),
        ("host:80", 'ParseAddr("host"): unable to parse IP'),
        ("[1.2.3.4]:80", 'invalid ip:port "[1.2.3.4]:80", square brackets can only be used with IPv6 addresses'),
        ("::1:80", 'invalid ip:port "::1:80", IPv6 addresses must be surrounded by square brackets'),
    ],
)
def test_addr_port_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        govalidate.parse_addr_port(text)
    assert str(err.value) == message


def test_addr_port_accepts_both_families() -> None:
    assert govalidate.parse_addr_port("10.0.0.1:2380") == ("10.0.0.1", 2380)
    assert govalidate.parse_addr_port("[fe80::1]:2380") == ("fe80::1", 2380)


def test_parse_bool_and_quote() -> None:
    assert govalidate.parse_bool("False") is False and govalidate.parse_bool("T") is True
    with pytest.raises(ValueError):
        govalidate.parse_bool("yes")
    assert govalidate.quote('a"b\\c\n\x01é') == '"a\\"b\\\\c\\n\\x01é"'
