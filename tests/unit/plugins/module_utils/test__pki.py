# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The cluster PKI's decisions: names, key usages, when a certificate must be issued again, file modes."""

from __future__ import annotations

import datetime
import os
import stat

import pytest

from ansible_collections.raftops.cluster.plugins.module_utils import _pki

# tests/unit/requirements.txt installs cryptography; without it these tests fail rather than skip.
assert _pki.HAS_CRYPTOGRAPHY, _pki.CRYPTOGRAPHY_IMPORT_ERROR

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)
SANS = ["DNS:localhost", "DNS:raft1", "IP:10.0.0.11", "IP:127.0.0.1"]
EKUS = ["clientAuth", "serverAuth"]


@pytest.mark.parametrize(
    ("given", "parsed"),
    [
        ("10.0.0.11", ("IP", "10.0.0.11")),
        ("IP:10.0.0.11", ("IP", "10.0.0.11")),
        ("ip: 10.0.0.11 ", ("IP", "10.0.0.11")),
        ("::1", ("IP", "::1")),
        ("IP:0:0:0:0:0:0:0:1", ("IP", "::1")),
        ("raft1", ("DNS", "raft1")),
        ("DNS:Raft1.Example.COM.", ("DNS", "raft1.example.com")),
        ("*.raft.example.com", ("DNS", "*.raft.example.com")),
        ("raftops-rr1", ("DNS", "raftops-rr1")),
        # A name made of digits that is no address stays a name.
        ("DNS:10.0.0.300", ("DNS", "10.0.0.300")),
    ],
)
def test_parse_san(given, parsed):
    assert _pki.parse_san(given) == parsed


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("IP:10.0.0.300", "is not an IP address"),
        ("IP:raft1", "is not an IP address"),
        ("", "non-empty string"),
        ("two words", "neither an IP address nor a DNS name"),
        ("bad..dots", "neither an IP address nor a DNS name"),
        ("-leading.example.com", "neither an IP address nor a DNS name"),
        ("raft.*.example.com", "wildcard is allowed only as the first label"),
        ("a" * 64 + ".example.com", "neither an IP address nor a DNS name"),
    ],
)
def test_parse_san_refuses(given, message):
    with pytest.raises(ValueError, match=message):
        _pki.parse_san(given)


def test_normalize_sans_sorts_and_removes_duplicates():
    assert _pki.normalize_sans(["127.0.0.1", "raft1", "RAFT1", "IP:10.0.0.11", "localhost", "DNS:raft1"]) == SANS
    assert _pki.normalize_sans([]) == []
    assert _pki.normalize_sans(None) == []


def test_normalize_ekus():
    assert _pki.normalize_ekus(["serverAuth", "clientAuth", "serverAuth"]) == EKUS
    with pytest.raises(ValueError, match="unknown extended key usage"):
        _pki.normalize_ekus(["codeSigning"])
    with pytest.raises(ValueError, match="at least one"):
        _pki.normalize_ekus([])


@pytest.fixture(scope="module")
def ca():
    key = _pki.new_private_key("ec")
    return _pki.build_ca(key, "unit CA", 3650, now=NOW), key


@pytest.fixture(scope="module")
def leaf(ca):
    ca_cert, ca_key = ca
    key = _pki.new_private_key("ec")
    return _pki.issue(key, ca_cert, ca_key, "raft1", SANS, EKUS, 365, now=NOW), key


def wanted(**changes):
    base = {
        "common_name": "raft1",
        "subject_alt_names": SANS,
        "extended_key_usages": EKUS,
        "key_type": "ec",
        "renew_days": 30,
    }
    base.update(changes)
    return base


def test_the_ca_is_a_ca_and_the_leaf_is_not(ca, leaf):
    ca_cert, _ca_key = ca
    cert, _key = leaf
    assert _pki.is_ca(ca_cert)
    assert not _pki.is_ca(cert)
    assert _pki.signed_by(cert, ca_cert)
    assert _pki.signed_by(ca_cert, ca_cert)
    description = _pki.describe(cert, now=NOW)
    assert description["subject"] == _pki.subject_for("raft1") == "CN=raft1,O=raftops"
    assert description["issuer"] == "CN=unit CA,O=raftops"
    assert description["subject_alt_names"] == SANS
    assert description["extended_key_usages"] == EKUS
    assert description["expires_in_days"] == 365
    # Backdated by an hour for hosts whose clocks lag the controller's.
    assert description["not_before"] == "2026-06-01T11:00:00Z"


def test_a_fitting_certificate_is_kept(ca, leaf):
    cert, key = leaf
    assert _pki.reissue_reasons(cert, key, ca[0], wanted(), now=NOW) == []


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"subject_alt_names": [*SANS, "DNS:raft1.example.com"]}, "subject alternative names"),
        ({"extended_key_usages": ["clientAuth"]}, "extended key usages"),
        ({"common_name": "raft2"}, "common name"),
        ({"key_type": "rsa"}, "key type is ec, not rsa"),
    ],
)
def test_a_changed_wish_gives_a_reason(ca, leaf, changes, reason):
    cert, key = leaf
    reasons = _pki.reissue_reasons(cert, key, ca[0], wanted(**changes), now=NOW)
    assert len(reasons) == 1
    assert reason in reasons[0]


def test_the_renewal_window_and_expiry(ca, leaf):
    cert, key = leaf
    later = NOW + datetime.timedelta(days=340)  # 25 days left
    assert "within 30 days" in _pki.reissue_reasons(cert, key, ca[0], wanted(), now=later)[0]
    assert _pki.reissue_reasons(cert, key, ca[0], wanted(renew_days=20), now=later) == []
    expired = NOW + datetime.timedelta(days=400)
    assert "expired on" in _pki.reissue_reasons(cert, key, ca[0], wanted(), now=expired)[0]


def test_another_ca_or_key_gives_a_reason(ca, leaf):
    cert, key = leaf
    other_key = _pki.new_private_key("ec")
    other_ca = _pki.build_ca(other_key, "unit CA", 3650, now=NOW)  # the same name, another key
    assert not _pki.signed_by(cert, other_ca)
    reasons = _pki.reissue_reasons(cert, key, other_ca, wanted(), now=NOW)
    assert reasons == ["the certificate was not issued by the CA CN=unit CA,O=raftops"]
    reasons = _pki.reissue_reasons(cert, _pki.new_private_key("ec"), ca[0], wanted(), now=NOW)
    assert reasons == ["the private key does not belong to the certificate"]
    assert _pki.reissue_reasons(None, key, ca[0], wanted()) == ["there is no certificate"]
    assert _pki.reissue_reasons(cert, None, ca[0], wanted()) == ["there is no private key"]


def test_a_leaf_never_outlives_its_ca():
    key = _pki.new_private_key("ec")
    short_ca = _pki.build_ca(key, "short CA", 10, now=NOW)
    cert = _pki.issue(_pki.new_private_key("ec"), short_ca, key, "raft1", SANS, EKUS, 365, now=NOW)
    assert _pki.not_valid_after(cert) == _pki.not_valid_after(short_ca)


def test_rsa_keys_and_signatures():
    ca_key = _pki.new_private_key("rsa")
    ca_cert = _pki.build_ca(ca_key, "rsa CA", 30, now=NOW)
    key = _pki.new_private_key("rsa")
    cert = _pki.issue(key, ca_cert, ca_key, "raft1", SANS, EKUS, 10, now=NOW)
    assert _pki.key_type_of(key) == "rsa"
    assert _pki.signed_by(cert, ca_cert)
    assert _pki.reissue_reasons(cert, key, ca_cert, wanted(key_type="rsa", renew_days=1), now=NOW) == []
    with pytest.raises(ValueError, match="key_type must be one of"):
        _pki.new_private_key("dsa")


def test_pem_round_trip_and_bad_pem(leaf):
    cert, key = leaf
    assert _pki.load_cert(_pki.cert_pem(cert), "c") == cert
    assert _pki.key_matches(_pki.load_key(_pki.key_pem(key), "k"), cert)
    with pytest.raises(ValueError, match="x is not a PEM certificate"):
        _pki.load_cert(b"garbage", "x")
    with pytest.raises(ValueError, match="y is not an unencrypted PEM private key"):
        _pki.load_key(b"garbage", "y")


def test_files_get_their_modes_from_the_start(tmp_path):
    target = tmp_path / "a" / "b" / "key.pem"
    created = _pki.make_parent(str(target))
    assert created == [str(tmp_path / "a"), str(tmp_path / "a" / "b")]
    assert all(stat.S_IMODE(os.stat(d).st_mode) == 0o700 for d in created)
    old_umask = os.umask(0)
    try:
        _pki.write_atomically(str(target), b"secret", _pki.KEY_MODE)
    finally:
        os.umask(old_umask)
    assert target.read_bytes() == b"secret"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    _pki.write_atomically(str(target), b"second", _pki.KEY_MODE)
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["key.pem"]  # no temporary file left
    assert _pki.file_mode(str(tmp_path / "missing")) is None
    assert _pki.read_if_exists(str(tmp_path / "missing")) is None
