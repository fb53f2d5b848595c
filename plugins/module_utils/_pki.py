# -*- coding: utf-8 -*-
# Copyright (c) 2026, raftops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The cluster's own PKI, with the ``cryptography`` library: a CA and the certificates it issues.

Used by the tls_ca and tls_certificate modules, which run on the controller (ansible-core depends on cryptography,
so the controller's Python has it). Nothing here talks HTTP.

* parse_san() / normalize_sans(): subject alternative names as ``IP:10.0.0.1`` / ``DNS:raft1``, canonical and sorted.
* new_private_key(), build_ca(), issue(): keys and certificates (SHA-256 signatures, EC P-256 or RSA 3072).
* reissue_reasons(): why an existing certificate no longer matches what is wanted (an empty list: keep it).
* describe(): the facts of a certificate that the modules return and diff.
* write_atomically(): a file written beside its destination with its final mode, synced, then renamed into place.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import ipaddress
import os
import re
import tempfile
import traceback
from contextlib import suppress

CRYPTOGRAPHY_IMPORT_ERROR = None
try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
except ImportError:
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
    HAS_CRYPTOGRAPHY = False
else:
    HAS_CRYPTOGRAPHY = True

KEY_TYPES = ("ec", "rsa")
RSA_KEY_SIZE = 3072
EXTENDED_KEY_USAGES = ("serverAuth", "clientAuth")
KEY_MODE = 0o600
CERT_MODE = 0o644
DIR_MODE = 0o700
# Hosts' clocks may lag the controller's: a certificate is valid from an hour before it was made.
BACKDATE = datetime.timedelta(hours=1)

_DNS_LABEL = re.compile(r"^(\*|[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)$")


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def isoformat(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- subject alternative names ---------------------------------------------------------------------------------------
def parse_san(value):
    """``(kind, value)`` of one name: ``IP:addr``, ``DNS:name`` or a bare address or name; ValueError otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a subject alternative name must be a non-empty string, got %r" % (value,))
    text = value.strip()
    kind = None
    prefix, sep, rest = text.partition(":")
    if sep and prefix.upper() in ("IP", "DNS"):
        kind, text = prefix.upper(), rest.strip()
    if kind in (None, "IP"):
        try:
            return "IP", str(ipaddress.ip_address(text))
        except ValueError:
            if kind == "IP":
                raise ValueError("%r is not an IP address" % (value,)) from None
    name = text.rstrip(".").lower()
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_DNS_LABEL.match(label) for label in labels):
        raise ValueError("%r is neither an IP address nor a DNS name" % (value,))
    if "*" in labels[1:]:
        raise ValueError("%r: a wildcard is allowed only as the first label" % (value,))
    return "DNS", name


def normalize_sans(values):
    """Canonical ``IP:...`` / ``DNS:...`` strings, without duplicates, sorted (the order carries no meaning)."""
    return sorted(set("%s:%s" % parse_san(value) for value in values or []))


def _general_names(sans):
    names = []
    for entry in sans:
        kind, value = parse_san(entry)
        if kind == "IP":
            names.append(x509.IPAddress(ipaddress.ip_address(value)))
        else:
            names.append(x509.DNSName(value))
    return names


def cert_sans(cert):
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    values = ["IP:%s" % address for address in ext.get_values_for_type(x509.IPAddress)]
    values += ["DNS:%s" % name.lower() for name in ext.get_values_for_type(x509.DNSName)]
    return sorted(set(values))


# -- extended key usage ----------------------------------------------------------------------------------------------
def _eku_oids():
    return {"serverAuth": ExtendedKeyUsageOID.SERVER_AUTH, "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH}


def normalize_ekus(values):
    unknown = [value for value in values or [] if value not in EXTENDED_KEY_USAGES]
    if unknown:
        raise ValueError("unknown extended key usage %s; choose from %s" % (unknown, list(EXTENDED_KEY_USAGES)))
    if not values:
        raise ValueError("at least one extended key usage is needed")
    return sorted(set(values))


def cert_ekus(cert):
    try:
        ext = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return []
    names = dict((oid, name) for name, oid in _eku_oids().items())
    return sorted(names.get(oid, oid.dotted_string) for oid in ext)


# -- keys ------------------------------------------------------------------------------------------------------------
def new_private_key(key_type):
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE)
    raise ValueError("key_type must be one of %s, got %r" % (list(KEY_TYPES), key_type))


def key_type_of(key):
    """``ec`` or ``rsa`` for a private or public key, else its class name."""
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return "ec"
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return "rsa"
    return key.__class__.__name__


def _spki(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_matches(key, cert):
    return _spki(key.public_key()) == _spki(cert.public_key())


def key_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def load_cert(data, what):
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise ValueError("%s is not a PEM certificate: %s" % (what, exc)) from None


def load_key(data, what):
    try:
        return serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError("%s is not an unencrypted PEM private key: %s" % (what, exc)) from None


# -- facts of a certificate ------------------------------------------------------------------------------------------
def not_valid_after(cert):
    value = getattr(cert, "not_valid_after_utc", None)
    return value if value is not None else cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def not_valid_before(cert):
    value = getattr(cert, "not_valid_before_utc", None)
    return value if value is not None else cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)


def common_name(cert):
    values = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return values[0].value if values else ""


def is_ca(cert):
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def fingerprint(cert):
    return cert.fingerprint(hashes.SHA256()).hex()


def describe(cert, now=None):
    now = now or utcnow()
    expires = not_valid_after(cert)
    return {
        "subject": cert.subject.rfc4514_string(),
        "common_name": common_name(cert),
        "issuer": cert.issuer.rfc4514_string(),
        "serial_number": "%x" % cert.serial_number,
        "not_before": isoformat(not_valid_before(cert)),
        "not_after": isoformat(expires),
        "expires_in_days": (expires - now).days,
        "sha256_fingerprint": fingerprint(cert),
        "key_type": key_type_of(cert.public_key()),
        "is_ca": is_ca(cert),
        "subject_alt_names": cert_sans(cert),
        "extended_key_usages": cert_ekus(cert),
    }


def signed_by(cert, ca_cert):
    """Whether ``ca_cert`` issued ``cert``: the issuer names the CA and the CA's key verifies the signature."""
    if cert.issuer != ca_cert.subject:
        return False
    verify = getattr(cert, "verify_directly_issued_by", None)
    try:
        if verify is not None:
            verify(ca_cert)
            return True
        public = ca_cert.public_key()
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        elif isinstance(public, rsa.RSAPublicKey):
            public.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


# -- building --------------------------------------------------------------------------------------------------------
def _name(cn):
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "raftops"), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    )


def subject_for(cn):
    """The RFC 4514 subject build_ca() and issue() give a certificate with this common name."""
    return _name(cn).rfc4514_string()


def build_ca(key, cn, valid_days, now=None):
    """A self-signed CA certificate that may issue end-entity certificates only (path length 0)."""
    if valid_days < 1:
        raise ValueError("valid_days must be at least 1, got %s" % valid_days)
    now = now or utcnow()
    name = _name(cn)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + datetime.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    return builder.sign(key, hashes.SHA256())


def issue(key, ca_cert, ca_key, cn, sans, ekus, valid_days, now=None):
    """An end-entity certificate for ``key``, signed by the CA; it never outlives the CA."""
    if valid_days < 1:
        raise ValueError("valid_days must be at least 1, got %s" % valid_days)
    now = now or utcnow()
    expires = min(now + datetime.timedelta(days=valid_days), not_valid_after(ca_cert))
    oids = _eku_oids()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(expires)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=key_type_of(key) == "rsa",
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([oids[name] for name in normalize_ekus(ekus)]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(_general_names(sans)), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def reissue_reasons(cert, key, ca_cert, wanted, now=None):
    """Why the certificate at hand must be issued again; an empty list when it still fits.

    ``wanted``: common_name, subject_alt_names (canonical), extended_key_usages (sorted), key_type, renew_days.
    """
    if cert is None:
        return ["there is no certificate"]
    if key is None:
        return ["there is no private key"]
    now = now or utcnow()
    reasons = []
    if not key_matches(key, cert):
        reasons.append("the private key does not belong to the certificate")
    if not signed_by(cert, ca_cert):
        reasons.append("the certificate was not issued by the CA %s" % ca_cert.subject.rfc4514_string())
    if common_name(cert) != wanted["common_name"]:
        reasons.append("the common name is %r, not %r" % (common_name(cert), wanted["common_name"]))
    have = cert_sans(cert)
    if have != wanted["subject_alt_names"]:
        reasons.append("the subject alternative names are %s, not %s" % (have, wanted["subject_alt_names"]))
    have = cert_ekus(cert)
    if have != wanted["extended_key_usages"]:
        reasons.append("the extended key usages are %s, not %s" % (have, wanted["extended_key_usages"]))
    if key_type_of(key) != wanted["key_type"]:
        reasons.append("the key type is %s, not %s" % (key_type_of(key), wanted["key_type"]))
    left = not_valid_after(cert) - now
    if left <= datetime.timedelta(days=wanted["renew_days"]):
        if left.total_seconds() <= 0:
            reasons.append("the certificate expired on %s" % isoformat(not_valid_after(cert)))
        else:
            reasons.append(
                "the certificate expires on %s, within %d days"
                % (isoformat(not_valid_after(cert)), wanted["renew_days"])
            )
    return reasons


# -- files -----------------------------------------------------------------------------------------------------------
def read_if_exists(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def file_mode(path):
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return None


def make_parent(path):
    """Create the missing directories above ``path`` with mode 0700; returns those it created."""
    created = []
    directory = os.path.dirname(os.path.abspath(path))
    missing = []
    while not os.path.isdir(directory):
        missing.append(directory)
        directory = os.path.dirname(directory)
    for directory in reversed(missing):
        os.mkdir(directory, DIR_MODE)
        os.chmod(directory, DIR_MODE)  # mkdir's mode is filtered by the umask
        created.append(directory)
    return created


def write_atomically(path, data, mode):
    """Write ``data`` to a temporary file beside ``path`` with ``mode`` from the start, sync it, rename it onto path."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, temp_path = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path), suffix=".tmp")
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp_path, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp_path)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
