"""Backup sidecar configuration: file < flags, validation with upstream's messages, no secret in repr."""

from __future__ import annotations

from pathlib import Path

import pytest
from raftops.backup.config import DEFAULT_INTERVAL, DEFAULT_PORT, SidecarConfig
from raftops.cli import build_parser
from raftops.commands.backup_sidecar import overrides_from
from raftops.config import ConfigError


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "sidecar.yaml"
    path.write_text(text)
    return str(path)


def parse(*argv: str) -> dict:
    return overrides_from(build_parser().parse_args(["backup-sidecar", *argv]))


def test_defaults_and_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "addr: [http://10.0.0.1:4646/, http://10.0.0.2:4646]\ndir: /var/lib/backups\nmax_backups: 3\n",
    )
    cfg = SidecarConfig.load(path)
    assert cfg.addr == ["http://10.0.0.1:4646", "http://10.0.0.2:4646"]
    assert cfg.port == DEFAULT_PORT == 19999
    assert cfg.bind == "127.0.0.1"
    assert cfg.interval == DEFAULT_INTERVAL == 1800  # backup_interval_in_second 0 -> the default
    assert (cfg.max_backups, cfg.storage_kind, cfg.describe_storage()) == (3, "fs", "/var/lib/backups")
    assert cfg.token is None  # the API client then reads RAFTOPS_TOKEN / NOMAD_TOKEN


def test_flags_override_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "addr: http://10.0.0.1:4646\nport: 1234\nbackup_interval_in_second: 60\n"
        "s3: {bucket: from-file, prefix: p, secret_key: s3cr3t}\n",
    )
    overrides = parse(
        "-addr",
        "http://a:4646,http://b:4646",
        "-port",
        "19998",
        "-interval",
        "2",
        "-max-backups",
        "5",
        "-s3-bucket",
        "from-flag",
        "-s3-endpoint",
        "http://127.0.0.1:9000",
        "-token",
        "tok",
    )
    cfg = SidecarConfig.load(path, overrides)
    assert cfg.addr == ["http://a:4646", "http://b:4646"]
    assert (cfg.port, cfg.interval, cfg.max_backups, cfg.token) == (19998, 2, 5, "tok")
    assert cfg.storage_kind == "s3"
    assert cfg.s3.bucket == "from-flag" and cfg.s3.prefix == "p" and cfg.s3.endpoint == "http://127.0.0.1:9000"
    assert cfg.s3.repository_settings() == {
        "bucket": "from-flag",
        "base_path": "p",
        "endpoint": "http://127.0.0.1:9000",
        "secret_key": "s3cr3t",
    }
    shown = repr(cfg)
    assert "s3cr3t" not in shown and "tok" not in shown.replace("token", "")


@pytest.mark.parametrize(
    ("text", "argv", "message"),
    [
        ("addr: http://a:4646\ndir: /b\n", ["-max-backups", "-1"], "MaxBackups value should be >= 0"),
        ("addr: http://a:4646\ndir: /b\n", ["-interval", "-5"], "backup_interval_in_second must be >= 0"),
        ("dir: /b\n", [], "addr must name at least one raftops agent URL"),
        ("addr: a:4646\ndir: /b\n", [], "must be an http:// or https:// URL"),
        ("addr: http://a:4646\n", [], "no storage: set dir"),
        ("addr: http://a:4646\ndir: /b\ns3: {bucket: x}\n", [], "either dir (local storage) or s3.bucket"),
        ("addr: http://a:4646\ndir: relative\n", [], "must be an absolute path"),
        ("addr: http://a:4646\ndir: /b\nport: 0\n", [], "is not a TCP port"),
        ("addr: http://a:4646\ndir: /b\ncolour: red\n", [], "unknown configuration keys: colour"),
        ("addr: http://a:4646\ns3: {bucket: x, colour: red}\n", [], "unknown keys in s3: colour"),
        ("addr: http://a:4646\ndir: /b\nmax_backups: many\n", [], "max_backups: expected an integer"),
        ("addr: http://a:4646\ndir: /b\ntls: {cert_file: /nope}\n", [], "needs both cert_file and key_file"),
    ],
)
def test_invalid_settings_are_clear_errors(tmp_path: Path, text: str, argv: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        SidecarConfig.load(write(tmp_path, text), parse(*argv))
    assert message in str(err.value)
