"""``raftops tls ca create`` and ``raftops tls cert create``, like ``nomad tls ...``.

For operators who bring their own cluster CA without a PKI of their own, and for the local cluster.
File names follow Nomad's (``raftops-agent-ca.pem``, ``<region>-server-raftops.pem``); keys are 0600.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import pki


def ca_create(args: argparse.Namespace) -> int:
    cert, key = Path(f"{args.name_prefix}-agent-ca.pem"), Path(f"{args.name_prefix}-agent-ca-key.pem")
    for path in (cert, key):
        if path.exists():
            print(f"Error: {path} exists; remove it first (a new CA invalidates every certificate)", file=sys.stderr)
            return 1
    pki.create_ca(cert, key, common_name=args.common_name, days=args.days)
    print(f"==> CA certificate saved to: {cert}\n==> CA certificate key saved to: {key}")
    return 0


def cert_create(args: argparse.Namespace) -> int:
    kinds = [k for k in ("server", "client", "cli") if getattr(args, k)]
    if len(kinds) != 1:
        print("Error: choose exactly one of -server, -client, -cli", file=sys.stderr)
        return 1
    kind = kinds[0]
    prefix = args.name_prefix
    base = f"{args.region}-{kind}-{prefix}"
    cert, key = Path(f"{base}.pem"), Path(f"{base}-key.pem")
    if cert.exists() or key.exists():
        print(f"Error: {cert} or {key} exists; remove it first", file=sys.stderr)
        return 1
    ca = pki.Pair(Path(args.ca or f"{prefix}-agent-ca.pem"), Path(args.key or f"{prefix}-agent-ca-key.pem"))
    dns = [*args.additional_dnsname]
    ips = [*args.additional_ipaddress]
    if kind == "server":
        dns += [f"server.{args.region}.{prefix}", "localhost"]
        ips += ["127.0.0.1"]
    try:
        pki.issue(
            ca,
            pki.Pair(cert, key),
            f"{kind}.{args.region}.{prefix}",
            dns_names=dns,
            ip_addresses=ips,
            server=kind == "server",
            client=True,
            days=args.days,
        )
    except pki.PKIError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print(f"==> Using CA file {ca.cert} and CA key {ca.key}")
    print(
        f"==> {kind.capitalize()} certificate saved to: {cert}\n==> {kind.capitalize()} certificate key saved to: {key}"
    )
    return 0


def register(sub: argparse._SubParsersAction, operator_sub: argparse._SubParsersAction) -> None:
    tls = sub.add_parser("tls", help="create a cluster CA and certificates, like `nomad tls`")
    tls_sub = tls.add_subparsers(dest="tls_command", required=True)

    ca = tls_sub.add_parser("ca", help="the cluster CA").add_subparsers(dest="ca_command", required=True)
    create = ca.add_parser("create", help="create a CA certificate and key in the current directory")
    create.add_argument("-common-name", "--common-name", default="raftops cluster CA")
    create.add_argument("-days", "--days", type=int, default=pki.CA_DAYS)
    create.add_argument("-name-prefix", "--name-prefix", default="raftops")
    create.set_defaults(func=ca_create)

    cert = tls_sub.add_parser("cert", help="certificates signed by the CA").add_subparsers(
        dest="cert_command", required=True
    )
    create = cert.add_parser("create", help="create a server, client or CLI certificate in the current directory")
    for kind in ("server", "client", "cli"):
        create.add_argument(f"-{kind}", f"--{kind}", action="store_true", help=f"a {kind} certificate")
    create.add_argument("-ca", "--ca", help="CA certificate (default <prefix>-agent-ca.pem)")
    create.add_argument("-key", "--key", help="CA key (default <prefix>-agent-ca-key.pem)")
    create.add_argument("-region", "--region", default="global")
    create.add_argument("-name-prefix", "--name-prefix", default="raftops")
    create.add_argument("-days", "--days", type=int, default=pki.LEAF_DAYS)
    create.add_argument("-additional-dnsname", "--additional-dnsname", action="append", default=[])
    create.add_argument("-additional-ipaddress", "--additional-ipaddress", action="append", default=[])
    create.set_defaults(func=cert_create)
