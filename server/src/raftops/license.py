"""Signed licenses: an Ed25519 signature over a JSON document in Nomad's ``License`` shape.

A license blob is ``<base64url(payload JSON)>.<base64url(signature)>`` (no padding, surrounding
whitespace ignored). The vendor signs with a private key (``raftops license sign``); every agent
checks the signature with the public key named by its ``license_public_key`` setting, which is
either the PEM text itself or the path of a PEM file. Pure logic: no etcd, no HTTP.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import gotime

PRODUCT = "nomad"  # the API is Nomad's, so licenses name Nomad's product
FIELDS = (
    "LicenseID",
    "CustomerID",
    "InstallationID",
    "IssueTime",
    "StartTime",
    "ExpirationTime",
    "TerminationTime",
    "NonProduction",
    "Product",
    "Flags",
    "Modules",
    "Features",
)
TIME_FIELDS = ("IssueTime", "StartTime", "ExpirationTime", "TerminationTime")


class LicenseError(ValueError):
    """The license is unusable; the message says why in words an operator can act on."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# -- keys ---------------------------------------------------------------------------------------------
def generate_keypair() -> tuple[bytes, bytes]:
    """(private key PEM, public key PEM) of a new Ed25519 key pair."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise LicenseError(f"not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise LicenseError("the private key is not an Ed25519 key")
    return key


def load_public_key(setting: str) -> Ed25519PublicKey:
    """The key named by ``license_public_key``: PEM text, or the path of a PEM file."""
    text = setting.strip()
    if not text:
        raise LicenseError("license_public_key is not set")
    if text.startswith("-----BEGIN"):
        pem = text.encode()
    else:
        try:
            pem = Path(text).read_bytes()
        except OSError as exc:
            raise LicenseError(f"cannot read license public key file {text}: {exc.strerror}") from exc
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise LicenseError(f"license_public_key is not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise LicenseError("license_public_key is not an Ed25519 public key")
    return key


# -- documents ------------------------------------------------------------------------------------------
def new_license(
    *,
    license_id: str,
    customer_id: str,
    issue_ns: int,
    start_ns: int,
    expiration_ns: int,
    termination_ns: int | None = None,
    installation_id: str = "*",
    product: str = PRODUCT,
    features: list[str] | None = None,
    modules: list[str] | None = None,
    non_production: bool = False,
) -> dict[str, Any]:
    modules = list(modules or [])
    return {
        "LicenseID": license_id,
        "CustomerID": customer_id,
        "InstallationID": installation_id,
        "IssueTime": gotime.format_ns(issue_ns),
        "StartTime": gotime.format_ns(start_ns),
        "ExpirationTime": gotime.format_ns(expiration_ns),
        "TerminationTime": gotime.format_ns(termination_ns if termination_ns is not None else expiration_ns),
        "NonProduction": non_production,
        "Product": product,
        "Flags": {"modules": modules} if modules else {},
        "Modules": modules,
        "Features": list(features or []),
    }


def sign(document: dict[str, Any], private_key: Ed25519PrivateKey) -> str:
    payload = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return f"{_b64(payload)}.{_b64(private_key.sign(payload))}"


def decode(blob: str) -> tuple[dict[str, Any], bytes, bytes]:
    """(document, payload bytes, signature) of a blob, without checking the signature."""
    text = blob.strip()
    payload_b64, dot, sig_b64 = text.partition(".")
    if not dot or not payload_b64 or not sig_b64 or "." in sig_b64:
        raise LicenseError("invalid license: expected <payload>.<signature>")
    try:
        payload, signature = _unb64(payload_b64), _unb64(sig_b64)
        document = json.loads(payload)
    except (binascii.Error, ValueError) as exc:
        raise LicenseError(f"invalid license: cannot decode it: {exc}") from exc
    if not isinstance(document, dict):
        raise LicenseError("invalid license: the payload is not a JSON object")
    missing = [f for f in ("LicenseID", "Product", "IssueTime", "StartTime", "ExpirationTime") if not document.get(f)]
    if missing:
        raise LicenseError(f"invalid license: missing {', '.join(missing)}")
    for name in TIME_FIELDS:
        if document.get(name):
            try:
                gotime.parse_ns(document[name])
            except ValueError as exc:
                raise LicenseError(f"invalid license: {name}: {exc}") from exc
    return document, payload, signature


def verify(blob: str, public_key: Ed25519PublicKey, now_ns: int) -> dict[str, Any]:
    """The license document when the signature, the product and the validity period are right."""
    document, payload, signature = decode(blob)
    try:
        public_key.verify(signature, payload)
    except InvalidSignature as exc:
        raise LicenseError("invalid license: the signature does not match this cluster's license public key") from exc
    if document.get("Product") != PRODUCT:
        raise LicenseError(f'invalid license: it is for product "{document.get("Product")}", not "{PRODUCT}"')
    if gotime.parse_ns(document["StartTime"]) > now_ns:
        raise LicenseError(f"invalid license: it is not valid before {document['StartTime']}")
    if gotime.parse_ns(document["ExpirationTime"]) <= now_ns:
        raise LicenseError(f"invalid license: it expired at {document['ExpirationTime']}")
    return view(document)


def view(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every field of Nomad's api.License, in its order."""
    out = {name: document.get(name) for name in FIELDS}
    for name in TIME_FIELDS:
        out[name] = out[name] or gotime.ZERO
    out["NonProduction"] = bool(out["NonProduction"])
    out["Flags"] = out["Flags"] or {}
    out["Modules"] = out["Modules"] or []
    out["Features"] = out["Features"] or []
    return out
