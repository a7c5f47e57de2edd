"""Pictures render Chinese with the packaged font, and label every deadline."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from zyw_flow import load_template, resolve
from zyw_flow._fonts import CJK_FAMILY, cjk_font_path, cjk_rc, register_cjk_font, subset_font
from zyw_flow._plots import escalation_caption, gantt, gantt_figure, gantt_rows
from zyw_flow.evaluation import load_scheme, plot_grade_distribution
from zyw_flow.template import iter_template_sources

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted(s.id for s in iter_template_sources() if s.origin == "bundled")
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def no_missing_glyphs() -> Iterator[None]:
    """Turn matplotlib's missing-glyph warning into an error for the test."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r".*[Gg]lyph .* missing from font")
        yield


def _texts(fig: object) -> list[str]:
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    assert isinstance(fig, Figure)
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


class TestFont:
    def test_registered_by_path(self) -> None:
        """The CJK family resolves to the packaged file, not to a system font."""
        from matplotlib import font_manager
        from matplotlib.font_manager import FontProperties

        assert register_cjk_font() == CJK_FAMILY
        found = font_manager.fontManager.findfont(
            FontProperties(family=CJK_FAMILY), fallback_to_default=False
        )
        assert Path(str(found)) == cjk_font_path()
        assert cjk_font_path().is_file()

    def test_fixture_catches_a_missing_glyph(self, no_missing_glyphs: None, tmp_path: Path) -> None:
        """A character no font has fails the render (so the tests below can fail)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        with plt.rc_context(cjk_rc()):
            fig, ax = plt.subplots()
            ax.set_title("\U0010fffd")
            with pytest.raises(UserWarning, match="missing from font"):
                fig.savefig(tmp_path / "x.png")
            plt.close(fig)

    def test_subset_holds_the_characters(self) -> None:
        """The web subset maps exactly the page's characters (and the space)."""
        from io import BytesIO

        from fontTools.ttLib import TTFont

        data = subset_font("督查问责 ABC 催办黄牌红牌")
        assert data[:4] == b"wOFF"
        cmap = TTFont(BytesIO(data)).getBestCmap()
        assert set(map(chr, cmap)) == set("督查问责ABC催办黄牌红牌 ")
        assert len(data) < 20_000


class TestGantt:
    @pytest.mark.parametrize("seed", SEEDS)
    def test_every_seed_renders_in_chinese(
        self, seed: str, tmp_path: Path, no_missing_glyphs: None
    ) -> None:
        """Each bundled campaign's Gantt draws with no missing glyph."""
        out = gantt(resolve(load_template(seed)), tmp_path / f"{seed}.png")
        assert out.read_bytes()[:8] == PNG

    @pytest.mark.parametrize("seed", SEEDS)
    def test_every_deadline_labelled(self, seed: str) -> None:
        """Each deadline has a label with its date; one-off ones with the step title too."""
        import matplotlib.pyplot as plt

        resolved = resolve(load_template(seed))
        with plt.rc_context(cjk_rc()):
            fig = gantt_figure(resolved)
        texts = _texts(fig)
        plt.close(fig)
        for row in gantt_rows(resolved):
            for due in row.dues:
                md = f"{due.month:02d}-{due.day:02d}"
                wanted = md if row.recurring else f"{md} {row.title}"
                assert wanted in texts, (row.id, wanted)
        assert resolved.title in texts[0] or any(resolved.title in t for t in texts)
        assert escalation_caption(resolved) in texts

    def test_rows_cover_every_step(self) -> None:
        """The rows hold every step instance's deadline exactly once."""
        resolved = resolve(load_template("daqing-zuofeng-2011"))
        rows = gantt_rows(resolved)
        dues = sorted(d for r in rows for d in r.dues)
        assert dues == sorted(s.due for s in resolved.steps if s.due is not None)
        weekly = next(r for r in rows if r.id == "weekly_report")
        assert weekly.recurring and len(weekly.dues) == 46

    def test_escalation_by_title(self) -> None:
        """The caption names the ladder 催办 → 黄牌 → 红牌."""
        caption = escalation_caption(resolve(load_template("zhiyong-2011")))
        assert caption.startswith("逾期升级: 催办")
        assert caption.index("催办") < caption.index("黄牌") < caption.index("红牌")


class TestGradePlot:
    def test_renders_in_chinese(self, tmp_path: Path, no_missing_glyphs: None) -> None:
        """The grade distribution draws band titles with no missing glyph."""
        scheme = load_scheme("bureau-unit")
        out = plot_grade_distribution(
            {"excellent": 3, "good": 5, "pass": 2, "admonish": 1, None: 1},
            tmp_path / "grades.png",
            scheme=scheme,
        )
        assert out.read_bytes()[:8] == PNG


def _imports(path: Path, *, top_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = list(tree.body) if top_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return {n for n in names if n.startswith("zyw_flow")}


def _file(module: str) -> Path | None:
    base = ROOT / Path(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def test_evaluation_does_not_reach_the_compiler() -> None:
    """The evaluation package never imports compile, resolve, runtime or the plots (which
    sit above compile), not even in a function, nor through a module-level import chain."""
    forbidden = ("zyw_flow.compile", "zyw_flow.resolve", "zyw_flow.runtime", "zyw_flow._plots")
    own = list((ROOT / "zyw_flow" / "evaluation").glob("*.py"))
    todo = [(p, False) for p in own]
    seen: set[Path] = set()
    while todo:
        path, top_only = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imports(path, top_only=top_only):
            assert not name.startswith(forbidden), (path.relative_to(ROOT), name)
            target = _file(name)
            if target is not None and target != ROOT / "zyw_flow" / "__init__.py":
                todo.append((target, True))  # the root package is a facade: not followed
