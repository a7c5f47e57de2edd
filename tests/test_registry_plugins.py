"""Templates shipped by other installed packages through the `zyw_flow.templates` group."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from zyw_flow import load_template, resolve
from zyw_flow.template import _registry, find_template, iter_template_sources


@pytest.fixture()
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory of templates announced by a fake installed distribution."""
    folder = tmp_path / "plugin_templates"
    (folder / "phases").mkdir(parents=True)
    text = (ROOT / "templates" / "zhiyong-2011.yaml").read_text(encoding="utf-8")
    (folder / "county-zhiyong-2011.yaml").write_text(
        text.replace("id: zhiyong-2011", "id: county-zhiyong-2011"), encoding="utf-8"
    )
    phase = (ROOT / "templates" / "phases" / "summary.yaml").read_text(encoding="utf-8")
    (folder / "phases" / "county_summary.yaml").write_text(
        phase.replace("id: summary", "id: county_summary"), encoding="utf-8"
    )
    point = metadata.EntryPoint(
        name="county", value="tests.test_registry_plugins:PLUGIN", group="zyw_flow.templates"
    )
    broken = metadata.EntryPoint(
        name="broken", value="no_such_module_zyw:THING", group="zyw_flow.templates"
    )
    global PLUGIN
    PLUGIN = str(folder)

    def fake(**kw: Any) -> Any:
        return [point, broken] if kw.get("group") == "zyw_flow.templates" else []

    monkeypatch.setattr(_registry.metadata, "entry_points", fake)
    return folder


PLUGIN = ""


def test_entry_point_templates_are_listed_and_loaded(plugin_dir: Path) -> None:
    """A plug-in's templates are listed after the bundled ones and load by id."""
    sources = {s.id: s.origin for s in iter_template_sources()}
    assert sources["zhiyong-2011"] == "bundled"
    assert sources["county-zhiyong-2011"] == "entry-point:county"
    found = find_template("county-zhiyong-2011")
    assert found.path.parent == plugin_dir
    resolved = resolve(load_template("county-zhiyong-2011"))
    assert resolved.id == "county-zhiyong-2011"


def test_a_broken_plugin_does_not_break_the_registry(plugin_dir: Path) -> None:
    """An entry point that fails to import is skipped."""
    assert "zhiyong-2011" in {s.id for s in iter_template_sources()}


def test_plugin_phase_templates_are_usable(plugin_dir: Path, tmp_path: Path) -> None:
    """A campaign may `use:` a phase template a plug-in ships."""
    text = (
        "id: uses-plugin-phase\ntitle: 试用\nparams: {year: {type: int, default: 2011}}\n"
        "phases:\n  - use: county_summary\n    window: 12月\n"
    )
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    resolved = resolve(load_template(path))
    assert resolved.phases[0].id == "county_summary"
