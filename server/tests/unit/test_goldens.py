"""The golden fixtures in tests/fixtures/golden/ are what the server answers today.

The collection's mirrors of server rules are tested against those files
(tests/unit/plugins/module_utils/test_goldens_*.py). A server change that alters an answer fails here
until the fixtures are regenerated with ``make goldens``; the collection's tests then show whether its
mirror still agrees.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from raftops import goldens

FOLDER = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "golden"


@pytest.fixture(scope="module")
def built() -> dict[str, bytes]:
    return goldens.build()


def test_the_folder_holds_every_file_the_generator_makes(built: dict[str, bytes]) -> None:
    on_disk = goldens.existing(FOLDER)
    assert sorted(built) == sorted(on_disk), "run `make goldens` to regenerate tests/fixtures/golden"


@pytest.mark.parametrize("name", sorted(goldens.build()))
def test_each_committed_file_equals_the_server_answer(built: dict[str, bytes], name: str) -> None:
    path = FOLDER / name
    assert path.is_file(), f"{path} is missing: run `make goldens`"
    committed = path.read_bytes()
    if name.endswith(".json") and committed != built[name]:
        # Show the first case that differs rather than two walls of bytes.
        assert json.loads(committed) == json.loads(built[name]), "run `make goldens` to regenerate"
    assert committed == built[name], f"{name} differs from what the server answers: run `make goldens`"


def test_building_twice_gives_the_same_bytes(built: dict[str, bytes]) -> None:
    assert goldens.build() == built


def test_every_kind_of_case_is_covered(built: dict[str, bytes]) -> None:
    archives = json.loads(built["archives.json"])["cases"]
    assert sum("result" in case for case in archives) >= 3
    assert sum("error" in case for case in archives) >= 40
    durations = json.loads(built["durations.json"])
    assert any("error" in case for case in durations["parse"])
    assert any("result" in case for case in durations["parse"])
    licenses = json.loads(built["licenses.json"])["cases"]
    assert any("error" in case for case in licenses) and any("result" in case for case in licenses)


def test_check_mode_reports_a_stale_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert goldens.main([str(tmp_path)]) == 0
    assert goldens.main([str(tmp_path), "--check"]) == 0
    (tmp_path / "durations.json").write_text("{}\n")
    (tmp_path / "extra.json").write_text("{}\n")
    assert goldens.main([str(tmp_path), "--check"]) == 1
    out = capsys.readouterr().out
    assert "durations.json" in out and "extra.json" in out
    assert goldens.main([str(tmp_path)]) == 0
    assert not (tmp_path / "extra.json").exists()
    assert goldens.main([str(tmp_path), "--check"]) == 0
