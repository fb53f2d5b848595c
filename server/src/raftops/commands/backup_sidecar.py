"""``raftops backup-sidecar -config FILE``: etcd-operator's backup service for a raftops cluster.

Flags override the file (raftops/backup/config.py lists the file keys); see docs/backup-sidecar.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any


def _flag(parser: argparse.ArgumentParser, name: str, **kwargs: Any) -> None:
    parser.add_argument(f"-{name}", f"--{name}", **kwargs)


def register(sub: argparse._SubParsersAction, operator_sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("backup-sidecar", help="run the backup sidecar (etcd-operator's backup service API)")
    _flag(parser, "config", metavar="FILE", help="configuration file (YAML or JSON)")
    _flag(parser, "addr", metavar="URL[,URL...]", help="raftops agent API addresses; any healthy one is used")
    _flag(parser, "token", metavar="SECRET", help="ACL token (management); else RAFTOPS_TOKEN / NOMAD_TOKEN")
    _flag(parser, "bind", metavar="ADDR", help="address the sidecar API binds to (default 127.0.0.1)")
    _flag(parser, "port", type=int, metavar="PORT", help="sidecar API port (default 19999)")
    _flag(
        parser,
        "interval",
        dest="backup_interval_in_second",
        type=int,
        metavar="SECONDS",
        help="seconds between backups (backup_interval_in_second; 0 or unset: 1800)",
    )
    _flag(parser, "max-backups", dest="max_backups", type=int, metavar="N", help="backups to keep (0: all)")
    _flag(parser, "dir", metavar="PATH", help="local storage directory (absolute)")
    _flag(parser, "s3-bucket", dest="s3_bucket", metavar="BUCKET", help="S3 storage: bucket")
    _flag(parser, "s3-prefix", dest="s3_prefix", metavar="PREFIX", help="S3 storage: key prefix")
    _flag(parser, "s3-endpoint", dest="s3_endpoint", metavar="URL", help="S3 storage: endpoint (S3-compatible)")
    _flag(parser, "s3-region", dest="s3_region", metavar="REGION", help="S3 storage: region")
    _flag(parser, "log-level", dest="log_level", metavar="LEVEL", help="TRACE, DEBUG, INFO, WARN or ERROR")
    _flag(parser, "http-tls-cert", dest="http_tls_cert", metavar="FILE", help="serve HTTPS with this certificate")
    _flag(parser, "http-tls-key", dest="http_tls_key", metavar="FILE", help="the private key of -http-tls-cert")
    _flag(
        parser,
        "http-tls-ca",
        dest="http_tls_ca",
        metavar="FILE",
        help="accept client certificates signed by this CA as credentials",
    )
    _flag(
        parser,
        "insecure-no-auth",
        dest="insecure_no_auth",
        action="store_const",
        const=True,
        help="serve the API without authentication: anyone who reaches it can download every secret",
    )
    parser.set_defaults(func=run)


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    plain = (
        "addr",
        "token",
        "bind",
        "port",
        "backup_interval_in_second",
        "max_backups",
        "dir",
        "log_level",
        "insecure_no_auth",
    )
    overrides: dict[str, Any] = {key: getattr(args, key) for key in plain}
    http_tls = {"cert_file": args.http_tls_cert, "key_file": args.http_tls_key, "ca_file": args.http_tls_ca}
    if any(http_tls.values()):
        overrides["http_tls"] = {k: v for k, v in http_tls.items() if v}
    overrides["s3"] = {
        "bucket": args.s3_bucket,
        "prefix": args.s3_prefix,
        "endpoint": args.s3_endpoint,
        "region": args.s3_region,
    }
    return overrides


def run(args: argparse.Namespace) -> int:
    from ..backup.config import SidecarConfig
    from ..backup.sidecar import Sidecar, SidecarStartError
    from ..config import ConfigError
    from ..process import setup_logging, wait_for_signal

    try:
        config = SidecarConfig.load(args.config, overrides_from(args))
    except ConfigError as exc:
        print(f"raftops backup-sidecar: {exc}", file=sys.stderr)
        return 2
    setup_logging(config.log_level)
    os.umask(0o077)  # backups hold every ACL secret: files 0600, directories 0700 (upstream: 0600)
    try:
        sidecar = Sidecar(config)
        sidecar.start()
    except SidecarStartError as exc:
        logging.getLogger("raftops.backup").error("backup sidecar failed to start: %s", exc)
        return 1
    try:
        wait_for_signal()
    finally:
        sidecar.stop()
    return 0
