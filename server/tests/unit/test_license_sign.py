"""Signed licenses: sign, verify, and every reason to refuse one."""

from __future__ import annotations

import pytest
from raftops import gotime
from raftops import license as lic

HOUR = 3600 * 10**9
NOW = gotime.parse_ns("2026-06-01T12:00:00Z")


@pytest.fixture(scope="module")
def keypair() -> tuple[bytes, bytes]:
    return lic.generate_keypair()


def make(private_pem: bytes, **overrides) -> str:
    fields = {
        "license_id": "L1",
        "customer_id": "acme",
        "issue_ns": NOW - HOUR,
        "start_ns": NOW - HOUR,
        "expiration_ns": NOW + HOUR,
        "features": ["Preemption"],
        "modules": ["governance-policy"],
    } | overrides
    return lic.sign(lic.new_license(**fields), lic.load_private_key(private_pem))


def test_round_trip_with_pem_text_and_pem_file(keypair, tmp_path) -> None:
    private, public = keypair
    blob = make(private)
    doc = lic.verify(blob, lic.load_public_key(public.decode()), NOW)
    assert doc["LicenseID"] == "L1" and doc["Product"] == "nomad"
    assert doc["Flags"] == {"modules": ["governance-policy"]} and doc["Modules"] == ["governance-policy"]
    assert doc["ExpirationTime"] == "2026-06-01T13:00:00Z" and doc["TerminationTime"] == doc["ExpirationTime"]
    path = tmp_path / "pub.pem"
    path.write_bytes(public)
    assert lic.verify("  " + blob + "\n", lic.load_public_key(str(path)), NOW) == doc


@pytest.mark.parametrize(
    ("overrides", "now", "message"),
    [
        ({"product": "vault"}, NOW, 'invalid license: it is for product "vault", not "nomad"'),
        ({}, NOW + 2 * HOUR, "invalid license: it expired at 2026-06-01T13:00:00Z"),
        ({}, NOW + HOUR, "invalid license: it expired at"),  # expiring exactly now counts as expired
        ({"start_ns": NOW + HOUR, "expiration_ns": NOW + 2 * HOUR}, NOW, "invalid license: it is not valid before"),
    ],
)
def test_refusals(keypair, overrides, now, message) -> None:
    with pytest.raises(lic.LicenseError) as err:
        lic.verify(make(keypair[0], **overrides), lic.load_public_key(keypair[1].decode()), now)
    assert str(err.value).startswith(message)


def test_another_key_or_a_changed_payload_fails_the_signature(keypair) -> None:
    other_private, _ = lic.generate_keypair()
    public = lic.load_public_key(keypair[1].decode())
    with pytest.raises(lic.LicenseError, match="signature does not match"):
        lic.verify(make(other_private), public, NOW)
    payload, sig = make(keypair[0]).split(".")
    other_payload, _ = make(keypair[0], customer_id="mallory").split(".")
    with pytest.raises(lic.LicenseError, match="signature does not match"):
        lic.verify(f"{other_payload}.{sig}", public, NOW)


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        ("", "invalid license: expected <payload>.<signature>"),
        ("abc", "invalid license: expected <payload>.<signature>"),
        ("a.b.c", "invalid license: expected <payload>.<signature>"),
        ("!!!.###", "invalid license: cannot decode it"),
        ("bm90IGpzb24.c2ln", "invalid license: cannot decode it"),  # "not json"
        ("WzFd.c2ln", "invalid license: the payload is not a JSON object"),  # [1]
        ("e30.c2ln", "invalid license: missing LicenseID, Product, IssueTime, StartTime, ExpirationTime"),  # {}
    ],
)
def test_malformed_blobs(keypair, blob: str, message: str) -> None:
    with pytest.raises(lic.LicenseError) as err:
        lic.verify(blob, lic.load_public_key(keypair[1].decode()), NOW)
    assert str(err.value).startswith(message)


def test_public_key_setting_errors(keypair, tmp_path) -> None:
    with pytest.raises(lic.LicenseError, match="not set"):
        lic.load_public_key("  ")
    with pytest.raises(lic.LicenseError, match="cannot read license public key file"):
        lic.load_public_key(str(tmp_path / "missing.pem"))
    with pytest.raises(lic.LicenseError, match="not a PEM public key"):
        lic.load_public_key("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    with pytest.raises(lic.LicenseError, match="not an unencrypted PEM private key"):
        lic.load_private_key(keypair[1])
