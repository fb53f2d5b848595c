"""``set-config`` flags built from a configuration document's spec (raftops.cluster.configs).

Each field with a ``flag`` gets one option; a flag not given stays None and leaves the field as read.
"""

from __future__ import annotations

import argparse
from typing import Any

from .. import godur
from ..cluster import configs
from .output import add_bool


def uint(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a non-negative integer")
    return int(text)


def duration(text: str) -> str:
    try:
        return godur.format_ns(godur.parse_ns(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _flagged(fields: tuple[configs.Field, ...]) -> list[configs.Field]:
    out: list[configs.Field] = []
    for f in fields:
        out.extend(_flagged(f.fields) if f.kind == configs.STRUCT else [f] if f.flag else [])
    return out


def add_config_flags(parser: argparse.ArgumentParser, spec: configs.DocumentSpec) -> None:
    for f in _flagged(spec.fields):
        if f.kind == configs.BOOL:
            add_bool(parser, f.flag, f.help)
            continue
        kwargs: dict[str, Any] = {"dest": f.flag.replace("-", "_"), "help": f.help}
        if f.kind == configs.DURATION:
            kwargs["type"] = duration
        elif f.kind in (configs.UINT, configs.UINT64):
            kwargs["type"] = uint
        elif f.choices:
            kwargs["choices"] = [c for c in f.choices if c]
        parser.add_argument(f"-{f.flag}", f"--{f.flag}", **kwargs)


def apply_config_flags(conf: dict[str, Any], args: argparse.Namespace, spec: configs.DocumentSpec) -> None:
    """Set in ``conf`` (as read from the API) every field whose flag was given."""
    _apply(conf, args, spec.fields)


def _apply(conf: dict[str, Any], args: argparse.Namespace, fields: tuple[configs.Field, ...]) -> None:
    for f in fields:
        if f.kind == configs.STRUCT:
            _apply(conf[f.name], args, f.fields)
        elif f.flag and getattr(args, f.flag.replace("-", "_")) is not None:
            conf[f.name] = getattr(args, f.flag.replace("-", "_"))
