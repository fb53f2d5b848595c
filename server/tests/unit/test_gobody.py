"""Request bodies decoded like Go's encoding/json into Nomad's structs, and Go time text."""

from __future__ import annotations

import pytest
from raftops import gotime
from raftops.api import gobody as gb
from werkzeug.test import EnvironBuilder

INNER = gb.Struct("Inner", {"Flag": gb.BOOL, "Count": gb.UINT})
OUTER = gb.Struct(
    "Outer",
    {
        "Name": gb.STRING,
        "Wait": gb.DURATION,
        "Size": gb.UINT64,
        "Inner": INNER,
        "Tags": gb.STRINGS,
        "Map": gb.STRING_MAP,
    },
)


def request(data: bytes):
    return EnvironBuilder(method="PUT", data=data).get_request()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Request body is empty"),
        (b"  \n", "EOF"),
        (b'{"a": ', "unexpected EOF"),
        (b"nope", "invalid character 'n' looking for beginning of value"),
        (b"{'a': 1}", "invalid character '\\'' looking for beginning of object key string"),
        (b'{"a" 1}', "invalid character '1' after object key"),
    ],
)
def test_read_json_errors(data: bytes, message: str) -> None:
    with pytest.raises(gb.BodyError) as err:
        gb.read_json(request(data))
    assert str(err.value) == message


def test_read_json_reads_only_the_first_value() -> None:
    assert gb.read_json(request(b'{"a": 1} trailing')) == {"a": 1}


def test_decode_zero_fills_matches_case_insensitively_and_ignores_unknown_and_null() -> None:
    out = gb.decode({"name": "x", "WAIT": "1500ms", "inner": {"flag": True}, "Size": None, "Other": 1}, OUTER, "T")
    assert out == {
        "Name": "x",
        "Wait": "1.5s",
        "Size": 0,
        "Inner": {"Flag": True, "Count": 0},
        "Tags": None,
        "Map": None,
    }
    assert gb.decode(None, OUTER, "T")["Wait"] == "0s"
    assert gb.decode({"Wait": ""}, OUTER, "T")["Wait"] == "0s"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1], "json: cannot unmarshal array into Go value of type pkg.Outer"),
        ({"Name": 1}, "json: cannot unmarshal number 1 into Go struct field Outer.Name of type string"),
        ({"Size": -1}, "json: cannot unmarshal number -1 into Go struct field Outer.Size of type uint64"),
        ({"Size": 1.5}, "json: cannot unmarshal number 1.5 into Go struct field Outer.Size of type uint64"),
        (
            {"Inner": {"Flag": "yes"}},
            "json: cannot unmarshal string into Go struct field Outer.Inner.Flag of type bool",
        ),
        ({"Inner": 3}, "json: cannot unmarshal number 3 into Go struct field Outer.Inner of type Inner"),
        ({"Tags": ["a", 1]}, "json: cannot unmarshal array into Go struct field Outer.Tags of type []string"),
        ({"Map": {"a": True}}, "json: cannot unmarshal bool into Go struct field Outer.Map of type string"),
        ({"Wait": 5}, "json: cannot unmarshal number 5 into Go struct field Outer.Wait of type string"),
        ({"Wait": "5"}, 'time: missing unit in duration "5"'),
    ],
)
def test_decode_type_errors(value, message: str) -> None:
    with pytest.raises(gb.BodyError) as err:
        gb.decode(value, OUTER, "pkg.Outer")
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("raw", "result"),
    [
        ("0", 0),
        ("18446744073709551615", 2**64 - 1),
        ("18446744073709551616", None),
        ("", None),
        ("-1", None),
        ("1e3", None),
    ],
)
def test_parse_uint_param(raw: str, result: int | None) -> None:
    if result is None:
        with pytest.raises(gb.BodyError, match="strconv.ParseUint: parsing"):
            gb.parse_uint_param("cas", raw)
    else:
        assert gb.parse_uint_param("cas", raw) == result


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("1970-01-01T00:00:00Z", 0),
        ("2020-06-01T14:50:16.581304556-04:00", gotime.parse_ns("2020-06-01T18:50:16.581304556Z")),
        ("2024-02-29T23:59:59.5Z", (1709251199 * 10**9) + 500_000_000),
    ],
)
def test_go_time_round_trip(text: str, ns: int) -> None:
    assert gotime.parse_ns(text) == ns
    assert gotime.parse_ns(gotime.format_ns(ns)) == ns
    assert gotime.format_ns(None) == "0001-01-01T00:00:00Z" and gotime.is_zero("0001-01-01T00:00:00Z")
    assert gotime.format_ns(1_500_000_000) == "1970-01-01T00:00:01.5Z"
    with pytest.raises(ValueError, match="cannot parse"):
        gotime.parse_ns("yesterday")
