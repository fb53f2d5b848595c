"""Configuration parsing and validation (pure logic)."""

from __future__ import annotations

from pathlib import Path

import pytest
from raftops.config import Config, ConfigError


def test_nested_file_keys_and_flag_overrides(tmp_path: Path) -> None:
    cfg_file = tmp_path / "agent.yaml"
    cfg_file.write_text(
        "node_name: a\nports: {http: 5000}\nadvertise: {raft: '10.0.0.1:2380'}\n"
        "etcd: {endpoints: ['http://10.0.0.1:2379'], timeout: 1.5}\ndata_dir: /var/lib/raftops\n"
    )
    cfg = Config.load(str(cfg_file), {"http_port": 4646, "node_name": None})
    assert cfg.node_name == "a"  # None overrides nothing
    assert cfg.http_port == 4646  # flags win over the file
    assert cfg.advertise_raft == "10.0.0.1:2380"
    assert cfg.etcd_endpoints == ["http://10.0.0.1:2379"] and cfg.etcd_timeout == 1.5


def test_comma_separated_endpoints_from_a_flag() -> None:
    cfg = Config.load(None, {"etcd_endpoints": "http://a:2379,http://b:2379", "data_dir": "/d"})
    assert cfg.etcd_endpoints == ["http://a:2379", "http://b:2379"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"http_port": 70000}, "is not a TCP port"),
        ({"etcd_endpoints": ["127.0.0.1:2379"]}, "must be an http:// or https:// URL"),
        ({"log_level": "LOUD"}, "log_level must be one of"),
        ({"advertise_raft": "nohostport"}, "advertise_raft must be host:port"),
        ({"http_port": "abc"}, "http_port: expected int"),
        ({"acl_enabled": "maybe"}, "acl_enabled: expected bool"),
        ({"node_name": "has space"}, "node_name must be"),
        ({"bogus": 1}, "unknown configuration keys: bogus"),
    ],
)
def test_bad_values_name_the_setting(overrides: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Config.load(None, {"data_dir": "/d", **overrides})


def test_data_dir_required_outside_dev_mode() -> None:
    with pytest.raises(ConfigError, match="data_dir is required"):
        Config.load(None, {})
    assert Config.load(None, {"dev": True}).dev


def test_unknown_nested_key(tmp_path: Path) -> None:
    cfg_file = tmp_path / "a.yaml"
    cfg_file.write_text("etcd: {endpoint: x}\n")
    with pytest.raises(ConfigError, match="unknown configuration key etcd.endpoint"):
        Config.load(str(cfg_file), {"data_dir": "/d"})


def test_unreadable_and_non_mapping_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        Config.load(str(tmp_path / "missing.yaml"))
    bad = tmp_path / "list.yaml"
    bad.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        Config.load(str(bad))


def test_tls_needs_both_files(tmp_path: Path) -> None:
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    with pytest.raises(ConfigError, match="needs both cert_file and key_file"):
        Config.load(None, {"data_dir": "/d", "http_tls": {"cert_file": str(cert)}})
