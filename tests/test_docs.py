"""Every `>>>` example in README.md and docs/*.md runs and prints what it shows."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's examples pass as doctests (run from a scratch directory)."""
    text = page.read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {"ROOT": ROOT}, page.name, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} example(s) failed in {page.name}"


def test_pages_have_examples() -> None:
    """The API, template-language and calendar pages carry executed examples."""
    for name in ("api.md", "calendar.md", "scenarios.md"):
        text = (ROOT / "docs" / name).read_text(encoding="utf-8")
        assert ">>> " in text, name
