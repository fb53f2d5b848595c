"""The ``raftops`` command: ``agent`` (and ``-dev``), ``version``.

Flags follow Nomad's single-dash style (``-config``, ``-dev``); the double-dash forms work too.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .config import Config, ConfigError, env_overrides
from .process import setup_logging, wait_for_signal


def _flag(parser: argparse.ArgumentParser, name: str, **kwargs: Any) -> None:
    parser.add_argument(f"-{name}", f"--{name}", **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="raftops", description="raftops control-plane server and tools")
    sub = parser.add_subparsers(dest="command", required=True)

    agent = sub.add_parser("agent", help="run a raftops agent beside an etcd member")
    _flag(agent, "config", metavar="FILE", help="configuration file (YAML or JSON)")
    _flag(agent, "dev", action="store_true", help="start a throw-away single etcd member and serve on 127.0.0.1")
    _flag(agent, "node", dest="node_name", metavar="NAME", help="node name (default: hostname)")
    _flag(agent, "bind", dest="bind_addr", metavar="ADDR", help="address the HTTP API binds to")
    _flag(agent, "http-port", dest="http_port", type=int, metavar="PORT", help="HTTP API port (default 4646)")
    _flag(agent, "advertise-http", dest="advertise_http", metavar="HOST:PORT", help="API address others use")
    _flag(
        agent,
        "raft-address",
        dest="advertise_raft",
        metavar="HOST:PORT",
        help="advertised raft address: the local etcd member's peer URL host:port",
    )
    _flag(
        agent,
        "etcd-endpoints",
        dest="etcd_endpoints",
        metavar="URL[,URL...]",
        help="etcd client URLs, the local member first",
    )
    _flag(agent, "data-dir", dest="data_dir", metavar="DIR", help="data directory (keeps the server ID)")
    _flag(agent, "log-level", dest="log_level", metavar="LEVEL", help="TRACE, DEBUG, INFO, WARN or ERROR")
    _flag(agent, "acl-enabled", dest="acl_enabled", action="store_const", const=True, help="enforce ACLs")

    sub.add_parser("version", help="print the version")

    from .commands import register_all

    operator = sub.add_parser("operator", help="cluster operations, like `nomad operator`")
    operator_sub = operator.add_subparsers(dest="operator_command", required=True)
    register_all(sub, operator_sub)
    return parser


def run_agent(args: argparse.Namespace) -> int:
    from .agent import Agent

    overrides = env_overrides()
    overrides.update({k: v for k, v in vars(args).items() if k not in ("command", "config", "dev") and v is not None})
    if args.dev:
        return run_dev(args.config, overrides)
    try:
        config = Config.load(args.config, overrides)
    except ConfigError as exc:
        print(f"raftops: {exc}", file=sys.stderr)
        return 2
    setup_logging(config.log_level)
    os.umask(0o077)  # spooled snapshots and the server ID hold state: files 0600, directories 0700
    try:
        agent = Agent(config)
    except ValueError as exc:  # TLS files that do not load, and the like
        print(f"raftops: {exc}", file=sys.stderr)
        return 2
    try:
        agent.start()
    except Exception as exc:
        logging.getLogger("raftops").error("agent failed to start: %s", exc)
        agent.stop()
        return 1
    try:
        wait_for_signal()
    finally:
        agent.stop()
    return 0


def run_dev(config_path: str | None, overrides: dict[str, Any]) -> int:
    """``agent -dev``: one etcd member in a temporary directory, everything removed on exit."""
    from .agent import Agent
    from .etcdproc import EtcdMemberSpec, free_port, start_etcd, stop_process, wait_healthy

    tmp = Path(tempfile.mkdtemp(prefix="raftops-dev-"))
    etcd_proc = None
    agent = None
    try:
        spec = EtcdMemberSpec("dev", "127.0.0.1", free_port(), free_port(), str(tmp / "etcd"))
        dev_defaults = {
            "node_name": "dev",
            "bind_addr": "127.0.0.1",
            "data_dir": str(tmp / "agent"),
            "etcd_endpoints": [spec.client_url],
            "dev": True,
            "heartbeat_ttl": 5,
        }
        config = Config.load(config_path, dev_defaults | overrides)
        setup_logging(config.log_level)
        etcd_proc = start_etcd(
            spec,
            f"dev={spec.peer_url}",
            log_path=str(tmp / "etcd.log"),
            tie_to_parent=True,
            token=f"raftops-dev-{tmp.name}",
        )
        wait_healthy([spec.client_url], timeout=30)
        agent = Agent(config)
        agent.start()
        logging.getLogger("raftops").info(
            "dev agent ready on http://%s:%d (etcd %s, state in %s)",
            config.bind_addr,
            config.http_port,
            spec.client_url,
            tmp,
        )
        wait_for_signal()
        return 0
    except ConfigError as exc:
        print(f"raftops: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        logging.getLogger("raftops").error("dev agent failed: %s", exc)
        return 1
    finally:
        if agent is not None:
            agent.stop()
        if etcd_proc is not None:
            stop_process(etcd_proc)
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "version":
        print(f"raftops {__version__}")
        return 0
    if args.command == "agent":
        return run_agent(args)
    if hasattr(args, "func"):
        from .apiclient import APIError

        try:
            return int(args.func(args) or 0)
        except APIError as exc:
            print(f"Error: {exc}", file=sys.stderr)
            return 1
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
