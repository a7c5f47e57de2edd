"""Files are written whole or not at all: a write that fails midway leaves the destination
as it was (absent, or the previous complete file) and no temporary file behind."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from zyw_flow import Campaign
from zyw_flow._files import replaced, write_bytes_whole, write_text_whole
from zyw_flow.cli import main
from zyw_flow.exchange import Sheet, write_sheet


class Interrupted(Exception):
    pass


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


class TestReplaced:
    def test_written_whole_on_success(self, tmp_path: Path) -> None:
        target = tmp_path / "a.txt"
        with replaced(target) as tmp:
            assert tmp.parent == tmp_path and not tmp.exists()
            tmp.write_text("new")
        assert target.read_text() == "new"
        assert listing(tmp_path) == ["a.txt"]

    def test_a_failure_keeps_the_previous_file(self, tmp_path: Path) -> None:
        target = tmp_path / "a.txt"
        target.write_text("old and complete")
        with pytest.raises(Interrupted), replaced(target) as tmp:
            tmp.write_text("half")
            raise Interrupted
        assert target.read_text() == "old and complete"
        assert listing(tmp_path) == ["a.txt"]

    def test_a_failure_creates_nothing(self, tmp_path: Path) -> None:
        with pytest.raises(KeyboardInterrupt), replaced(tmp_path / "a.txt") as tmp:
            tmp.write_text("half")
            raise KeyboardInterrupt
        assert listing(tmp_path) == []

    def test_the_suffix_is_kept_for_writers_that_read_it(self, tmp_path: Path) -> None:
        with replaced(tmp_path / "chart.png") as tmp:
            assert tmp.suffix == ".png"
            tmp.write_bytes(b"x")

    def test_a_file_written_over_keeps_its_mode(self, tmp_path: Path) -> None:
        target = tmp_path / "shared.csv"
        target.write_text("old")
        target.chmod(0o640)
        write_text_whole(target, "new")
        assert stat.S_IMODE(target.stat().st_mode) == 0o640
        assert target.read_text() == "new"

    def test_a_new_file_gets_the_usual_mode(self, tmp_path: Path) -> None:
        plain, whole = tmp_path / "plain", tmp_path / "whole"
        plain.write_bytes(b"x")
        write_bytes_whole(whole, b"x")
        assert stat.S_IMODE(whole.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[str]:
    path = str(tmp_path / "c.db")
    c = Campaign.create_stored(path, "zhiyong-2011", {"year": "2011"})
    c.enroll_many(
        [{"id": "city", "name": "市局"}, {"id": "county-1", "name": "一分局", "parent": "city"}],
        at="2011-08-30",
    )
    c.close()
    yield path


@pytest.mark.parametrize("name", ["state.csv", "state.json"])
def test_an_interrupted_state_export_leaves_the_previous_file(
    db: str, tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / name
    target.write_text("yesterday's complete export\n", encoding="utf-8")

    def cut_short(self: Campaign, *args: Any, **kwargs: Any) -> Any:
        raise Interrupted  # e.g. the disk filled up, or Ctrl-C, after part was written

    monkeypatch.setattr(Campaign, "iter_units", cut_short)
    monkeypatch.setattr(Campaign, "report", cut_short)
    with pytest.raises(Interrupted):
        main(["campaign", "export", db, "-o", str(target)])
    assert target.read_text(encoding="utf-8") == "yesterday's complete export\n"
    assert listing(out) == [name]


def test_an_xlsx_that_cannot_be_written_leaves_no_file(tmp_path: Path) -> None:
    bad = Sheet("s", ("a",), ((object(),),))  # type: ignore[arg-type]  # fails midway
    with pytest.raises(Exception):  # noqa: B017 - whatever the writer raises
        write_sheet(bad, tmp_path / "s.xlsx")
    assert listing(tmp_path) == []


def test_a_gantt_png_is_still_a_png(tmp_path: Path) -> None:
    code = main(["show", "zhiyong-2011", "--gantt", str(tmp_path / "g.png")])
    assert code == 0
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert listing(tmp_path) == ["g.png"]
    assert os.path.getsize(tmp_path / "g.png") > 1000
