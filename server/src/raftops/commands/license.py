"""``raftops license keygen | sign | get | put``.

keygen and sign are offline vendor tools (an Ed25519 key pair; a signed license blob); get and put
talk to the API like ``nomad license get | put``. The agents check licenses with the public key
named by their ``license_public_key`` setting (PEM text or a PEM file path).
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path

from .. import godur, gotime
from .. import license as lic
from ..apiclient import APIClient, APIError
from . import add_client_flags
from .output import format_kv, print_json


def keygen(args: argparse.Namespace) -> int:
    private, public = lic.generate_keypair()
    for path in (args.private_key, args.public_key):
        if Path(path).exists() and not args.force:
            print(f"Error: {path} exists; use -force to replace it", file=sys.stderr)
            return 1
    # The private key is created 0600 from the start: it signs every license.
    fd = os.open(args.private_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private)
    Path(args.public_key).write_bytes(public)
    print(f"Private key written to {args.private_key}; public key (license_public_key) written to {args.public_key}")
    return 0


def _time(text: str | None, default_ns: int) -> int:
    return default_ns if not text else gotime.parse_ns(text)


def sign(args: argparse.Namespace) -> int:
    try:
        key = lic.load_private_key(Path(args.private_key).read_bytes())
        now = gotime.now_ns()
        issue = _time(args.issue_time, now)
        start = _time(args.start_time, issue)
        if args.expiration_time:
            expiration = gotime.parse_ns(args.expiration_time)
        else:
            expiration = start + godur.parse_ns(args.expires_in)
        termination = gotime.parse_ns(args.termination_time) if args.termination_time else None
    except (OSError, ValueError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    if expiration <= start:
        print("Error: the license would expire before it starts", file=sys.stderr)
        return 1
    document = lic.new_license(
        license_id=args.license_id or str(uuid.uuid4()),
        customer_id=args.customer_id,
        issue_ns=issue,
        start_ns=start,
        expiration_ns=expiration,
        termination_ns=termination,
        installation_id=args.installation_id,
        product=args.product,
        features=args.feature,
        modules=args.module,
        non_production=args.non_production,
    )
    blob = lic.sign(document, key)
    if args.out:
        Path(args.out).write_text(blob + "\n")
        print(f"License {document['LicenseID']} written to {args.out}", file=sys.stderr)
    else:
        print(blob)
    return 0


def format_license(license_: dict) -> tuple[str, bool]:
    now = gotime.now_ns()
    expired = gotime.parse_ns(license_["ExpirationTime"]) < now
    terminated = gotime.parse_ns(license_["TerminationTime"]) < now
    text = format_kv(
        [
            ("Product", license_["Product"]),
            ("NonProduction", license_["NonProduction"]),
            ("License Status", "expired!" if expired else "valid"),
            ("License ID", license_["LicenseID"]),
            ("Customer ID", license_["CustomerID"]),
            ("Issued At", license_["IssueTime"]),
            ("Expired At" if expired else "Expires At", license_["ExpirationTime"]),
            ("Terminated At" if terminated else "Terminates At", license_["TerminationTime"]),
            ("Datacenter", license_["InstallationID"]),
        ]
    )
    features = license_.get("Features") or []
    if features:
        text += "\n\nLicensed Features:\n" + "\n".join(f"\t{f}" for f in features)
    return text, expired


def get(args: argparse.Namespace) -> int:
    try:
        resp = APIClient(args.address, args.token).request("GET", "/v1/operator/license", expect=(200, 204))
    except APIError as exc:
        print(f"Error getting license: {exc}", file=sys.stderr)
        return 1
    if resp.status == 204:
        print("Error getting license: no license is installed", file=sys.stderr)
        return 1
    reply = resp.json()
    if args.json:
        print_json(reply)
        return 0
    text, expired = format_license(reply["License"])
    print(text)
    return 1 if expired else 0


def put(args: argparse.Namespace) -> int:
    try:
        blob = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
    except OSError as exc:
        print(f"Error reading license file: {exc}", file=sys.stderr)
        return 1
    try:
        APIClient(args.address, args.token).request(
            "PUT",
            "/v1/operator/license",
            raw_body=blob.strip().encode(),
            query={"force": "true" if args.force else None},
        )
    except APIError as exc:
        print(f"Error putting license: {exc}", file=sys.stderr)
        return 1
    print("Successfully applied license")
    return 0


def register(sub: argparse._SubParsersAction, operator_sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("license", help="create, install and show licenses")
    lic_sub = group.add_subparsers(dest="license_command", required=True)

    p = lic_sub.add_parser("keygen", help="create an Ed25519 key pair for signing licenses")
    p.add_argument("-private-key", "--private-key", dest="private_key", required=True, help="private key file")
    p.add_argument("-public-key", "--public-key", dest="public_key", required=True, help="public key file")
    p.add_argument("-force", "--force", action="store_true", help="overwrite existing files")
    p.set_defaults(func=keygen)

    p = lic_sub.add_parser("sign", help="sign a license with a private key")
    p.add_argument("-private-key", "--private-key", dest="private_key", required=True, help="private key file")
    p.add_argument("-customer-id", "--customer-id", dest="customer_id", required=True)
    p.add_argument("-license-id", "--license-id", dest="license_id", help="default: a new UUID")
    p.add_argument("-installation-id", "--installation-id", dest="installation_id", default="*")
    p.add_argument("-product", "--product", default=lic.PRODUCT, help=f"default {lic.PRODUCT}")
    p.add_argument("-issue-time", "--issue-time", dest="issue_time", help="RFC 3339; default now")
    p.add_argument("-start-time", "--start-time", dest="start_time", help="RFC 3339; default the issue time")
    p.add_argument("-expires-in", "--expires-in", dest="expires_in", default="8760h", help="Go duration after start")
    p.add_argument("-expiration-time", "--expiration-time", dest="expiration_time", help="RFC 3339 (wins)")
    p.add_argument("-termination-time", "--termination-time", dest="termination_time", help="default: expiration")
    p.add_argument("-feature", "--feature", action="append", default=[], help="a licensed feature (repeatable)")
    p.add_argument("-module", "--module", action="append", default=[], help="a licensed module (repeatable)")
    p.add_argument("-non-production", "--non-production", dest="non_production", action="store_true")
    p.add_argument("-out", "--out", help="write the blob to this file instead of stdout")
    p.set_defaults(func=sign)

    p = lic_sub.add_parser("get", help="show the cluster's license")
    add_client_flags(p)
    p.add_argument("-json", "--json", action="store_true", help="output the reply as JSON")
    p.set_defaults(func=get)

    p = lic_sub.add_parser("put", help="install a license (a file, or - for stdin)")
    add_client_flags(p)
    p.add_argument("-force", "--force", action="store_true", help="install even if older than the current one")
    p.add_argument("file")
    p.set_defaults(func=put)
