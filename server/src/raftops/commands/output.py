"""Output helpers shared by the CLI groups: Nomad's ``formatKV`` and JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any


def format_kv(pairs: list[tuple[str, Any]]) -> str:
    """ryanuber/columnize with " = " glue, as Nomad's formatKV prints key/value blocks."""
    if not pairs:
        return ""
    width = max(len(k) for k, _ in pairs)
    return "\n".join(f"{k.ljust(width)} = {_text(v)}".rstrip() for k, v in pairs)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "<none>"
    return str(value)


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=4, sort_keys=True))


def bool_flag(text: str) -> bool:
    """Go's strconv.ParseBool, which Nomad's boolean flags use."""
    lowered = text.lower()
    if lowered in ("1", "t", "true"):
        return True
    if lowered in ("0", "f", "false"):
        return False
    raise argparse.ArgumentTypeError(f"parse error: {text!r} is not a boolean")


def add_bool(parser: argparse.ArgumentParser, name: str, help_text: str) -> None:
    """A -flag[=true|false] option that stays None when not given (so it does not overwrite)."""
    parser.add_argument(
        f"-{name}",
        f"--{name}",
        dest=name.replace("-", "_"),
        nargs="?",
        const=True,
        default=None,
        type=bool_flag,
        metavar="BOOL",
        help=help_text,
    )
